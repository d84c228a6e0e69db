"""murmur2 and key → partition must match Java Kafka's ``Utils.murmur2`` bit for bit."""

import pytest

from streamkit.log.partitioner import murmur2, partition_for_key

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
