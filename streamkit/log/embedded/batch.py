"""The record-batch format: how records are laid out in a segment file.

A batch is a 52-byte header followed by its records, all little-endian::

    magic u32 | length u32 | crc u32 | base_offset i64 | last_offset_delta u32 |
    count u32 | max_timestamp i64 | producer_id i64 | txn_seq i64 | records...

``length`` counts the whole batch, header included; ``crc`` is CRC-32 of every
byte after the crc field, so a torn or damaged batch is always detected.
``producer_id``/``txn_seq`` name the transaction that wrote the batch (``-1``
outside transactions) so that rolling a transaction forward is idempotent.

Each record is::

    offset_delta u32 | timestamp i64 | key_len i32 | value_len i32 | header_count u16 |
    key | value | (name_len u16 | value_len i32 | name | value) * header_count

with ``-1`` lengths for a null key or value. Offsets are ``base_offset +
offset_delta``; compaction leaves gaps, so deltas are stored, not implied.
"""

from __future__ import annotations

import struct
import zlib
from typing import NamedTuple

from streamkit.log.records import Headers, Record, new_record

MAGIC = 0x314C4B53  # b"SKL1"
HEADER = struct.Struct("<IIIqIIqqq")
HEADER_SIZE = HEADER.size
_RECORD = struct.Struct("<IqiiH")
_pack_record = _RECORD.pack
_HEADER_ENTRY = struct.Struct("<Hi")
_CRC_FROM = 12  # the crc covers everything after magic, length and crc

class BatchHeader(NamedTuple):
    """The decoded header of one batch."""

    length: int
    crc: int
    base_offset: int
    last_offset_delta: int
    record_count: int
    max_timestamp: int
    producer_id: int
    txn_seq: int

    @property
    def next_offset(self) -> int:
        """The offset after this batch's last record."""
        return self.base_offset + self.last_offset_delta + 1


def _add_general(
    body: bytearray,
    delta: int,
    timestamp: int,
    key: bytes | None,
    value: bytes | None,
    headers: Headers,
) -> None:
    """Append a record with any null key/value and any headers to ``body``."""
    headers = tuple(headers)
    body += _pack_record(
        delta,
        timestamp,
        -1 if key is None else len(key),
        -1 if value is None else len(value),
        len(headers),
    )
    if key is not None:
        body += key
    if value is not None:
        body += value
    for name, hvalue in headers:
        encoded = name.encode()
        body += _HEADER_ENTRY.pack(len(encoded), len(hvalue))
        body += encoded
        body += hvalue


class BatchBuilder:
    """Accumulates records for one partition into an offset-free batch body.

    The body does not depend on the base offset, so it is built outside any lock
    and only the header is made (:meth:`seal`) once the offset is known.
    """

    __slots__ = ("body", "count", "last_delta", "max_timestamp")

    def __init__(self) -> None:
        self.body = bytearray()
        self.count = 0
        self.max_timestamp = -1
        self.last_delta = -1

    def add(
        self,
        timestamp: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers = (),
        offset_delta: int | None = None,
    ) -> int:
        """Append one record (``offset_delta`` defaults to the next one); the
        body's size in bytes afterwards.

        A record that cannot be encoded (say a ``str`` value: ``TypeError``)
        raises and leaves the batch as it was.
        """
        # The producer calls this once per record: the common shape (key and
        # value present, no headers) takes three appends and nothing else.
        delta = self.last_delta + 1 if offset_delta is None else offset_delta
        body = self.body
        size = len(body)
        try:
            if headers or key is None or value is None:
                _add_general(body, delta, timestamp, key, value, headers)
            else:
                body += _pack_record(delta, timestamp, len(key), len(value), 0)
                body += key
                body += value
        except TypeError as exc:
            del body[size:]
            raise TypeError(
                f"record keys, values and header values must be bytes: {exc}"
            ) from None
        except BaseException:
            del body[size:]  # never leave half a record in the batch
            raise
        self.count += 1
        self.last_delta = delta
        if timestamp > self.max_timestamp:  # noqa: PLR1730 (a max() call costs more per record)
            self.max_timestamp = timestamp
        return len(body)

    def __len__(self) -> int:
        return len(self.body) + HEADER_SIZE

    def seal(self, base_offset: int, producer_id: int = -1, txn_seq: int = -1) -> bytes:
        """The complete batch bytes, header and CRC included."""
        length = HEADER_SIZE + len(self.body)
        head = bytearray(
            HEADER.pack(
                MAGIC, length, 0, base_offset, self.last_delta, self.count,
                self.max_timestamp, producer_id, txn_seq,
            )
        )
        crc = zlib.crc32(self.body, zlib.crc32(memoryview(head)[_CRC_FROM:]))
        struct.pack_into("<I", head, 8, crc)
        return bytes(head) + self.body


def read_header(buf: bytes | bytearray | memoryview, pos: int) -> BatchHeader | None:
    """The header at ``pos``, or ``None`` if ``buf`` holds no plausible one there
    (too short, or wrong magic)."""
    if len(buf) - pos < HEADER_SIZE:
        return None
    magic, length, crc, base, last, count, max_ts, pid, seq = HEADER.unpack_from(buf, pos)
    if magic != MAGIC or length < HEADER_SIZE:
        return None
    return BatchHeader(length, crc, base, last, count, max_ts, pid, seq)


def crc_ok(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> bool:
    """Whether the batch at ``pos`` is complete in ``buf`` and its CRC matches."""
    end = pos + header.length
    if end > len(buf):
        return False
    return zlib.crc32(memoryview(buf)[pos + _CRC_FROM : end]) == header.crc


def decode_records(
    buf: bytes, pos: int, header: BatchHeader, topic: str, partition: int
) -> list[Record]:
    """Every record of the (already validated) batch at ``pos``."""
    unpack = _RECORD.unpack_from
    base = header.base_offset
    p = pos + HEADER_SIZE
    end = pos + header.length
    out: list[Record] = []
    append = out.append
    while p < end:
        delta, ts, klen, vlen, nh = unpack(buf, p)
        p += 22
        if klen >= 0:
            key: bytes | None = buf[p : p + klen]
            p += klen
        else:
            key = None
        if vlen >= 0:
            value: bytes | None = buf[p : p + vlen]
            p += vlen
        else:
            value = None
        headers: Headers = ()
        if nh:
            items = []
            for _ in range(nh):
                nlen, hlen = _HEADER_ENTRY.unpack_from(buf, p)
                p += 6
                name = buf[p : p + nlen].decode()
                p += nlen
                items.append((name, buf[p : p + hlen]))
                p += hlen
            headers = tuple(items)
        append(new_record((topic, partition, base + delta, ts, key, value, headers)))
    return out


class SealedBatch:
    """A batch already encoded (e.g. read back from a transaction intent) that
    can be given a new base offset and transaction id, like a builder."""

    __slots__ = ("count", "data")

    def __init__(self, data: bytes) -> None:
        header = read_header(data, 0)
        if header is None or not crc_ok(data, 0, header) or header.length != len(data):
            raise ValueError("not a whole, valid batch")
        self.data = data
        self.count = header.count

    def __len__(self) -> int:
        return len(self.data)

    def seal(self, base_offset: int, producer_id: int = -1, txn_seq: int = -1) -> bytes:
        head = bytearray(self.data[:HEADER_SIZE])
        struct.pack_into("<q", head, 12, base_offset)
        struct.pack_into("<qq", head, 36, producer_id, txn_seq)
        body = memoryview(self.data)[HEADER_SIZE:]
        crc = zlib.crc32(body, zlib.crc32(memoryview(head)[_CRC_FROM:]))
        struct.pack_into("<I", head, 8, crc)
        return bytes(head) + body
