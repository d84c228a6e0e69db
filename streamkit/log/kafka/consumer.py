"""Reading records from Kafka (the :class:`~streamkit.log.broker.Consumer` protocol)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence

import confluent_kafka
import orjson
from confluent_kafka import KafkaError, KafkaException

from streamkit.log.broker import AutoOffsetReset, IsolationLevel, PartitionsCallback
from streamkit.log.errors import BrokerError, CommitFailed, TopicNotFound
from streamkit.log.kafka.config import REQUEST_TIMEOUT_S, consumer_config, make_client
from streamkit.log.kafka.errors import UNAVAILABLE_CODES, kafka_error_of, translate, with_retries
from streamkit.log.kafka.records import (
    from_native,
    from_natives,
    natives_with_offsets,
    offset_or_none,
    to_native,
    to_record,
)
from streamkit.log.records import GroupMetadata, Record, TopicPartition

_log = logging.getLogger("streamkit.log.kafka")

STATISTICS_INTERVAL_MS = 500
"""How often librdkafka reports statistics (for :meth:`KafkaConsumer.fetch_lag`)."""

# Errors a consumer reports as events that are not worth stopping for: librdkafka
# keeps reconnecting by itself.
_TRANSIENT_CODES = UNAVAILABLE_CODES | {KafkaError._PARTITION_EOF}

# ListOffsets' timestamps meaning "the log's start" and "its end".
_RESET_SENTINELS = {"earliest": confluent_kafka.OFFSET_BEGINNING, "latest": confluent_kafka.OFFSET_END}


class KafkaConsumer:
    """A consumer that commits only when asked, with cooperative-sticky rebalancing.

    Without a ``group_id`` it gets a private throwaway group (librdkafka needs one)
    and cannot commit.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        group_id: str | None = None,
        isolation_level: IsolationLevel = "read_committed",
        auto_offset_reset: AutoOffsetReset = "earliest",
        co_partitioned: bool = False,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self._servers = bootstrap_servers
        self._group_id = group_id
        self._auto_offset_reset = auto_offset_reset
        # The range assignor rebalances eagerly: the assignment can then only be
        # changed as a whole (assign), never incrementally.
        self._eager = co_partitioned
        config = consumer_config(
            bootstrap_servers,
            group_id=group_id or f"streamkit-private-{uuid.uuid4().hex}",
            isolation_level=isolation_level,
            auto_offset_reset=auto_offset_reset,
            co_partitioned=co_partitioned,
        )
        # Under read_committed, fetch_lag needs each partition's last stable
        # offset, which only librdkafka's statistics carry (the high watermark
        # it caches from each fetch counts records of open transactions too).
        self._readable_ends: dict[tuple[str, int], int] = {}
        if isolation_level == "read_committed":
            config |= {"statistics.interval.ms": STATISTICS_INTERVAL_MS,
                       "stats_cb": self._on_stats}
        self._consumer = make_client(confluent_kafka.Consumer, config, settings)
        # Positions librdkafka will only report once it returns a record: chosen by
        # seek(), or a newly assigned partition's committed offset (a caught-up
        # partition returns none, so its lag would stay unknown until then):
        # partition -> (offset, librdkafka's position when it was noted).
        self._sought: dict[TopicPartition, tuple[int, int]] = {}
        # What the group had committed for the partitions being assigned, read once
        # at assignment and served to the assignment callback (a task asks for its
        # partitions' commit metadata): nobody else commits them meanwhile.
        self._commits_at_assignment: dict[TopicPartition, confluent_kafka.TopicPartition] = {}

    def subscribe(
        self,
        topics: Sequence[str],
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
    ) -> None:
        """Join the group for ``topics``; callbacks get streamkit TopicPartitions.

        Under cooperative rebalancing the callbacks get only the partitions that
        move; confluent-kafka applies the incremental (un)assignment after them.
        """

        def assigned(_: object, natives: list[confluent_kafka.TopicPartition]) -> None:
            partitions = from_natives(natives)
            if self._group_id is not None:
                self._note_starts(partitions)
            try:
                if on_assign is not None:
                    on_assign(partitions)
            finally:
                self._commits_at_assignment.clear()

        def revoked(_: object, natives: list[confluent_kafka.TopicPartition]) -> None:
            for tp in from_natives(natives):
                self._sought.pop(tp, None)
            if on_revoke is not None:
                on_revoke(from_natives(natives))

        # Lost partitions (session timeout) are revoked too, just without a chance to commit.
        self._consumer.subscribe(list(topics), on_assign=assigned, on_revoke=revoked, on_lost=revoked)

    def _note_starts(self, partitions: list[TopicPartition]) -> None:
        """Note where each newly assigned partition starts: its committed offset,
        or for one with nothing committed, where ``auto.offset.reset`` starts it
        (librdkafka starts there too, unless the committed offset is out of range
        or the log moved meanwhile: then its own position, once it has one, is
        the truth). Only a hint for :meth:`fetch_lag`: when the broker cannot say,
        the partition's position stays unknown until it returns a record. The
        commits read are kept for the assignment callback, whose questions about
        them they answer."""
        try:
            natives = self._fetch_committed(partitions)
        except BrokerError as error:
            _log.debug("committed offsets of %s not known at assignment: %s", partitions, error)
            return
        uncommitted = []
        for native in natives:
            tp, offset = from_native(native), offset_or_none(native.offset)
            self._commits_at_assignment[tp] = native
            if tp in self._sought:
                continue
            if offset is None:
                uncommitted.append(tp)
            else:
                self._sought[tp] = (offset, self._native_position(tp))
        for tp, offset in self._reset_offsets(uncommitted).items():
            self._sought[tp] = (offset, self._native_position(tp))

    def _reset_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """Where ``auto.offset.reset`` starts each of ``partitions``, in one
        request (ListOffsets with the earliest/latest sentinels); those the
        broker does not answer for are left out."""
        sentinel = _RESET_SENTINELS.get(self._auto_offset_reset)
        if not partitions or sentinel is None:
            return {}
        try:
            natives = self._consumer.offsets_for_times(
                [to_native(tp, sentinel) for tp in partitions], REQUEST_TIMEOUT_S)
        except KafkaException as exc:
            _log.debug("start offsets of %s not known at assignment: %s", partitions, exc)
            return {}
        return {from_native(native): native.offset for native in natives
                if native.error is None and native.offset >= 0}

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read exactly these partitions, outside group rebalancing."""
        self._sought.clear()
        self._consumer.assign([to_native(tp) for tp in partitions])

    def assignment(self) -> list[TopicPartition]:
        """The partitions currently assigned."""
        return from_natives(self._consumer.assignment())

    def poll_batch(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``timeout`` s for the first."""
        # What has arrived, at once; else wait for the first record only.
        # consume() waits for max_records or the timeout: at a low input rate
        # that held every record back for up to the whole timeout.
        messages = self._consumer.consume(num_messages=max_records, timeout=0)
        if not messages:
            messages = self._consumer.consume(num_messages=1, timeout=timeout)
            if messages and max_records > 1:
                messages += self._consumer.consume(num_messages=max_records - 1, timeout=0)
        records = []
        for message in messages:
            error = message.error()
            if error is None:
                records.append(to_record(message))
                continue
            if error.code() in _TRANSIENT_CODES:
                _log.warning("Kafka consumer: %s (retrying)", error.str())
                continue
            if error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.UNKNOWN_TOPIC_ID):
                raise TopicNotFound(message.topic() or "?")
            raise translate(error, self._servers, message.topic())
        if self._sought:  # a fetched record is the truth about the position again
            for record in records:
                self._sought.pop(record.topic_partition, None)
        return records

    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Make ``offset`` the next record read from an assigned partition."""
        native = to_native(partition, offset)
        try:
            self._consumer.seek(native)
        except KafkaException as exc:
            # librdkafka refuses to seek a partition whose fetcher has not started
            # yet (right after assignment); re-assigning at the offset does the same.
            error = kafka_error_of(exc)
            if error is None or error.code() != KafkaError._STATE:
                raise BrokerError(f"cannot seek {partition} to {offset}: {exc}") from exc
            if partition not in self.assignment():
                raise BrokerError(f"cannot seek {partition}: it is not assigned") from exc
            if self._eager:
                self._consumer.assign([
                    native if tp == partition else to_native(tp, self.position(tp))
                    for tp in self.assignment()])
            else:
                self._consumer.incremental_unassign([to_native(partition)])
                self._consumer.incremental_assign([native])
        self._sought[partition] = (offset, self._native_position(partition))

    def position(self, partition: TopicPartition) -> int:
        """Offset of the next record this consumer will return from ``partition``."""
        known = self._known_position(partition)
        if known >= 0:
            return known
        # Nothing fetched yet: the position is where fetching will start.
        committed = self.committed([partition])[partition] if self._group_id else None
        if committed is not None:
            return committed
        low, high = with_retries(
            lambda: self._consumer.get_watermark_offsets(to_native(partition), REQUEST_TIMEOUT_S),
            self._servers,
            topic=partition.topic,
        )
        return high if self._auto_offset_reset == "latest" else low

    def _known_position(self, partition: TopicPartition) -> int:
        """The position as this client knows it without asking the broker: the
        sought offset, else librdkafka's; negative when it has none (nothing
        returned since assignment)."""
        native = self._native_position(partition)
        if partition in self._sought:
            sought, at_seek = self._sought[partition]
            # librdkafka moves its position past records it skips without returning
            # them (aborted transactions, transaction markers): once it differs from
            # the one seen at seek time, it is the truth.
            if native < 0 or native == at_seek:
                return sought
            del self._sought[partition]
        return native

    def _native_position(self, partition: TopicPartition) -> int:
        [native] = self._consumer.position([to_native(partition)])
        return int(native.offset)

    def fetch_lag(self, partition: TopicPartition) -> int | None:
        """Records past the position: up to the last stable offset of the latest
        statistics under read_committed (until the first, the high watermark),
        else up to the high watermark of the last fetch."""
        end = self._readable_ends.get((partition[0], partition[1]))
        if end is None:
            _low, end = self._consumer.get_watermark_offsets(to_native(partition), cached=True)
        if end < 0:
            return None
        position = self._known_position(partition)
        if position < 0:
            # Nothing returned since assignment, and neither a commit nor the
            # auto.offset.reset offset was known at assignment: only an empty
            # partition is known to have no lag.
            return 0 if end == 0 else None
        return max(0, end - position)

    def _on_stats(self, raw: str) -> None:
        """Keep each partition's last stable offset from librdkafka's statistics."""
        ends = self._readable_ends
        for topic, details in orjson.loads(raw).get("topics", {}).items():
            for stats in details.get("partitions", {}).values():
                if stats["partition"] >= 0 and stats["ls_offset"] >= 0:
                    ends[(topic, stats["partition"])] = stats["ls_offset"]

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        """Stop fetching these partitions until :meth:`resume`."""
        self._consumer.pause([to_native(tp) for tp in partitions])

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these paused partitions again."""
        self._consumer.resume([to_native(tp) for tp in partitions])

    def commit(
        self,
        offsets: Mapping[TopicPartition, int] | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit synchronously, with ``metadata`` per partition if given; ``None``
        commits the positions of all assigned partitions."""
        if self._group_id is None:
            raise CommitFailed("this consumer has no group_id, so it has nowhere to commit")
        if offsets is None:
            offsets = {tp: self.position(tp) for tp in self.assignment()}
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=natives_with_offsets(offsets, metadata),
                                  asynchronous=False)
        except KafkaException as exc:
            error = kafka_error_of(exc)
            reason = error.str() if error else str(exc)
            raise CommitFailed(
                f"commit of {len(offsets)} offset(s) for group {self._group_id!r} failed: {reason}"
            ) from exc

    def committed(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The group's committed offsets (``None`` where nothing is committed)."""
        return {from_native(n): offset_or_none(n.offset) for n in self._fetch_committed(partitions)}

    def committed_metadata(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, str | None]:
        """The metadata committed with each offset (``None`` where there is none)."""
        # librdkafka reads back "" or None for a commit without metadata.
        return {from_native(n): n.metadata or None for n in self._fetch_committed(partitions)}

    def _fetch_committed(
        self, partitions: Iterable[TopicPartition]
    ) -> list[confluent_kafka.TopicPartition]:
        partitions = list(partitions)
        at_assignment = self._commits_at_assignment
        if at_assignment and all(tp in at_assignment for tp in partitions):
            return [at_assignment[tp] for tp in partitions]
        natives = [to_native(tp) for tp in partitions]
        if not natives:
            return []
        found: list[confluent_kafka.TopicPartition] = with_retries(
            lambda: self._consumer.committed(natives, timeout=REQUEST_TIMEOUT_S), self._servers
        )
        return found

    def group_metadata(self) -> GroupMetadata:
        """This member's group metadata, for ``send_offsets_to_transaction``."""
        return GroupMetadata(
            group_id=self._group_id or "",
            member_id=self._consumer.memberid() or "",
            native=self._consumer.consumer_group_metadata(),
        )

    def close(self) -> None:
        """Leave the group (revocation callbacks fire) and release the client."""
        self._consumer.close()
