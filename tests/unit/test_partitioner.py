"""murmur2 and key → partition must match Java Kafka's ``Utils.murmur2`` bit for bit."""


import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.log.partitioner import KeyPartitioner, murmur2, partition_for_key

# Verified against Java's org.apache.kafka.common.utils.Utils.murmur2.
JAVA_MURMUR2 = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
    (b"", 275646681),
    (b"user-42", 1459644460),
    ("été".encode(), -2101193575),
]

JAVA_PARTITION_OF_7 = [
    (b"21", 3),
    (b"foobar", 0),
    (b"abc", 4),
    (b"user-42", 1),
    ("été".encode(), 4),
]


@pytest.mark.parametrize(("key", "expected"), JAVA_MURMUR2)
def test_murmur2_equals_java(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


@pytest.mark.parametrize(("key", "expected"), JAVA_PARTITION_OF_7)
def test_partition_for_key_equals_java_default_partitioner(key: bytes, expected: int) -> None:
    assert partition_for_key(key, 7) == expected


@pytest.mark.parametrize("partitions", [1, 2, 3, 7, 64])
def test_partition_is_always_in_range(partitions: int) -> None:
    for i in range(200):
        assert 0 <= partition_for_key(f"key-{i}".encode(), partitions) < partitions


def test_one_partition_takes_every_key() -> None:
    assert {partition_for_key(bytes([b]), 1) for b in range(256)} == {0}


def _reference_murmur2(data: bytes) -> int:
    """A line-by-line transcription of Java's ``Utils.murmur2``: the spec the
    optimised :func:`murmur2` is checked against."""
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    for i in range(len(data) // 4):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = len(data) & ~3
    rest = len(data) % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h >= 1 << 31 else h


@given(st.binary(max_size=300))
def test_murmur2_equals_the_reference_for_any_bytes(data: bytes) -> None:
    assert murmur2(data) == _reference_murmur2(data)


def test_murmur2_takes_any_bytes_like() -> None:
    for key, expected in JAVA_MURMUR2:
        assert murmur2(bytearray(key)) == murmur2(memoryview(key)) == expected


@pytest.mark.parametrize(("key", "expected"), JAVA_PARTITION_OF_7)
def test_key_partitioner_equals_java_default_partitioner(key: bytes, expected: int) -> None:
    partitioner = KeyPartitioner(7)
    assert partitioner.partition(key) == expected
    assert partitioner.partition(key) == expected  # now from the memo
    assert partitioner.cached(key) == expected


@given(st.lists(st.binary(max_size=80), max_size=200), st.integers(1, 64), st.integers(1, 16))
def test_key_partitioner_agrees_with_partition_for_key_and_stays_bounded(
    keys: list[bytes], partitions: int, max_keys: int
) -> None:
    partitioner = KeyPartitioner(partitions, max_keys=max_keys, max_key_bytes=40)
    for key in keys + keys:  # the second pass hits the memo
        assert partitioner.partition(key) == partition_for_key(key, partitions)
        assert len(partitioner) <= max_keys
        cached = partitioner.cached(key)
        assert cached is None or cached == partition_for_key(key, partitions)


def test_key_partitioner_forgets_everything_when_full_and_keeps_working() -> None:
    partitioner = KeyPartitioner(5, max_keys=3)
    for key in (b"a", b"b", b"c"):
        partitioner.partition(key)
    assert len(partitioner) == 3 and partitioner.cached(b"a") is not None
    partitioner.partition(b"d")
    assert len(partitioner) == 1
    assert partitioner.cached(b"a") is None
    assert partitioner.cached(b"d") == partition_for_key(b"d", 5)


def test_key_partitioner_does_not_remember_long_keys_or_other_bytes_likes() -> None:
    partitioner = KeyPartitioner(7, max_key_bytes=8)
    long_key = b"a-little-bit-long-string"
    assert partitioner.partition(long_key) == partition_for_key(long_key, 7)
    assert partitioner.partition(bytearray(b"21")) == 3  # unhashable
    assert partitioner.partition(memoryview(bytearray(b"foobar"))) == 0  # unhashable view
    assert partitioner.partition(memoryview(b"abc")) == 4  # hashable, but pins a buffer
    assert len(partitioner) == 0


def test_a_topic_needs_a_partition() -> None:
    with pytest.raises(ValueError, match="at least one partition"):
        KeyPartitioner(0)
