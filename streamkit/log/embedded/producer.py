"""The embedded producer: batches per partition in memory, one write and one
fsync per partition per append (group commit).

Outside a transaction, records also leave before :meth:`EmbeddedProducer.flush`:
:meth:`~EmbeddedProducer.poll` (which a stream app's loop calls after each batch
of input) and a bound on buffered bytes hand the open batches to a background
writer, which appends them ``linger_ms`` after the oldest hand-over, so that
encoding the next records overlaps the write and fsync. Readers see those records
once they are durable; the sender counts them as acknowledged only when ``flush``
has waited for every write, the background ones and its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping

from streamkit.log.embedded.batch import BatchBuilder
from streamkit.log.embedded.partition_log import MAX_BATCH_BYTES, LogConfig, PartitionLog
from streamkit.log.embedded.topics import TopicStore
from streamkit.log.embedded.transactions import ProducerIdentity, TransactionCoordinator
from streamkit.log.embedded.writer import BackgroundWriter
from streamkit.log.errors import BrokerError, DeliveryFailed, TransactionAborted
from streamkit.log.partitioner import KeyPartitioner
from streamkit.log.records import GroupMetadata, Headers, TopicPartition

# Bound on full batches buffered outside a transaction before send() hands them to
# the background writer without a poll() (which then blocks the sender while twice
# this is unwritten); they become acknowledged only at flush().
_AUTO_WRITE_BYTES = 16 << 20
_now = time.time


class _TopicBuffers:
    """One topic's open batches (one slot per partition) and how records are
    routed to them: the key memo, and the sticky partition for null keys."""

    __slots__ = ("cached", "keys", "name", "open", "partitions", "sticky")

    def __init__(self, name: str, partitions: int) -> None:
        self.name = name
        self.partitions = partitions
        self.open: list[BatchBuilder | None] = [None] * partitions
        self.keys = KeyPartitioner(partitions)
        self.cached = self.keys.cached
        self.sticky = -1  # no sticky partition chosen yet


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
        self._buffers: dict[str, _TopicBuffers] = {}
        self._full: dict[TopicPartition, list[BatchBuilder]] = {}
        self._full_bytes = 0
        self._writer = BackgroundWriter(linger_ms / 1000, _AUTO_WRITE_BYTES)
        self._identity: ProducerIdentity | None = None
        self._in_transaction = False
        # send() is refused until begin_transaction() on a transactional producer
        self._needs_begin = transactional_id is not None
        self._txn_offsets: dict[str, dict[TopicPartition, int]] = {}
        self._txn_metadata: dict[str, dict[TopicPartition, str]] = {}
        self._txn_groups: list[GroupMetadata] = []
        self._closed = False

    # -- sending ------------------------------------------------------------

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Queue one record (see :meth:`Producer.send`)."""
        # The per-record path of every embedded pipeline: keep it to a few
        # dict/list look-ups and one encode (see BENCHMARKS B6).
        if self._needs_begin:
            raise BrokerError(
                f"producer {self._transactional_id!r} is transactional: call "
                "begin_transaction() before send()"
            )
        buffers = self._buffers.get(topic)
        if buffers is None:
            buffers = self._buffers_for(topic)
        if partition is None:
            if key is not None:
                try:
                    partition = buffers.cached(key)
                except (TypeError, ValueError):  # unhashable: KeyPartitioner hashes it
                    partition = None
                if partition is None:
                    partition = buffers.keys.partition(key)
            else:
                partition = buffers.sticky
                if partition < 0:
                    partition = buffers.sticky = random.randrange(buffers.partitions)
        elif not 0 <= partition < buffers.partitions:
            raise BrokerError(
                f"topic {topic!r} has {buffers.partitions} partitions; no partition {partition}"
            )
        builder = buffers.open[partition]
        if builder is None:
            builder = buffers.open[partition] = BatchBuilder()
        size = builder.add(
            int(_now() * 1000) if timestamp is None else timestamp,
            key,
            value,
            headers or (),
        )
        if size >= MAX_BATCH_BYTES:
            self._close_batch(buffers, partition, builder, key is None)

    def send_batch(
        self, topic: str, partition: int, records: Iterable[tuple[bytes | None, bytes | None]]
    ) -> int:
        """Queue records to one partition (see :meth:`Producer.send_batch`)."""
        send, count = self.send, 0
        for key, value in records:
            send(topic, value, key, partition=partition)
            count += 1
        return count

    def _buffers_for(self, topic: str) -> _TopicBuffers:
        buffers = self._buffers[topic] = _TopicBuffers(
            topic, self._topics.describe(topic).partitions
        )
        return buffers

    def _close_batch(
        self, buffers: _TopicBuffers, partition: int, builder: BatchBuilder, keyless: bool
    ) -> None:
        """Set a full batch aside for the next write; bound what is buffered."""
        self._full.setdefault(TopicPartition(buffers.name, partition), []).append(builder)
        self._full_bytes += len(builder)
        buffers.open[partition] = None
        if keyless and partition == buffers.sticky and buffers.partitions > 1:
            buffers.sticky = (partition + 1) % buffers.partitions  # Kafka's sticky partitioner
        if self._full_bytes >= _AUTO_WRITE_BYTES and not self._in_transaction:
            jobs = [(self._writer_for(tp), builders) for tp, builders in self._full.items()]
            self._full, self._full_bytes = {}, 0
            self._writer.hand_over(jobs)

    def poll(self) -> None:
        """Hand every record sent so far to the background writer, which makes
        them durable and visible ``linger_ms`` later (they are acknowledged at
        the next :meth:`flush`). Does nothing in a transaction: its records are
        written at commit."""
        if self._in_transaction:
            return
        batches = self._take_batches()
        if batches:
            self._writer.hand_over([(self._writer_for(tp), b) for tp, b in batches.items()])

    def _take_batches(self) -> dict[TopicPartition, list[BatchBuilder]]:
        batches = self._full
        for buffers in self._buffers.values():
            open_ = buffers.open
            for partition, builder in enumerate(open_):
                if builder is not None:
                    batches.setdefault(TopicPartition(buffers.name, partition), []).append(builder)
                    open_[partition] = None
            buffers.sticky = -1
        self._full, self._full_bytes = {}, 0
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
        try:
            self._writer.wait()
        except BaseException:
            # no record since the last flush is acknowledged: drop them all
            # rather than append later records after the ones that were lost
            self._take_batches()
            raise
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
        self._needs_begin = False
        self._txn_offsets, self._txn_metadata, self._txn_groups = {}, {}, []

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group: GroupMetadata,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit these offsets of ``group`` (with ``metadata``) with the transaction."""
        if not self._in_transaction:
            raise BrokerError("send_offsets_to_transaction() outside a transaction")
        group_offsets = self._txn_offsets.setdefault(group.group_id, {})
        group_metadata = self._txn_metadata.setdefault(group.group_id, {})
        for partition, offset in offsets.items():
            tp = TopicPartition(*partition)
            group_offsets[tp] = int(offset)
            text = metadata.get(tp) if metadata else None
            if text:
                group_metadata[tp] = text
            else:  # the latest offset sent wins, with its metadata or none
                group_metadata.pop(tp, None)
        self._txn_groups.append(group)

    def commit_transaction(self) -> None:
        """Make the records and offsets visible at once (see module transactions)."""
        if not self._in_transaction or self._identity is None:
            raise BrokerError("commit_transaction() without begin_transaction()")
        batches = self._take_batches()
        offsets, metadata, groups = self._txn_offsets, self._txn_metadata, self._txn_groups
        self._in_transaction = False
        self._needs_begin = True
        self._txn_offsets, self._txn_metadata, self._txn_groups = {}, {}, []

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
                self._identity, batches, offsets, self._writer_for, check_ownership, metadata
            )
        except OSError as exc:
            raise TransactionAborted(f"transaction aborted by an I/O error: {exc}") from exc

    def abort_transaction(self) -> None:
        """Drop the transaction's records and offsets."""
        self._take_batches()
        self._in_transaction = False
        self._needs_begin = self._transactional_id is not None
        self._txn_offsets, self._txn_metadata, self._txn_groups = {}, {}, []

    def close(self) -> None:
        """Flush and release files (an open transaction is aborted)."""
        if self._closed:
            return
        if self._in_transaction:
            self.abort_transaction()
        try:
            self.flush()
        finally:
            self._writer.stop()
            for log in self._logs.values():
                log.close()
            self._logs.clear()
            self._closed = True
