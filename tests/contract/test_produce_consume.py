"""Contract: what is produced is read back in order, keyed like Java, with its metadata."""

import time

import pytest

from streamkit.log import Broker, TopicPartition, partition_for_key

from .polling import read_records, read_until_quiet, send_batch_and_read_back


def test_records_of_a_partition_come_in_offset_order(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name, partitions=3)
    producer = broker.producer()
    for i in range(300):
        producer.send(topic_name, str(i).encode(), key=f"k{i % 10}".encode())
    producer.flush()

    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic_name, p) for p in range(3)])
    records = read_records(consumer, 300)
    consumer.close()

    for p in range(3):
        offsets = [r.offset for r in records if r.partition == p]
        assert offsets == list(range(len(offsets)))
    for k in range(10):
        values = [int(r.value or b"") for r in records if r.key == f"k{k}".encode()]
        assert values == sorted(values) and len(values) == 30


@pytest.mark.timeout(45)  # the poll's own timeout is 600 s: waiting for it fails
def test_a_poll_returns_what_has_arrived_without_waiting_for_a_full_batch(
        broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name, partitions=1)
    producer = broker.producer()
    for i in range(3):
        producer.send(topic_name, str(i).encode())
    producer.flush()
    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic_name, 0)])
    records = consumer.poll_batch(max_records=10_000, timeout=600)
    while len(records) < 3:  # Kafka may hand the first fetch over in parts
        records += consumer.poll_batch(max_records=10_000, timeout=600)
    consumer.close()
    assert [r.value for r in records] == [b"0", b"1", b"2"]


def test_polled_records_reach_readers_without_a_flush(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name, partitions=2)
    producer = broker.producer(linger_ms=5)
    for i in range(10):
        producer.send(topic_name, str(i).encode(), key=f"k{i}".encode())
    producer.poll()
    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic_name, p) for p in range(2)])
    records = read_records(consumer, 10)  # fails after 60 s
    consumer.close()
    producer.close()
    assert sorted(int(r.value or b"") for r in records) == list(range(10))


def test_keys_map_to_partitions_like_javas_default_partitioner(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=7)
    keys = [f"user-{i}".encode() for i in range(60)] + ["été".encode(), b"21", b"abc"]
    producer = broker.producer()
    for key in keys:
        producer.send(topic_name, b"v", key=key)
    producer.flush()

    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic_name, p) for p in range(7)])
    records = read_records(consumer, len(keys))
    consumer.close()

    assert {r.key: r.partition for r in records} == {
        key: partition_for_key(key, 7) for key in keys
    }


def test_a_keyed_record_keeps_its_timestamp_and_an_unstamped_one_gets_the_time_of_sending(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=2)
    producer = broker.producer()
    before_ms = int(time.time() * 1000)
    producer.send(topic_name, b"stamped", key=b"k", timestamp=1_700_000_000_123)
    producer.send(topic_name, b"now", key=b"k")
    producer.flush()

    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic_name, p) for p in range(2)])
    stamped, now = read_records(consumer, 2)
    consumer.close()

    assert (stamped.value, stamped.timestamp) == (b"stamped", 1_700_000_000_123)
    assert now.value == b"now" and before_ms - 1000 <= now.timestamp <= time.time() * 1000 + 1000
    assert stamped.partition == now.partition == partition_for_key(b"k", 2)


def test_headers_timestamps_and_explicit_partitions_round_trip(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=2)
    producer = broker.producer()
    producer.send(topic_name, b"one", key=b"k", partition=1, timestamp=1_700_000_000_123,
                  headers=(("trace", b"abc"), ("trace", b"def"), ("empty", b"")))
    producer.send(topic_name, None, key=b"k", partition=1, timestamp=1_700_000_000_124)
    producer.flush()

    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic_name, 1)])
    first, tombstone = read_records(consumer, 2)
    consumer.close()

    assert (first.partition, first.offset, first.key, first.value) == (1, 0, b"k", b"one")
    assert first.timestamp == 1_700_000_000_123
    assert first.headers == (("trace", b"abc"), ("trace", b"def"), ("empty", b""))
    assert tombstone.value is None and tombstone.timestamp == 1_700_000_000_124


def test_a_batch_goes_to_its_partition_in_order_tombstones_included(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=3)
    batch = [(f"k{i}".encode(), None if i % 7 == 0 else str(i).encode()) for i in range(25_000)]
    records = send_batch_and_read_back(broker, topic_name, 2, 3, batch)

    assert {r.partition for r in records} == {2}
    assert [r.offset for r in records] == list(range(len(batch)))
    assert [(r.key, r.value) for r in records] == batch


def test_begin_and_end_offsets_bound_the_stored_records(broker: Broker, topic_name: str) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name, partitions=2)
    partitions = [TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)]
    assert admin.begin_offsets(partitions) == dict.fromkeys(partitions, 0)
    assert admin.end_offsets(partitions) == dict.fromkeys(partitions, 0)

    producer = broker.producer()
    for i in range(5):
        producer.send(topic_name, b"x", partition=0)
    producer.flush()

    assert admin.begin_offsets(partitions) == dict.fromkeys(partitions, 0)
    assert admin.end_offsets(partitions) == {partitions[0]: 5, partitions[1]: 0}


def test_offsets_for_time_finds_the_first_record_at_or_after_a_time(
    broker: Broker, topic_name: str
) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name)
    tp = TopicPartition(topic_name, 0)
    producer = broker.producer()
    for ts in (1000, 2000, 3000):
        producer.send(topic_name, b"x", partition=0, timestamp=ts)
    producer.flush()

    assert admin.offsets_for_time({tp: 0}) == {tp: 0}
    assert admin.offsets_for_time({tp: 1500}) == {tp: 1}
    assert admin.offsets_for_time({tp: 3000}) == {tp: 2}
    assert admin.offsets_for_time({tp: 3001}) == {tp: None}


def test_seek_moves_the_position_and_the_next_record(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name)
    tp = TopicPartition(topic_name, 0)
    producer = broker.producer()
    for i in range(10):
        producer.send(topic_name, str(i).encode(), partition=0)
    producer.flush()

    consumer = broker.consumer()
    consumer.assign([tp])
    assert consumer.position(tp) == 0
    consumer.seek(tp, 7)
    assert consumer.position(tp) == 7
    assert [r.offset for r in read_records(consumer, 3)] == [7, 8, 9]
    assert consumer.position(tp) == 10

    consumer.seek(tp, 2)
    assert read_records(consumer, 1)[0].value == b"2"
    consumer.close()


def test_paused_partitions_are_not_fetched_until_resumed(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name, partitions=2)
    producer = broker.producer()
    for p in (0, 1):
        for _ in range(3):
            producer.send(topic_name, b"x", partition=p)
    producer.flush()
    p0, p1 = TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)

    consumer = broker.consumer()
    consumer.assign([p0, p1])
    consumer.pause([p0])
    assert {r.partition for r in read_records(consumer, 3)} == {1}
    assert read_until_quiet(consumer, quiet_s=1.0) == []

    consumer.resume([p0])
    assert {r.partition for r in read_records(consumer, 3)} == {0}
    assert consumer.assignment() == [p0, p1] or sorted(consumer.assignment()) == [p0, p1]
    consumer.close()
