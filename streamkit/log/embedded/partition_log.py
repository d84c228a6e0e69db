"""One partition's log on disk: append, recover, roll, retention and record deletion.

Every process that touches a partition has its own :class:`PartitionLog`; they
coordinate through the file system only:

* ``lock`` — an exclusive ``flock`` held for every change (append, recovery,
  retention, record deletion, compaction). After taking it a writer re-reads the tail, since
  another process may have appended.
* ``hw`` — ``(end_offset, active_base, active_size)``, rewritten after each
  fsync. Readers never read past ``end_offset``, so they only ever see whole,
  durable batches.
"""

from __future__ import annotations

import logging
import os
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from streamkit.log.embedded.batch import (
    HEADER_SIZE,
    BatchBuilder,
    BatchHeader,
    SealedBatch,
    read_header,
)
from streamkit.log.embedded.fileio import fsync_dir, locked
from streamkit.log.embedded.segment import (
    IndexWriter,
    index_paths,
    list_segments,
    rebuild_index,
    scan_valid_end,
    segment_max_timestamp,
    segment_path,
)
from streamkit.log.errors import OffsetOutOfRange

log = logging.getLogger("streamkit.log.embedded")

HW = struct.Struct("<qqq")
MAX_BATCH_BYTES = 1 << 20  # producers split bigger flushes into batches of ~1 MiB


@dataclass(frozen=True)
class LogConfig:
    """The topic configuration a partition log obeys (Kafka's names and units)."""

    segment_bytes: int = 64 << 20
    segment_ms: int = 7 * 24 * 3600 * 1000
    retention_ms: int = -1
    retention_bytes: int = -1
    compact: bool = False
    delete_retention_ms: int = 24 * 3600 * 1000

    @classmethod
    def from_topic_config(cls, config: Mapping[str, str]) -> LogConfig:
        """Read Kafka-named settings (``segment.bytes``, ``retention.ms``, …)."""
        defaults = cls()

        def num(name: str, default: int) -> int:
            return int(config[name]) if name in config else default

        return cls(
            segment_bytes=num("segment.bytes", defaults.segment_bytes),
            segment_ms=num("segment.ms", defaults.segment_ms),
            retention_ms=num("retention.ms", defaults.retention_ms),
            retention_bytes=num("retention.bytes", defaults.retention_bytes),
            compact="compact" in config.get("cleanup.policy", ""),
            delete_retention_ms=num("delete.retention.ms", defaults.delete_retention_ms),
        )


def read_end_offset(hw_path: str) -> int:
    """The partition's durable end offset as published in its ``hw`` file."""
    try:
        fd = os.open(hw_path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        raw = os.pread(fd, HW.size, 0)
    finally:
        os.close(fd)
    return HW.unpack(raw)[0] if len(raw) == HW.size else 0


_RECOVERED: set[tuple[str, int]] = set()


def _identity(directory: str) -> tuple[str, int]:
    """A partition directory's identity: a recreated topic gets new inodes."""
    return directory, os.stat(directory).st_ino


class PartitionLog:
    """Appends to and maintains one partition directory."""

    def __init__(self, directory: str, config: LogConfig) -> None:
        self.directory = directory
        self.config = config
        self.lock_path = os.path.join(directory, "lock")
        self.hw_path = os.path.join(directory, "hw")
        self._recovered = False
        self._active_base = -1
        self._active_fd = -1
        self._active_size = 0
        self._active_opened_at = 0.0
        self._index: IndexWriter | None = None
        self.next_offset = 0

    # -- recovery -------------------------------------------------------------

    def _recover_locked(self) -> None:
        """Verify every segment; truncate at the first torn or damaged batch and
        drop the segments after it; rebuild indexes; publish ``hw``."""
        bases = list_segments(self.directory)
        if not bases:
            bases = [0]
            open(segment_path(self.directory, 0), "ab").close()
        next_offset = bases[0]
        for i, base in enumerate(bases):
            path = segment_path(self.directory, base)
            fd = os.open(path, os.O_RDWR)
            try:
                size = os.fstat(fd).st_size
                end, last_next, batches = scan_valid_end(fd)
                if last_next is not None:
                    next_offset = last_next
                elif i == 0:
                    next_offset = base
                damaged = end < size
                if damaged:
                    log.warning(
                        "recovery: %s: truncating %d bytes at position %d "
                        "(torn or corrupt batch after offset %d)",
                        path, size - end, end, next_offset,
                    )
                    os.ftruncate(fd, end)
                    os.fsync(fd)
                self._maybe_rebuild_index(path, base, batches, end, damaged)
            finally:
                os.close(fd)
            if damaged:
                for later in bases[i + 1 :]:
                    log.warning(
                        "recovery: deleting segment %s after damaged segment %s",
                        segment_path(self.directory, later), path,
                    )
                    self._delete_segment(later)
                break
        self._close_active()
        self._open_active(next_offset)
        self._publish()
        self._recovered = True
        _RECOVERED.add(_identity(self.directory))

    def _maybe_rebuild_index(
        self, path: str, base: int, batches: list[tuple[int, BatchHeader]], end: int, damaged: bool
    ) -> None:
        offset_index, _ = index_paths(path)
        stale = damaged or not os.path.exists(offset_index)
        if not stale and os.path.getsize(offset_index) % 8 == 0 and batches:
            # an index entry past the valid end means the log lost its tail
            with open(offset_index, "rb") as f:
                f.seek(max(0, os.path.getsize(offset_index) - 8))
                tail = f.read(8)
            stale = len(tail) == 8 and struct.unpack("<II", tail)[1] >= end
        elif not stale:
            stale = os.path.getsize(offset_index) % 8 != 0
        if stale:
            rebuild_index(path, base, batches)

    def _open_active(
        self, next_offset: int, base: int | None = None, size: int | None = None
    ) -> None:
        """Open the active segment for appending (the last one unless ``base`` is
        given); ``next_offset``/``size`` are its end as last published."""
        if base is None:
            base = list_segments(self.directory)[-1]
        path = segment_path(self.directory, base)
        self._active_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._active_base = base
        self._active_size = os.fstat(self._active_fd).st_size if size is None else size
        self._active_opened_at = time.monotonic()
        self._index = IndexWriter(
            path, base, self._active_size, segment_max_timestamp(path, base)
        )
        self.next_offset = max(next_offset, base)

    def _close_active(self) -> None:
        if self._active_fd >= 0:
            os.close(self._active_fd)
            self._active_fd = -1
        if self._index is not None:
            self._index.close()
            self._index = None

    def _publish(self) -> None:
        """Tell readers where the durable end is (after an fsync)."""
        fd = os.open(self.hw_path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, HW.pack(self.next_offset, self._active_base, self._active_size), 0)
        finally:
            os.close(fd)

    def sync_tail_locked(self) -> None:
        """Catch up with appends other processes made since we last held the lock.

        Full recovery runs once per partition per process; after that, only the
        bytes past the published end are validated.
        """
        if not self._recovered:
            if _identity(self.directory) not in _RECOVERED or not os.path.exists(self.hw_path):
                self._recover_locked()
                return
            self._recovered = True
        fd = os.open(self.hw_path, os.O_RDONLY)
        try:
            end, base, size = HW.unpack(os.pread(fd, HW.size, 0))
        finally:
            os.close(fd)
        if base != self._active_base:
            self._close_active()
            if not os.path.exists(segment_path(self.directory, base)):
                self._recover_locked()
                return
            self._open_active(end, base, size)
        actual = os.fstat(self._active_fd).st_size
        if end == self.next_offset and size == self._active_size == actual:
            return
        # another writer appended (and maybe died mid-write): trust hw, then
        # validate whatever lies beyond it
        valid_end, last_next, batches = scan_valid_end(self._active_fd, size)
        if valid_end < actual:
            log.warning(
                "%s: truncating %d bytes of torn write left by a dead producer at position %d",
                segment_path(self.directory, base), actual - valid_end, valid_end,
            )
            os.ftruncate(self._active_fd, valid_end)
        self._active_size = valid_end
        self.next_offset = last_next if last_next is not None else end
        for pos, header in batches:
            assert self._index is not None
            self._index.on_batch(pos, header)
        if batches:
            os.fsync(self._active_fd)
        self._publish()

    def recover(self) -> None:
        """Run crash recovery now (done implicitly before the first append)."""
        os.makedirs(self.directory, exist_ok=True)
        with locked(self.lock_path):
            self._recover_locked()

    # -- append -----------------------------------------------------------------

    def append(
        self,
        builders: Sequence[BatchBuilder | SealedBatch],
        producer_id: int = -1,
        txn_seq: int = -1,
        dedupe_from: int | None = None,
    ) -> list[tuple[int, int]]:
        """Append the batches durably (one write and one fsync when they fit the
        active segment); their ``(base_offset, next_offset)`` ranges.

        With ``dedupe_from``, nothing is appended if a batch of transaction
        ``(producer_id, txn_seq)`` is already stored at or after that offset:
        rolling a transaction forward twice appends it once.
        """
        ranges: list[tuple[int, int]] = []
        with locked(self.lock_path):
            self.sync_tail_locked()
            if dedupe_from is not None and self._has_txn_locked(dedupe_from, producer_id, txn_seq):
                return ranges
            pending: list[tuple[int, BatchHeader, bytes]] = []
            pending_bytes = 0
            for builder in builders:
                if builder.count == 0:
                    continue
                if self._should_roll(self._active_size + pending_bytes, len(builder)):
                    self._write_locked(pending)
                    pending, pending_bytes = [], 0
                    self._roll_locked()
                base = self.next_offset
                data = builder.seal(base, producer_id, txn_seq)
                header = read_header(data, 0)
                assert header is not None
                pending.append((self._active_size + pending_bytes, header, data))
                pending_bytes += len(data)
                self.next_offset = header.next_offset
                ranges.append((base, header.next_offset))
            self._write_locked(pending)
        return ranges

    def _has_txn_locked(self, from_offset: int, producer_id: int, txn_seq: int) -> bool:
        bases = list_segments(self.directory)
        for i, base in enumerate(bases):
            if i + 1 < len(bases) and bases[i + 1] <= from_offset:
                continue
            fd = os.open(segment_path(self.directory, base), os.O_RDONLY)
            try:
                pos = 0
                while True:
                    header = read_header(os.pread(fd, HEADER_SIZE, pos), 0)
                    if header is None:
                        break
                    if header.producer_id == producer_id and header.txn_seq == txn_seq:
                        return True
                    pos += header.length
            finally:
                os.close(fd)
        return False

    def _should_roll(self, size: int, incoming: int) -> bool:
        if size == 0:
            return False
        if size + incoming > self.config.segment_bytes:
            return True
        # segment.ms counts from when this process started appending to the
        # segment: record timestamps are event time and may be arbitrarily old
        return time.monotonic() - self._active_opened_at > self.config.segment_ms / 1000

    def _write_locked(self, pending: list[tuple[int, BatchHeader, bytes]]) -> None:
        if not pending:
            return
        data = b"".join(p[2] for p in pending)
        written = os.pwrite(self._active_fd, data, self._active_size)
        if written != len(data):
            raise OSError(f"short write to {self.directory}: disk full?")
        os.fdatasync(self._active_fd)
        assert self._index is not None
        for pos, header, _ in pending:
            self._index.on_batch(pos, header)
        self._active_size += len(data)
        self._publish()

    def _roll_locked(self) -> None:
        """Start a new segment at the current end, then apply retention."""
        self._close_active()
        path = segment_path(self.directory, self.next_offset)
        open(path, "ab").close()
        fsync_dir(self.directory)
        self._open_active(self.next_offset)
        self.enforce_retention_locked()
        if self.config.compact:
            from streamkit.log.embedded.compaction import compact_locked

            compact_locked(self)

    # -- retention ----------------------------------------------------------------

    def enforce_retention(self) -> list[int]:
        """Delete whole old segments past ``retention.ms``/``retention.bytes``."""
        with locked(self.lock_path):
            self.sync_tail_locked()
            return self.enforce_retention_locked()

    def enforce_retention_locked(self) -> list[int]:
        bases = list_segments(self.directory)[:-1]  # never the active segment
        deleted: list[int] = []
        if self.config.retention_ms >= 0:
            horizon = time.time() * 1000 - self.config.retention_ms
            for base in bases:
                if segment_max_timestamp(segment_path(self.directory, base), base) >= horizon:
                    break
                deleted.append(base)
        if self.config.retention_bytes >= 0:
            sizes = {b: os.path.getsize(segment_path(self.directory, b)) for b in bases}
            total = sum(sizes.values()) + self._active_size
            for base in bases:
                if base in deleted:
                    total -= sizes[base]
                    continue
                if total - sizes[base] < self.config.retention_bytes:
                    break
                deleted.append(base)
                total -= sizes[base]
        self._delete_segments_locked(deleted, "retention")
        return deleted

    def delete_records(self, offset: int) -> list[int]:
        """Delete the records before ``offset`` in whole segments: every closed
        segment whose successor starts at or before it (Kafka's ``deleteRecords``,
        at segment granularity, so the begin offset may stay below ``offset``).
        The active segment is never deleted. Returns the deleted segments' bases."""
        with locked(self.lock_path):
            self.sync_tail_locked()
            if not 0 <= offset <= self.next_offset:
                raise OffsetOutOfRange(f"offset {offset} is not between 0 and the end "
                                       f"offset {self.next_offset}")
            bases = list_segments(self.directory)
            deleted = [base for base, successor in pairwise(bases) if successor <= offset]
            self._delete_segments_locked(deleted, "delete_records")
            return deleted

    def _delete_segments_locked(self, bases: list[int], reason: str) -> None:
        """Delete these closed segments, oldest first; readers that hold one open
        keep reading it, the others see the partition start at the next one."""
        for base in bases:
            log.info("%s: deleting segment %s", reason, segment_path(self.directory, base))
            self._delete_segment(base)
        if bases:
            fsync_dir(self.directory)

    def _delete_segment(self, base: int) -> None:
        path = segment_path(self.directory, base)
        for p in (path, *index_paths(path)):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    def close(self) -> None:
        self._close_active()

    def published_end(self) -> int:
        """The end offset in ``hw`` (a lower bound for anything appended next)."""
        return read_end_offset(self.hw_path)
