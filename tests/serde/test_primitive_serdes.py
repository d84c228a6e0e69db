"""String, bytes, int, long and double serdes: round trips and byte-compatibility
with Kafka's Java serializers (org.apache.kafka.common.serialization)."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.serde import (
    BytesSerde,
    DoubleSerde,
    IntSerde,
    LongSerde,
    SerdeError,
    StringSerde,
)

# (serde, value, bytes Kafka's Java serializer writes for it)
JAVA_VECTORS = [
    (IntSerde(), 1, b"\x00\x00\x00\x01"),
    (IntSerde(), -1, b"\xff\xff\xff\xff"),
    (IntSerde(), 256, b"\x00\x00\x01\x00"),
    (IntSerde(), 2**31 - 1, b"\x7f\xff\xff\xff"),
    (IntSerde(), -(2**31), b"\x80\x00\x00\x00"),
    (LongSerde(), 1, b"\x00" * 7 + b"\x01"),
    (LongSerde(), -1, b"\xff" * 8),
    (LongSerde(), 2**63 - 1, b"\x7f" + b"\xff" * 7),
    (LongSerde(), -(2**63), b"\x80" + b"\x00" * 7),
    (LongSerde(), 1_700_000_000_000, bytes.fromhex("0000018bcfe56800")),
    (DoubleSerde(), 1.5, struct.pack(">d", 1.5)),
    (DoubleSerde(), 1.5, bytes.fromhex("3ff8000000000000")),
    (DoubleSerde(), -2.0, bytes.fromhex("c000000000000000")),
    (DoubleSerde(), 0.1, bytes.fromhex("3fb999999999999a")),
    (DoubleSerde(), math.inf, bytes.fromhex("7ff0000000000000")),
    (StringSerde(), "héllo", b"h\xc3\xa9llo"),
    (StringSerde(), "", b""),
    (BytesSerde(), b"\x00\xff", b"\x00\xff"),
]


@pytest.mark.parametrize(("serde", "value", "java_bytes"), JAVA_VECTORS)
def test_serialize_writes_the_same_bytes_as_kafkas_java_serializer(serde, value, java_bytes):
    assert serde.serialize(value) == java_bytes


@pytest.mark.parametrize(("serde", "value", "java_bytes"), JAVA_VECTORS)
def test_deserialize_reads_bytes_written_by_kafkas_java_serializer(serde, value, java_bytes):
    assert serde.deserialize(java_bytes) == value


def test_double_nan_is_javas_canonical_nan():
    # Java's DoubleSerializer writes Double.doubleToLongBits(NaN) = 0x7ff8000000000000.
    assert DoubleSerde().serialize(math.nan) == bytes.fromhex("7ff8000000000000")
    assert math.isnan(DoubleSerde().deserialize(bytes.fromhex("7ff8000000000000")))


def test_negative_zero_keeps_its_sign():
    assert DoubleSerde().serialize(-0.0) == bytes.fromhex("8000000000000000")
    assert math.copysign(1.0, DoubleSerde().deserialize(bytes.fromhex("8000000000000000"))) == -1


@pytest.mark.parametrize("serde", [StringSerde(), BytesSerde(), IntSerde(), LongSerde(),
                                   DoubleSerde()], ids=repr)
def test_none_is_a_null_key_or_tombstone_both_ways(serde):
    assert serde.serialize(None) is None
    assert serde.deserialize(None) is None


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_int_round_trips(value):
    data = IntSerde().serialize(value)
    assert len(data) == 4
    assert IntSerde().deserialize(data) == value


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_long_round_trips(value):
    data = LongSerde().serialize(value)
    assert len(data) == 8
    assert LongSerde().deserialize(data) == value


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_double_round_trips_bit_for_bit(value):
    data = DoubleSerde().serialize(value)
    assert data == struct.pack(">d", value)
    assert DoubleSerde().serialize(DoubleSerde().deserialize(data)) == data


@given(st.text())
def test_string_round_trips(value):
    assert StringSerde().deserialize(StringSerde().serialize(value)) == value


@given(st.binary())
def test_bytes_pass_through_unchanged(value):
    assert BytesSerde().deserialize(BytesSerde().serialize(value)) == value


@pytest.mark.parametrize(("serde", "data", "reason"), [
    (IntSerde(), b"\x00\x00\x01", "expected exactly 4 bytes (Kafka IntegerSerializer format), got 3"),
    (IntSerde(), b"\x00" * 8, "expected exactly 4 bytes"),
    (IntSerde(), b"", "got 0"),
    (LongSerde(), b"\x00\x00\x00\x01", "expected exactly 8 bytes (Kafka LongSerializer format), got 4"),
    (DoubleSerde(), b"\x3f\xf8", "expected exactly 8 bytes (Kafka DoubleSerializer format), got 2"),
    (StringSerde(), b"ab\xffcd", "not valid UTF-8"),
])
def test_malformed_bytes_raise_serde_error_saying_why(serde, data, reason):
    with pytest.raises(SerdeError, match=r"cannot decode \w+") as caught:
        serde.deserialize(data)
    assert reason in str(caught.value)
    assert repr(data) in str(caught.value)  # the bad bytes are shown


@pytest.mark.parametrize(("serde", "value", "reason"), [
    (IntSerde(), 2**31, "-2147483648 <= number <= 2147483647"),
    (IntSerde(), "7", "as int (Kafka IntegerSerializer)"),
    (IntSerde(), 1.5, "as int"),
    (LongSerde(), 2**63, "as long"),
    (DoubleSerde(), "1.5", "as double"),
    (StringSerde(), 42, "expected str"),
    (StringSerde(), "\ud800", "as UTF-8"),
    (BytesSerde(), "text", "expected bytes"),
])
def test_values_of_the_wrong_type_raise_serde_error(serde, value, reason):
    with pytest.raises(SerdeError, match="cannot serialize") as caught:
        serde.serialize(value)
    assert reason in str(caught.value)


def test_bytes_serde_accepts_bytearray_and_memoryview():
    assert BytesSerde().serialize(bytearray(b"ab")) == b"ab"
    assert BytesSerde().serialize(memoryview(b"cd")) == b"cd"
