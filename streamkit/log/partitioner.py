"""Key → partition, identical to Java Kafka's default partitioner (murmur2).

>>> murmur2(b"21")
-973932308
>>> partition_for_key(b"foobar", 4)
2
>>> KeyPartitioner(4).partition(b"foobar")
2
"""

from __future__ import annotations

import struct
from collections.abc import Callable

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF

# One little-endian unpacker per key length in 4-byte words: unpacking every word
# in one C call is about twice as fast as slicing and int.from_bytes per word.
_WORD_UNPACKERS: dict[int, Callable[[bytes], tuple[int, ...]]] = {}


def _words_unpacker(words: int) -> Callable[[bytes], tuple[int, ...]]:
    unpack = _WORD_UNPACKERS.get(words)
    if unpack is None:
        unpack = struct.Struct(f"<{words}I").unpack_from
        if len(_WORD_UNPACKERS) < 256:  # typical keys are short; don't hoard long ones
            _WORD_UNPACKERS[words] = unpack
    return unpack


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2``: a signed 32-bit hash of ``data``."""
    length = len(data)
    h = _SEED ^ length  # 32 bits as long as length < 2**32
    words = length >> 2
    if words:
        for k in _words_unpacker(words)(data):
            k = (k * _M) & _MASK
            k = ((k ^ (k >> 24)) * _M) & _MASK
            h = ((h * _M) & _MASK) ^ k
    rest = length & 3
    if rest:
        tail = words << 2
        if rest == 3:
            h ^= data[tail + 2] << 16
        if rest >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * _M) & _MASK
    h = ((h ^ (h >> 13)) * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Java's default partitioner picks for a non-null key."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KeyPartitioner:
    """:func:`partition_for_key` for one partition count, remembering the answer
    for recently seen keys so that a repeated key is hashed once.

    Streams repeat keys (users, accounts, pages), and murmur2 in pure Python costs
    more than encoding the record. The memory is bounded: at most ``max_keys``
    keys of at most ``max_key_bytes`` bytes each are kept, and the whole memo is
    forgotten when it fills (cheaper per hit than an LRU, and it follows a
    changing key set). Longer keys and other bytes-likes are hashed every time.

    Hot paths may call :attr:`cached` (a bound ``dict.get``: the partition or
    ``None``) and fall back to :meth:`partition` on ``None``.

    >>> p = KeyPartitioner(7, max_keys=2)
    >>> [p.partition(k) for k in (b"21", b"foobar", b"abc", b"21")]
    [3, 0, 4, 3]
    >>> len(p)  # b"abc" found the memo full and emptied it
    2
    """

    __slots__ = ("_memo", "cached", "max_key_bytes", "max_keys", "partitions")

    def __init__(self, partitions: int, max_keys: int = 65_536, max_key_bytes: int = 64) -> None:
        if partitions < 1:
            raise ValueError(f"a topic has at least one partition, not {partitions}")
        self.partitions = partitions
        self.max_keys = max_keys
        self.max_key_bytes = max_key_bytes
        self._memo: dict[bytes, int] = {}
        self.cached: Callable[[bytes], int | None] = self._memo.get

    def partition(self, key: bytes) -> int:
        """The partition of ``key`` (non-null), as :func:`partition_for_key`."""
        memo = self._memo
        try:
            found = memo.get(key)
        except (TypeError, ValueError):  # unhashable (bytearray, writable memoryview)
            return partition_for_key(key, self.partitions)
        if found is not None:
            return found
        partition = (murmur2(key) & 0x7FFFFFFF) % self.partitions
        if len(key) <= self.max_key_bytes and type(key) is bytes:  # never pin a buffer
            if len(memo) >= self.max_keys:
                memo.clear()  # keeps the dict, so ``cached`` stays bound to it
            memo[key] = partition
        return partition

    def __len__(self) -> int:
        """How many keys are remembered now."""
        return len(self._memo)
