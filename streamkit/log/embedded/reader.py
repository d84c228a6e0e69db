"""Reading one partition: sequential, chunked, lazily decoded, never past ``hw``."""

from __future__ import annotations

import bisect
import os

from streamkit.log.embedded.batch import (
    HEADER_SIZE,
    BatchHeader,
    crc_ok,
    decode_records,
    read_header,
)
from streamkit.log.embedded.partition_log import HW
from streamkit.log.embedded.segment import SegmentIndex, list_segments, segment_path
from streamkit.log.errors import BrokerError, OffsetOutOfRange
from streamkit.log.records import Record

CHUNK_BYTES = 1 << 20


class CorruptLog(BrokerError):
    """A durable batch failed its CRC check."""


class PartitionReader:
    """Reads records of one partition from any offset, in offset order.

    Keeps an open segment and a file position so that sequential reads cost one
    ``pread`` per chunk; records are decoded one batch at a time.
    """

    def __init__(self, directory: str, topic: str, partition: int) -> None:
        self.directory = directory
        self.topic = topic
        self.partition = partition
        self._hw_path = os.path.join(directory, "hw")
        self._hw_fd = -1
        self._segment_base = -1
        self._fd = -1
        self._file_pos = 0
        self._next_offset = -1  # the offset a read continuing at _file_pos yields
        self._chunk = b""
        self._chunk_pos = 0
        self._chunk_end_offset = -1
        self._buffer: list[Record] = []
        self._buffer_at = 0

    def end_offset(self) -> int:
        """The durable end offset (the high watermark)."""
        if self._hw_fd < 0:
            try:
                self._hw_fd = os.open(self._hw_path, os.O_RDONLY)
            except FileNotFoundError:
                return 0
        raw = os.pread(self._hw_fd, HW.size, 0)
        return HW.unpack(raw)[0] if len(raw) == HW.size else 0

    def begin_offset(self) -> int:
        """The first offset still stored."""
        bases = list_segments(self.directory)
        return bases[0] if bases else 0

    def read(self, position: int, max_records: int) -> list[Record]:
        """Up to ``max_records`` records with offsets >= ``position``; raises
        :class:`OffsetOutOfRange` if ``position`` was deleted (retention, delete_records)."""
        out: list[Record] = []
        buffered = self._buffer
        if self._buffer_at < len(buffered) and buffered[self._buffer_at].offset == position:
            take = buffered[self._buffer_at : self._buffer_at + max_records]
            self._buffer_at += len(take)
            return take
        end = self.end_offset()
        if position >= end:
            return out
        if position != self._next_offset or self._fd < 0:
            self._seek(position)
        while len(out) < max_records and self._next_offset < end:
            try:
                batch = self._next_batch(end)
            except CorruptLog:
                if out:
                    return out  # hand over the good records; the next read raises
                raise
            if batch is None:
                break
            records = batch
            if records and records[0].offset < position:
                records = [r for r in records if r.offset >= position]
            room = max_records - len(out)
            if len(records) > room:
                out.extend(records[:room])
                self._buffer, self._buffer_at = records, room
                break
            out.extend(records)
        return out

    def _seek(self, offset: int) -> None:
        self._buffer, self._buffer_at = [], 0
        while True:
            bases = list_segments(self.directory)
            if not bases or offset < bases[0]:
                raise OffsetOutOfRange(
                    f"offset {offset} of {self.topic}[{self.partition}] was deleted "
                    "(by retention or delete_records)"
                )
            base = bases[bisect.bisect_right(bases, offset) - 1]
            try:
                self._open_segment(base)
                break
            except FileNotFoundError:
                continue  # deleted since listed: the next listing tells where the log starts
        hint = SegmentIndex(segment_path(self.directory, base), base).position_for_offset(offset)
        header = self._header_at(hint)
        if header is None or header.base_offset > offset:
            hint = 0
        self._file_pos = hint
        # skip whole batches that end before the offset, reading headers only
        while True:
            header = self._header_at(self._file_pos)
            if header is None or header.next_offset > offset:
                break
            self._file_pos += header.length
        self._next_offset = offset

    def _header_at(self, pos: int) -> BatchHeader | None:
        return read_header(os.pread(self._fd, HEADER_SIZE, pos), 0)

    def _open_segment(self, base: int) -> None:
        fd = os.open(segment_path(self.directory, base), os.O_RDONLY)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = fd
        self._segment_base = base
        self._file_pos = 0
        self._chunk, self._chunk_pos, self._chunk_end_offset = b"", 0, -1

    def _next_batch(self, end: int) -> list[Record] | None:
        """Decode the batch at the cursor if it is durable (below ``end``); move
        to the next segment at the end of this one."""
        chunk, at = self._chunk, self._file_pos - self._chunk_pos
        header = read_header(chunk, at) if 0 <= at < len(chunk) else None
        # cached bytes are final only for batches that were durable when read
        if header is None or at + header.length > len(chunk) or (
            header.next_offset > self._chunk_end_offset
        ):
            chunk = self._chunk = os.pread(self._fd, CHUNK_BYTES, self._file_pos)
            self._chunk_pos, self._chunk_end_offset, at = self._file_pos, end, 0
            header = read_header(chunk, 0)
            if header is None:
                if not self._advance_segment():
                    return None
                return []
            if header.next_offset > end:
                return None  # not yet durable
            if header.length > len(chunk):
                chunk = self._chunk = os.pread(self._fd, header.length, self._file_pos)
        if not crc_ok(chunk, at, header):
            raise CorruptLog(
                f"{segment_path(self.directory, self._segment_base)} is corrupt at position "
                f"{self._file_pos}: restart the processes using the log so recovery truncates it"
            )
        self._file_pos += header.length
        self._next_offset = header.next_offset
        return decode_records(chunk, at, header, self.topic, self.partition)

    def _advance_segment(self) -> bool:
        bases = list_segments(self.directory)
        i = bisect.bisect_right(bases, self._segment_base)
        if i >= len(bases):
            return False
        try:
            self._open_segment(bases[i])
        except FileNotFoundError:
            # deleted since listed, and so was this segment's rest: OffsetOutOfRange
            self._seek(self._next_offset)
            return True
        self._next_offset = max(self._next_offset, bases[i])
        return True

    def close(self) -> None:
        for fd in (self._fd, self._hw_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._hw_fd = -1
