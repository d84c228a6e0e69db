"""The embedded producer: batches per partition in memory, one write and one
fsync per partition per flush (group commit)."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping

from streamkit.log.embedded.batch import BatchBuilder
from streamkit.log.embedded.partition_log import MAX_BATCH_BYTES, LogConfig, PartitionLog
from streamkit.log.embedded.topics import TopicStore
from streamkit.log.embedded.transactions import ProducerIdentity, TransactionCoordinator
from streamkit.log.errors import BrokerError, DeliveryFailed, TransactionAborted
from streamkit.log.partitioner import partition_for_key
from streamkit.log.records import GroupMetadata, Headers, TopicPartition

# Bound on records buffered outside a transaction before send() writes them
# itself; they become acknowledged only at flush().
_AUTO_WRITE_BYTES = 16 << 20


class EmbeddedProducer:
    """A :class:`~streamkit.log.broker.Producer` on the embedded log.

    ``send`` only encodes into a per-partition batch; ``flush`` appends each
    partition's batches with one write and one ``fdatasync`` and returns once
    they are durable: an acknowledged record survives ``kill -9`` of every
    process (and, with a disk that honours fsync, power loss).
    """

    def __init__(
        self,
        topics: TopicStore,
        coordinator: TransactionCoordinator,
        transactional_id: str | None = None,
        linger_ms: int = 5,
    ) -> None:
        self._topics = topics
        self._coordinator = coordinator
        self._transactional_id = transactional_id
        self._linger_ms = linger_ms
        self._logs: dict[TopicPartition, PartitionLog] = {}
        self._partitions: dict[str, int] = {}
        self._sticky: dict[str, int] = {}
        self._open: dict[TopicPartition, BatchBuilder] = {}
        self._full: dict[TopicPartition, list[BatchBuilder]] = {}
        self._buffered = 0
        self._identity: ProducerIdentity | None = None
        self._in_transaction = False
        self._txn_offsets: dict[str, dict[TopicPartition, int]] = {}
        self._txn_groups: list[GroupMetadata] = []
        self._closed = False

    # -- sending ------------------------------------------------------------

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        *,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Queue one record (see :meth:`Producer.send`)."""
        if self._transactional_id is not None and not self._in_transaction:
            raise BrokerError(
                f"producer {self._transactional_id!r} is transactional: call "
                "begin_transaction() before send()"
            )
        count = self._partitions.get(topic)
        if count is None:
            count = self._partitions[topic] = self._topics.describe(topic).partitions
        if partition is None:
            if key is not None:
                partition = partition_for_key(key, count)
            else:
                partition = self._sticky.get(topic)
                if partition is None:
                    partition = self._sticky[topic] = random.randrange(count)
        elif not 0 <= partition < count:
            raise BrokerError(f"topic {topic!r} has {count} partitions; no partition {partition}")
        tp = TopicPartition(topic, partition)
        builder = self._open.get(tp)
        if builder is None:
            builder = self._open[tp] = BatchBuilder()
        before = len(builder.body)
        builder.add(
            int(time.time() * 1000) if timestamp is None else timestamp,
            key,
            value,
            tuple(headers) if headers else (),
        )
        self._buffered += len(builder.body) - before
        if len(builder.body) >= MAX_BATCH_BYTES:
            self._full.setdefault(tp, []).append(builder)
            del self._open[tp]
            if key is None and partition == self._sticky.get(topic) and count > 1:
                self._sticky[topic] = (partition + 1) % count  # Kafka's sticky partitioner
            if self._buffered >= _AUTO_WRITE_BYTES and not self._in_transaction:
                self.flush()

    def _take_batches(self) -> dict[TopicPartition, list[BatchBuilder]]:
        batches = self._full
        for tp, builder in self._open.items():
            batches.setdefault(tp, []).append(builder)
        self._full, self._open, self._buffered = {}, {}, 0
        self._sticky.clear()
        return batches

    def _writer_for(self, tp: TopicPartition) -> PartitionLog:
        log = self._logs.get(tp)
        if log is None:
            config = LogConfig.from_topic_config(self._topics.describe(tp.topic).config)
            log = self._logs[tp] = PartitionLog(self._topics.partition_dir(*tp), config)
        return log

    def flush(self, timeout: float | None = None) -> None:
        """Append everything queued and return once it is durable."""
        if self._in_transaction:
            return  # a transaction's records become durable at commit
        batches = self._take_batches()
        try:
            for tp, builders in batches.items():
                self._writer_for(tp).append(builders)
        except OSError as exc:
            raise DeliveryFailed(f"could not append to the embedded log: {exc}") from exc

    # -- transactions -----------------------------------------------------------

    def init_transactions(self) -> None:
        """Take the transactional id (fencing older holders); see the Producer protocol."""
        if self._transactional_id is None:
            raise BrokerError("init_transactions() needs a producer made with a transactional_id")
        self._identity = self._coordinator.init(self._transactional_id, self._writer_for)

    def begin_transaction(self) -> None:
        """Start buffering a transaction."""
        if self._identity is None:
            raise BrokerError("call init_transactions() once before begin_transaction()")
        if self._in_transaction:
            raise BrokerError("a transaction is already open: commit or abort it first")
        self._in_transaction = True
        self._txn_offsets, self._txn_groups = {}, []

    def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, int], group: GroupMetadata
    ) -> None:
        """Commit these offsets of ``group`` with the transaction."""
        if not self._in_transaction:
            raise BrokerError("send_offsets_to_transaction() outside a transaction")
        self._txn_offsets.setdefault(group.group_id, {}).update(
            {TopicPartition(*tp): int(o) for tp, o in offsets.items()}
        )
        self._txn_groups.append(group)

    def commit_transaction(self) -> None:
        """Make the records and offsets visible at once (see module transactions)."""
        if not self._in_transaction or self._identity is None:
            raise BrokerError("commit_transaction() without begin_transaction()")
        batches = self._take_batches()
        offsets, groups = self._txn_offsets, self._txn_groups
        self._in_transaction = False
        self._txn_offsets, self._txn_groups = {}, []

        def check_ownership() -> None:
            for group in groups:
                owner_check = getattr(group.native, "check_owns", None)
                if owner_check is None:
                    continue
                try:
                    owner_check(list(offsets.get(group.group_id, {})))
                except BrokerError as exc:
                    raise TransactionAborted(
                        f"transaction aborted: {exc}; seek back to the committed offsets "
                        "and reprocess"
                    ) from exc

        try:
            self._coordinator.commit(
                self._identity, batches, offsets, self._writer_for, check_ownership
            )
        except OSError as exc:
            raise TransactionAborted(f"transaction aborted by an I/O error: {exc}") from exc

    def abort_transaction(self) -> None:
        """Drop the transaction's records and offsets."""
        self._take_batches()
        self._in_transaction = False
        self._txn_offsets, self._txn_groups = {}, []

    def close(self) -> None:
        """Flush and release files (an open transaction is aborted)."""
        if self._closed:
            return
        if self._in_transaction:
            self.abort_transaction()
        self.flush()
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        self._closed = True
