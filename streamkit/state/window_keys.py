"""The byte layout of window stores: pure functions, no I/O.

A window of key ``k`` (serialized, ``n`` bytes) from ``start`` to ``end`` is stored
under two keys, written together:

* the **primary** key ``n (4 bytes) | k | start | end``: all windows of one key are
  contiguous and sorted by start, so :meth:`fetch` is one range scan; the length
  prefix keeps key ``b"a"`` from matching key ``b"ab"``;
* the **by-end** index key ``end | n | k | start`` (empty value): every window sorted
  by end time, so finding windows to close is one scan from the beginning.

Times are signed 64-bit milliseconds written big-endian with the sign bit flipped,
so byte order is numeric order, negative times included.

>>> primary = primary_key(b"k", 10, 20)
>>> decode_primary_key(primary)
(b'k', 10, 20)
>>> decode_index_key(index_key(b"k", 10, 20))
(b'k', 10, 20)
>>> encode_time(-1) < encode_time(0) < encode_time(1)
True
"""

from __future__ import annotations

import struct

_TIME = struct.Struct(">Q")
_TIMES = struct.Struct(">QQ")
_LENGTH = struct.Struct(">I")
_SIGN = 1 << 63
TIME_BIAS = _SIGN
"""Added to a time before packing it unsigned (flips the sign bit)."""
two_times = _TIMES.pack
"""Packs two biased times: ``prefix + two_times(start + TIME_BIAS, end + TIME_BIAS)``
is :func:`primary_key_of_prefix`, for callers that cannot afford the call."""
TIME_MIN = -(1 << 63)
TIME_MAX = (1 << 63) - 1


def encode_time(ms: int) -> bytes:
    """``ms`` as 8 bytes whose byte order is numeric order."""
    return _TIME.pack(ms + _SIGN)


def decode_time(data: bytes, offset: int = 0) -> int:
    """The time :func:`encode_time` wrote at ``offset`` of ``data``."""
    return _TIME.unpack_from(data, offset)[0] - _SIGN


def key_prefix(key: bytes) -> bytes:
    """The prefix every primary key of ``key``'s windows starts with."""
    return _LENGTH.pack(len(key)) + key


def primary_key(key: bytes, start: int, end: int) -> bytes:
    """Where the value of window ``[start, end)`` of ``key`` is stored."""
    return _LENGTH.pack(len(key)) + key + _TIMES.pack(start + _SIGN, end + _SIGN)


def primary_key_of_prefix(prefix: bytes, start: int, end: int) -> bytes:
    """:func:`primary_key` from the key's :func:`key_prefix` (which callers on a hot
    path compute once per key).

    >>> primary_key_of_prefix(key_prefix(b"k"), 10, 20) == primary_key(b"k", 10, 20)
    True
    """
    return prefix + _TIMES.pack(start + _SIGN, end + _SIGN)


def index_key_of_prefix(prefix: bytes, start: int, end: int) -> bytes:
    """:func:`index_key` from the key's :func:`key_prefix`.

    >>> index_key_of_prefix(key_prefix(b"k"), 10, 20) == index_key(b"k", 10, 20)
    True
    """
    return _TIME.pack(end + _SIGN) + prefix + _TIME.pack(start + _SIGN)


def decode_primary_key(data: bytes) -> tuple[bytes, int, int]:
    """``(key, start, end)`` of a :func:`primary_key`."""
    (length,) = _LENGTH.unpack_from(data, 0)
    key_end = 4 + length
    return data[4:key_end], decode_time(data, key_end), decode_time(data, key_end + 8)


def index_key(key: bytes, start: int, end: int) -> bytes:
    """The by-end index entry of window ``[start, end)`` of ``key``."""
    return _TIME.pack(end + _SIGN) + _LENGTH.pack(len(key)) + key + _TIME.pack(start + _SIGN)


def decode_index_key(data: bytes) -> tuple[bytes, int, int]:
    """``(key, start, end)`` of an :func:`index_key`."""
    end = decode_time(data, 0)
    (length,) = _LENGTH.unpack_from(data, 8)
    key_end = 12 + length
    return data[12:key_end], decode_time(data, key_end), end


def index_key_of_primary(primary: bytes) -> bytes:
    """The index entry that goes with a primary key (used when restoring)."""
    key, start, end = decode_primary_key(primary)
    return index_key(key, start, end)


def prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``
    (``None`` when there is none: ``prefix`` is empty or all ``0xff``).

    >>> prefix_upper_bound(b"ab")
    b'ac'
    >>> prefix_upper_bound(b"a\\xff")
    b'b'
    """
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])
