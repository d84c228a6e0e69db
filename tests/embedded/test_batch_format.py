"""The batch format: round trips, CRC detection, deterministic assignment."""


from streamkit.log import Record, TopicPartition
from streamkit.log.embedded.assignment import assign_range
from streamkit.log.embedded.batch import (
    BatchBuilder,
    SealedBatch,
    crc_ok,
    decode_records,
    read_header,
)


def test_records_round_trip_through_a_batch() -> None:
    builder = BatchBuilder()
    builder.add(10, b"k", b"v", (("h", b"1"), ("h2", b"")))
    builder.add(11, None, None)
    builder.add(12, b"", b"")
    raw = builder.seal(100)
    header = read_header(raw, 0)
    assert header is not None and crc_ok(raw, 0, header)
    assert header.next_offset == 103 and header.max_timestamp == 12
    assert decode_records(raw, 0, header, "t", 3) == [
        Record("t", 3, 100, 10, b"k", b"v", (("h", b"1"), ("h2", b""))),
        Record("t", 3, 101, 11, None, None, ()),
        Record("t", 3, 102, 12, b"", b"", ()),
    ]


def test_every_single_byte_flip_after_the_length_is_detected() -> None:
    builder = BatchBuilder()
    builder.add(1, b"key", b"value")
    raw = builder.seal(7)
    for i in range(len(raw)):
        damaged = bytearray(raw)
        damaged[i] ^= 0x40
        header = read_header(damaged, 0)
        assert header is None or not crc_ok(damaged, 0, header), f"flip at byte {i} undetected"


def test_a_sealed_batch_can_be_rebased_with_a_transaction_id() -> None:
    builder = BatchBuilder()
    builder.add(1, b"a", b"b")
    rebased = SealedBatch(builder.seal(0)).seal(40, producer_id=9, txn_seq=3)
    header = read_header(rebased, 0)
    assert header is not None and crc_ok(rebased, 0, header)
    assert (header.base_offset, header.producer_id, header.txn_seq) == (40, 9, 3)
    assert decode_records(rebased, 0, header, "t", 0)[0].offset == 40


def test_range_assignment_is_disjoint_complete_and_order_independent() -> None:
    subs = {"m2": ["a", "b"], "m1": ["a"], "m3": ["b"]}
    result = assign_range(subs, {"a": 5, "b": 2})
    owned = [tp for tps in result.values() for tp in tps]
    assert sorted(owned) == sorted(
        [TopicPartition("a", p) for p in range(5)] + [TopicPartition("b", p) for p in range(2)]
    )
    assert len(owned) == len(set(owned))
    assert assign_range(dict(reversed(list(subs.items()))), {"b": 2, "a": 5}) == result
