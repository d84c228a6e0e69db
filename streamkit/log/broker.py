"""The Broker interface: what every log backend (embedded, Kafka) provides.

A backend is opened from a URL (see :func:`streamkit.log.open_broker`) and hands
out three kinds of clients: an :class:`Admin`, :class:`Producer`\\ s and
:class:`Consumer`\\ s. The runtime, the CLI and the tests only ever talk to these
protocols, so the same app and the same contract tests run on both backends.

Offsets follow Kafka's convention everywhere: a committed offset, a position and
an end offset all name the *next* record to read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

from streamkit.log.records import GroupMetadata, Headers, Record, TopicDescription, TopicPartition

IsolationLevel = Literal["read_committed", "read_uncommitted"]
AutoOffsetReset = Literal["earliest", "latest", "error"]
PartitionsCallback = Callable[[list[TopicPartition]], None]


@runtime_checkable
class Admin(Protocol):
    """Topic and group administration."""

    def create_topic(
        self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None
    ) -> None:
        """Create a topic; raise :class:`TopicAlreadyExists` if it exists."""

    def delete_topic(self, name: str) -> None:
        """Delete a topic and its data; raise :class:`TopicNotFound` if absent."""

    def list_topics(self) -> list[str]:
        """Names of all topics, sorted (internal ``__`` topics excluded)."""

    def describe_topic(self, name: str) -> TopicDescription:
        """Partition count and configuration of a topic."""

    def begin_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Offset of the first record still stored in each partition."""

    def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Offset the next appended record will get (the high watermark)."""

    def offsets_for_time(
        self, timestamps: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int | None]:
        """For each partition, the earliest offset whose timestamp is >= the given
        one (ms), or ``None`` when no such record exists."""

    def delete_records(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Delete every record before the given offset of each partition (Kafka's
        ``deleteRecords``). Afterwards :meth:`begin_offsets` is at most that offset:
        exactly it on Kafka; the embedded log deletes whole segments only, so its
        begin offset stays at the start of the segment holding the offset. An offset
        below the begin offset changes nothing; a negative one or one past the end
        offset raises :class:`OffsetOutOfRange`.

        Consumers positioned before the new begin offset reset per their
        ``auto_offset_reset``; records a consumer has already fetched (Kafka) or
        is reading from an open segment (embedded) may still be delivered."""

    def list_groups(self) -> list[str]:
        """Consumer group ids, sorted."""

    def group_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        """The offsets a group has committed."""

    def close(self) -> None: ...


@runtime_checkable
class Producer(Protocol):
    """Appends records. Sends are batched; :meth:`flush` waits for acknowledgement.

    An acknowledged record is durable: it survives a crash of every client process.
    A producer made with a ``transactional_id`` must call :meth:`init_transactions`
    once and then send only inside transactions.
    """

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Queue one record. Without ``partition`` the key picks it (Java murmur2);
        without ``timestamp`` the current time is used. Stream tasks pass every
        argument positionally (see ``SendFn``): it is the per-output call of
        every app, and parsing keywords would cost a few percent of a pipeline."""

    def send_batch(
        self, topic: str, partition: int, records: Iterable[tuple[bytes | None, bytes | None]]
    ) -> int:
        """Queue ``(key, value)`` records to one partition, in order, timestamped
        now: :meth:`send` for each, at a fraction of the cost per record (how a
        checkpoint writes a changelog). Returns how many were queued."""

    def poll(self) -> None:
        """Let queued records out without waiting for them: they become visible
        to readers about ``linger_ms`` later (outside a transaction), and are
        acknowledged only by :meth:`flush`. Kafka's client sends on its own
        (this serves its delivery reports); the embedded log writes records
        only after a ``poll``, a ``flush`` or 16 MiB of them. A stream app's
        loop polls after each batch of input."""

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued record is acknowledged; raise
        :class:`DeliveryFailed` if any was not."""

    def init_transactions(self) -> None:
        """Register the transactional id, fencing older producers that use it and
        aborting whatever transaction they left open."""

    def begin_transaction(self) -> None: ...

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group: GroupMetadata,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit these consumer offsets for ``group`` atomically with the
        transaction's records, each with its ``metadata`` string if given (as
        :meth:`Consumer.commit` does)."""

    def commit_transaction(self) -> None:
        """Make the transaction's records and offsets visible, atomically.
        Raises :class:`ProducerFenced` or :class:`TransactionAborted`."""

    def abort_transaction(self) -> None: ...

    def close(self) -> None:
        """Flush what is queued and release resources."""


@runtime_checkable
class Consumer(Protocol):
    """Reads records, either from partitions assigned by hand (:meth:`assign`) or
    as a member of a consumer group (:meth:`subscribe`).

    Group membership is maintained while :meth:`poll_batch` is being called;
    assignment changes are reported through the callbacks, from inside
    ``poll_batch``, revocations always before the partitions move on.
    """

    def subscribe(
        self,
        topics: Sequence[str],
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
    ) -> None: ...

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read these partitions, outside any group rebalancing. Positions start
        at the committed offset if the consumer has a group, else per
        ``auto_offset_reset``; use :meth:`seek` to choose."""

    def assignment(self) -> list[TopicPartition]: ...

    def poll_batch(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``timeout`` seconds for
        the first. Records of one partition come in offset order."""

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    def position(self, partition: TopicPartition) -> int:
        """Offset of the next record this consumer will return from the partition."""

    def fetch_lag(self, partition: TopicPartition) -> int | None:
        """Records this consumer knows it can still read from an assigned
        partition past :meth:`position` (committed ones only, under
        read_committed), as of its last fetch: ``None`` when it does not know.
        May lag behind the log, never run ahead of it."""

    def pause(self, partitions: Sequence[TopicPartition]) -> None: ...

    def resume(self, partitions: Sequence[TopicPartition]) -> None: ...

    def commit(
        self,
        offsets: Mapping[TopicPartition, int] | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit offsets (next offset to read) synchronously; ``None`` commits the
        current positions of all assigned partitions.

        Each offset is stored with its partition's ``metadata`` string, or none:
        as in Kafka, a commit replaces the metadata too, so committing an offset
        without metadata clears what the previous commit stored. Metadata for a
        partition whose offset is not committed is ignored."""

    def committed(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int | None]: ...

    def committed_metadata(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, str | None]:
        """The metadata stored with each partition's committed offset: ``None``
        where nothing is committed or the commit carried none (or an empty string)."""

    def group_metadata(self) -> GroupMetadata: ...

    def close(self) -> None:
        """Leave the group (revoking partitions through the callback) and release."""


@runtime_checkable
class Broker(Protocol):
    """A log backend. Cheap to create; clients it hands out are independent."""

    url: str

    def admin(self) -> Admin: ...

    def producer(
        self,
        *,
        transactional_id: str | None = None,
        linger_ms: int = 5,
        transaction_timeout_ms: int | None = None,
    ) -> Producer:
        """A producer; transactional with a ``transactional_id``.
        ``transaction_timeout_ms`` bounds how long a transaction may stay open
        before the log aborts it, which is how long a producer that died
        mid-transaction holds ``read_committed`` readers of its partitions back
        (``None``: the backend's default). The embedded log writes a transaction
        only when it commits, so a dead producer never holds readers back there
        and it ignores the setting."""

    def consumer(
        self,
        *,
        group_id: str | None = None,
        isolation_level: IsolationLevel = "read_committed",
        auto_offset_reset: AutoOffsetReset = "earliest",
        co_partitioned: bool = False,
    ) -> Consumer:
        """A consumer. With ``co_partitioned``, every group member that gets
        partition *n* of one subscribed topic gets partition *n* of every other
        subscribed topic with as many partitions (Kafka's range assignor): what a
        task reading several co-partitioned topics needs. Otherwise the backend
        may balance partitions freely (Kafka: cooperative-sticky)."""

    def close(self) -> None: ...
