"""Segment files and their sparse indexes.

A partition's log is a run of segment files named by their first offset
(``00000000000000000042.log``). Beside each, two sparse indexes written after
the data is durable and rebuilt by recovery, so they are only ever hints:

* ``.index``: ``(relative_offset u32, position u32)`` — where a batch starts;
* ``.timeindex``: ``(max_timestamp_before i64, position u32)`` — every record
  before ``position`` in the segment has a timestamp below ``max_timestamp_before``.

An entry is written for the first batch of a segment and then whenever
:data:`INDEX_INTERVAL_BYTES` have been appended since the last one.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Iterator

from streamkit.log.embedded.batch import HEADER_SIZE, BatchHeader, crc_ok, read_header

INDEX_INTERVAL_BYTES = 4096
OFFSET_ENTRY = struct.Struct("<II")
TIME_ENTRY = struct.Struct("<qI")
LOG_SUFFIX = ".log"


def segment_name(base_offset: int) -> str:
    """File name of the segment whose first offset is ``base_offset``."""
    return f"{base_offset:020d}{LOG_SUFFIX}"


def list_segments(partition_dir: str) -> list[int]:
    """Base offsets of the partition's segments, ascending."""
    try:
        names = os.listdir(partition_dir)
    except FileNotFoundError:
        return []
    return sorted(int(n[:-4]) for n in names if n.endswith(LOG_SUFFIX) and n[:-4].isdigit())


def segment_path(partition_dir: str, base_offset: int) -> str:
    return os.path.join(partition_dir, segment_name(base_offset))


def index_paths(log_path: str) -> tuple[str, str]:
    """The offset-index and time-index paths of a segment."""
    stem = log_path[: -len(LOG_SUFFIX)]
    return stem + ".index", stem + ".timeindex"


def scan_valid_end(
    fd: int, start: int = 0
) -> tuple[int, int | None, list[tuple[int, BatchHeader]]]:
    """Walk the valid batches from ``start``: ``(valid_end_position,
    next_offset_or_None, [(position, header), ...])``."""
    end = start
    next_offset: int | None = None
    batches: list[tuple[int, BatchHeader]] = []
    for pos, header, _chunk, _at in iter_valid_batches(fd, start):
        batches.append((pos, header))
        end = pos + header.length
        next_offset = header.next_offset
    return end, next_offset, batches


def iter_valid_batches(
    fd: int, start: int = 0, chunk: int = 4 << 20
) -> Iterator[tuple[int, BatchHeader, bytes, int]]:
    """Yield ``(position, header, chunk, offset_in_chunk)`` for each whole,
    CRC-valid batch from ``start``, stopping at the first torn or damaged one.
    Reads big chunks holding many batches."""
    size = os.fstat(fd).st_size
    pos = start
    while pos + HEADER_SIZE <= size:
        buf = os.pread(fd, chunk, pos)
        off = 0
        progressed = False
        while True:
            header = read_header(buf, off)
            if header is None:
                if len(buf) - off >= HEADER_SIZE:
                    return  # garbage where a header should be
                break
            if off + header.length > len(buf):
                if off == 0:  # a batch larger than the chunk
                    buf = os.pread(fd, header.length, pos)
                    if len(buf) < header.length:
                        return
                    continue
                break
            if not crc_ok(buf, off, header):
                return
            yield pos + off, header, buf, off
            off += header.length
            progressed = True
        if not progressed:
            return
        pos += off


class SegmentIndex:
    """The loaded sparse indexes of one segment (hints; callers validate)."""

    def __init__(self, log_path: str, base_offset: int) -> None:
        self.base_offset = base_offset
        offset_path, time_path = index_paths(log_path)
        self.offsets: list[int] = []
        self.offset_positions: list[int] = []
        self.times: list[int] = []
        self.time_positions: list[int] = []
        for path, entry, keys, values in (
            (offset_path, OFFSET_ENTRY, self.offsets, self.offset_positions),
            (time_path, TIME_ENTRY, self.times, self.time_positions),
        ):
            try:
                with open(path, "rb") as f:
                    raw = f.read()
            except FileNotFoundError:
                continue
            usable = len(raw) - len(raw) % entry.size
            for k, v in entry.iter_unpack(raw[:usable]):
                keys.append(k)
                values.append(v)

    def position_for_offset(self, offset: int) -> int:
        """A batch position at or before the batch holding ``offset``."""
        i = bisect.bisect_right(self.offsets, offset - self.base_offset) - 1
        return self.offset_positions[i] if i >= 0 else 0

    def position_for_time(self, timestamp: int) -> int:
        """A batch position before which every record is older than ``timestamp``."""
        # times are non-decreasing prefix maxima: entry i says all before its
        # position are < times[i]; take the last entry whose bound is <= timestamp.
        i = bisect.bisect_right(self.times, timestamp) - 1
        return self.time_positions[i] if i >= 0 else 0


class IndexWriter:
    """Appends index entries for one active segment, sparsely."""

    def __init__(self, log_path: str, base_offset: int, size: int, max_timestamp: int) -> None:
        offset_path, time_path = index_paths(log_path)
        self.base_offset = base_offset
        self._offset_fd = os.open(offset_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._time_fd = os.open(time_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._last_indexed = -INDEX_INTERVAL_BYTES if size == 0 else size
        self.max_timestamp = max_timestamp

    def on_batch(self, position: int, header: BatchHeader) -> None:
        """Record a batch just made durable at ``position``."""
        if position - self._last_indexed >= INDEX_INTERVAL_BYTES:
            relative = header.base_offset - self.base_offset
            os.write(self._offset_fd, OFFSET_ENTRY.pack(relative, position))
            os.write(self._time_fd, TIME_ENTRY.pack(self.max_timestamp + 1, position))
            self._last_indexed = position
        self.max_timestamp = max(self.max_timestamp, header.max_timestamp)

    def close(self) -> None:
        os.close(self._offset_fd)
        os.close(self._time_fd)


def segment_max_timestamp(log_path: str, base_offset: int) -> int:
    """Largest record timestamp in a segment (``-1`` if empty), reading only the
    headers after the last time-index entry."""
    index = SegmentIndex(log_path, base_offset)
    pos = index.time_positions[-1] if index.times else 0
    max_ts = index.times[-1] - 1 if index.times else -1
    fd = os.open(log_path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        while pos + HEADER_SIZE <= size:
            header = read_header(os.pread(fd, HEADER_SIZE, pos), 0)
            if header is None:
                break
            max_ts = max(max_ts, header.max_timestamp)
            pos += header.length
    finally:
        os.close(fd)
    return max_ts


def rebuild_index(
    log_path: str, base_offset: int, batches: list[tuple[int, BatchHeader]]
) -> int:
    """Rewrite both indexes of a segment from its batches; its max timestamp."""
    offset_path, time_path = index_paths(log_path)
    offsets = bytearray()
    times = bytearray()
    last = -INDEX_INTERVAL_BYTES
    max_ts = -1
    for pos, header in batches:
        if pos - last >= INDEX_INTERVAL_BYTES:
            offsets += OFFSET_ENTRY.pack(header.base_offset - base_offset, pos)
            times += TIME_ENTRY.pack(max_ts + 1, pos)
            last = pos
        max_ts = max(max_ts, header.max_timestamp)
    for path, data in ((offset_path, offsets), (time_path, times)):
        with open(path, "wb") as f:
            f.write(data)
    return max_ts
