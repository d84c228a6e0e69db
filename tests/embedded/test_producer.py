"""The embedded producer's send path: key routing, background writes (of polled
records and of full batches), and records that cannot be encoded."""

import errno
import time
from pathlib import Path

import pytest

import streamkit.log.embedded.producer as producer_module
from streamkit.log import TopicPartition
from streamkit.log.embedded import EmbeddedBroker
from streamkit.log.embedded.batch import BatchBuilder, decode_records, read_header
from streamkit.log.embedded.partition_log import PartitionLog
from streamkit.log.errors import DeliveryFailed
from streamkit.log.partitioner import partition_for_key

from .helpers import read_all


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of ~2 KiB, written behind once ~8 KiB of them are full."""
    monkeypatch.setattr(producer_module, "MAX_BATCH_BYTES", 2048)
    monkeypatch.setattr(producer_module, "_AUTO_WRITE_BYTES", 8192)


def _broker_with_topic_t(tmp_path: Path, partitions: int) -> EmbeddedBroker:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t", partitions=partitions)
    return broker


def _end_offsets(broker: EmbeddedBroker, topic: str, partitions: int) -> list[int]:
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    ends = broker.admin().end_offsets(tps)
    return [ends[tp] for tp in tps]


def test_keyed_records_land_on_the_java_partition_whatever_bytes_like_the_key_is(
    tmp_path: Path,
) -> None:
    broker = _broker_with_topic_t(tmp_path, 7)
    producer = broker.producer()
    keys = [f"user-{i % 50}".encode() for i in range(400)]
    for n, key in enumerate(keys):
        as_sent = (key, bytearray(key), memoryview(key))[n % 3]
        producer.send("t", str(n).encode(), key=as_sent)
    producer.close()
    seen = 0
    for partition in range(7):
        records = read_all(broker, "t", partition)
        assert all(partition_for_key(r.key, 7) == partition for r in records if r.key)
        sent_order = [int(r.value) for r in records if r.value is not None]
        assert sent_order == sorted(sent_order)
        seen += len(records)
    assert seen == len(keys)


def test_full_batches_are_written_behind_and_all_durable_in_order_after_flush(
    tmp_path: Path, small_batches: None
) -> None:
    broker = _broker_with_topic_t(tmp_path, 3)
    producer = broker.producer()
    sent = 3000
    for n in range(sent):
        producer.send("t", b"%06d" % n + b"." * 60, key=b"k%d" % (n % 17))
    # without any flush, the bound made the producer write full batches itself
    deadline = time.monotonic() + 30
    while sum(_end_offsets(broker, "t", 3)) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sum(_end_offsets(broker, "t", 3)) > 0
    producer.flush()
    assert sum(_end_offsets(broker, "t", 3)) == sent
    for partition in range(3):
        records = read_all(broker, "t", partition)
        numbers = [int(r.value[:6]) for r in records if r.value is not None]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        assert [r.offset for r in records] == list(range(len(records)))
        assert all(partition_for_key(r.key, 3) == partition for r in records if r.key)
    producer.close()


def test_polled_records_become_visible_before_the_flush_that_acknowledges_them(
    tmp_path: Path,
) -> None:
    broker = _broker_with_topic_t(tmp_path, 2)
    producer = broker.producer(linger_ms=5)
    for n in range(100):
        producer.send("t", b"%03d" % n, key=b"k%d" % (n % 7))
    producer.poll()
    deadline = time.monotonic() + 30
    while sum(_end_offsets(broker, "t", 2)) < 100:
        assert time.monotonic() < deadline, "polled records not written within 30 s"
        time.sleep(0.01)
    for n in range(100, 150):
        producer.send("t", b"%03d" % n, key=b"k%d" % (n % 7))
    producer.flush()  # waits for the background write, then writes the rest
    assert sum(_end_offsets(broker, "t", 2)) == 150
    numbers = [int(r.value) for p in range(2) for r in read_all(broker, "t", p) if r.value]
    assert sorted(numbers) == list(range(150))
    producer.close()


def test_hand_overs_within_the_linger_share_one_append_per_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = _broker_with_topic_t(tmp_path, 2)
    appends: list[int] = []
    append = PartitionLog.append

    def counted(self: PartitionLog, builders: list[BatchBuilder], *args: object) -> object:
        appends.append(sum(b.count for b in builders))
        return append(self, builders, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(PartitionLog, "append", counted)
    producer = broker.producer(linger_ms=3_600_000)  # only flush() cuts the linger short
    for _ in range(3):
        for n in range(10):
            producer.send("t", b"v", partition=n % 2)
        producer.poll()
    assert _end_offsets(broker, "t", 2) == [0, 0]  # still lingering
    producer.flush()
    assert sorted(appends) == [15, 15]  # three hand-overs, one write per partition
    assert _end_offsets(broker, "t", 2) == [15, 15]
    producer.close()


def test_a_sender_faster_than_the_disk_waits_instead_of_buffering_without_bound(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = _broker_with_topic_t(tmp_path, 2)
    producer = broker.producer()
    unwritten: list[int] = []
    append = PartitionLog.append

    def slow(self: PartitionLog, builders: list[BatchBuilder], *args: object) -> object:
        unwritten.append(producer._writer._unwritten_bytes)
        time.sleep(0.01)
        return append(self, builders, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(PartitionLog, "append", slow)
    for n in range(3000):  # ~250 KiB against a bound of 16 KiB unwritten
        producer.send("t", b"%06d" % n + b"." * 60, key=b"k%d" % (n % 17))
        if n % 100 == 0:
            producer.poll()
    producer.flush()
    assert len(unwritten) > 4
    # at most the bound, plus what one hand-over (a bound's worth of batches) adds
    assert max(unwritten) <= 2 * 8192 + 8192 + 2048
    numbers = [int(r.value[:6]) for p in range(2) for r in read_all(broker, "t", p) if r.value]
    assert sorted(numbers) == list(range(3000))
    producer.close()


def test_a_failed_background_write_fails_the_next_flush_and_leaves_no_gap(
    tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = _broker_with_topic_t(tmp_path, 2)
    producer = broker.producer()

    def disk_full(self: PartitionLog, *args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(PartitionLog, "append", disk_full)
    for n in range(2000):  # several background writes' worth: send() itself never fails
        producer.send("t", b"lost", key=b"k%d" % n)
        if n % 300 == 0:
            producer.poll()
    with pytest.raises(DeliveryFailed, match="No space left"):
        producer.flush()
    monkeypatch.undo()
    for n in range(10):
        producer.send("t", b"kept", key=b"k%d" % n)
    producer.flush()  # the failure was reported once; the producer carries on
    producer.close()
    records = read_all(broker, "t", 0) + read_all(broker, "t", 1)
    assert sorted(r.value for r in records) == [b"kept"] * 10


def test_a_transaction_writes_nothing_before_commit_however_much_it_holds(
    tmp_path: Path, small_batches: None
) -> None:
    broker = _broker_with_topic_t(tmp_path, 2)
    producer = broker.producer(transactional_id="tx")
    producer.init_transactions()
    producer.begin_transaction()
    for n in range(1000):
        producer.send("t", b"v" * 64, key=b"k%d" % n)
    producer.poll()
    producer.flush()  # inside a transaction neither writes: the commit does
    assert _end_offsets(broker, "t", 2) == [0, 0]
    producer.commit_transaction()
    records = read_all(broker, "t", 0) + read_all(broker, "t", 1)
    assert len([r for r in records if r.value is not None]) == 1000
    producer.close()


def test_a_record_that_cannot_be_encoded_leaves_the_batch_as_it_was() -> None:
    builder = BatchBuilder()
    builder.add(1, b"k", b"first")
    with pytest.raises(TypeError, match="must be bytes"):
        builder.add(2, b"k", "not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be bytes"):
        builder.add(2, b"k", b"v", (("h", "not bytes"),))  # type: ignore[arg-type]
    builder.add(3, None, b"second", (("h", b"x"),))
    raw = builder.seal(0)
    header = read_header(raw, 0)
    assert header is not None and header.record_count == 2
    records = decode_records(raw, 0, header, "t", 0)
    assert [(r.offset, r.value, r.headers) for r in records] == [
        (0, b"first", ()),
        (1, b"second", (("h", b"x"),)),
    ]


def test_a_refused_send_does_not_damage_the_records_around_it(tmp_path: Path) -> None:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t")
    producer = broker.producer()
    producer.send("t", b"before", key=b"k")
    with pytest.raises(TypeError):
        producer.send("t", "a str value", key=b"k")  # type: ignore[arg-type]
    producer.send("t", b"after", key=b"k")
    producer.close()
    assert [r.value for r in read_all(broker, "t")] == [b"before", b"after"]
