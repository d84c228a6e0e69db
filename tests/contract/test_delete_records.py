"""Contract: ``Admin.delete_records`` deletes every record before an offset.

Kafka moves the begin offset to exactly the offset; the embedded log deletes whole
segments, so its begin offset is the start of the segment holding the offset. The
tests write three segments of ten records (a tiny ``segment.ms`` and a pause between
flushes make the embedded log roll at offsets 10 and 20), so an offset at a segment
boundary behaves the same on both backends.
"""

import time

import pytest

from streamkit.log import Broker, Consumer, OffsetOutOfRange, TopicNotFound, TopicPartition
from streamkit.log.broker import AutoOffsetReset

from .polling import WAIT_S, read_records

SEGMENT = 10
RECORDS = 3 * SEGMENT


@pytest.fixture
def partition(broker: Broker, topic_name: str) -> TopicPartition:
    """Partition 0 of a topic holding values 0..29 in three segments of ten."""
    broker.admin().create_topic(topic_name, partitions=1, config={"segment.ms": "100"})
    producer = broker.producer()
    for first in range(0, RECORDS, SEGMENT):
        time.sleep(0.3)  # longer than segment.ms: the next append rolls a segment
        for i in range(first, first + SEGMENT):
            producer.send(topic_name, str(i).encode(), partition=0)
        producer.flush()
    producer.close()
    return TopicPartition(topic_name, 0)


def read_from_begin(broker: Broker, tp: TopicPartition) -> list[tuple[int, bytes | None]]:
    begin = broker.admin().begin_offsets([tp])[tp]
    consumer = broker.consumer()
    consumer.assign([tp])
    consumer.seek(tp, begin)
    records = read_records(consumer, RECORDS - begin)
    consumer.close()
    return [(r.offset, r.value) for r in records]


def test_records_before_a_segment_boundary_are_deleted_and_the_rest_stay(
    broker: Broker, partition: TopicPartition
) -> None:
    admin = broker.admin()
    admin.delete_records({partition: SEGMENT})

    assert admin.begin_offsets([partition]) == {partition: SEGMENT}
    assert admin.end_offsets([partition]) == {partition: RECORDS}
    assert read_from_begin(broker, partition) == [
        (i, str(i).encode()) for i in range(SEGMENT, RECORDS)
    ]


def test_within_a_segment_the_begin_offset_moves_at_most_to_the_offset(
    broker: Broker, partition: TopicPartition
) -> None:
    admin = broker.admin()
    admin.delete_records({partition: 15})

    begin = admin.begin_offsets([partition])[partition]
    assert SEGMENT <= begin <= 15  # Kafka: 15; embedded: 10, the segment's start
    assert read_from_begin(broker, partition) == [(i, str(i).encode()) for i in range(begin, RECORDS)]

    admin.delete_records({partition: 5})  # below the begin offset: nothing changes
    assert admin.begin_offsets([partition]) == {partition: begin}


def test_deleting_up_to_the_end_offset_is_allowed_but_not_past_it(
    broker: Broker, partition: TopicPartition
) -> None:
    admin = broker.admin()
    with pytest.raises(OffsetOutOfRange):
        admin.delete_records({partition: RECORDS + 1})
    with pytest.raises(OffsetOutOfRange):
        admin.delete_records({partition: -1})
    assert admin.begin_offsets([partition]) == {partition: 0}

    admin.delete_records({partition: RECORDS})
    # Kafka: RECORDS; embedded: the last segment (never deleted) still starts at 20
    assert 2 * SEGMENT <= admin.begin_offsets([partition])[partition] <= RECORDS


def test_deleting_records_of_a_missing_topic_raises_topic_not_found(
    broker: Broker, topic_name: str
) -> None:
    with pytest.raises(TopicNotFound):
        broker.admin().delete_records({TopicPartition(topic_name, 0): 1})


def consumer_whose_commit_was_deleted(
    broker: Broker, tp: TopicPartition, auto_offset_reset: AutoOffsetReset
) -> Consumer:
    """A consumer of a group that committed offset 3 before the records up to 10
    were deleted."""
    group = f"{tp.topic}-group"
    committer = broker.consumer(group_id=group)
    committer.assign([tp])
    committer.commit({tp: 3})
    committer.close()
    broker.admin().delete_records({tp: SEGMENT})
    consumer = broker.consumer(group_id=group, auto_offset_reset=auto_offset_reset)
    consumer.assign([tp])
    return consumer


def test_a_consumer_whose_committed_offset_was_deleted_resets_to_the_begin_offset(
    broker: Broker, partition: TopicPartition
) -> None:
    consumer = consumer_whose_commit_was_deleted(broker, partition, "earliest")
    records = read_records(consumer, RECORDS - SEGMENT)
    consumer.close()
    assert [r.offset for r in records] == list(range(SEGMENT, RECORDS))


def test_with_auto_offset_reset_error_a_deleted_position_raises(
    broker: Broker, partition: TopicPartition
) -> None:
    consumer = consumer_whose_commit_was_deleted(broker, partition, "error")
    deadline = time.monotonic() + WAIT_S
    with pytest.raises(OffsetOutOfRange):
        while time.monotonic() < deadline:
            assert consumer.poll_batch(timeout=0.5) == []
    consumer.close()
