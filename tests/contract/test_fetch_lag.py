"""Contract: a consumer knows how many records it can still read from a
partition past its position (the worker waits on that to merge partitions by
event time), never counting records of an open transaction under read_committed."""

from __future__ import annotations

from streamkit.log import Broker, Consumer, TopicPartition

from .polling import read_records, wait_for


def _lag_becomes_zero(consumer: Consumer, tp: TopicPartition) -> None:
    """Poll (there is nothing to read) until the lag is 0: under read_committed,
    Kafka's consumer learns the last stable offset from statistics it serves
    while polling."""
    def settled() -> bool:
        assert consumer.poll_batch(max_records=1, timeout=0.1) == []
        return consumer.fetch_lag(tp) == 0

    wait_for(settled, f"fetch_lag({tp}) to be 0, not {consumer.fetch_lag(tp)}", 30.0)


def _two_partitions_one_filled(broker: Broker, topic: str,
                               count: int) -> tuple[TopicPartition, TopicPartition]:
    """Create ``topic`` with 2 partitions and write ``count`` records to the first;
    return both."""
    broker.admin().create_topic(topic, 2)
    producer = broker.producer()
    for i in range(count):
        producer.send(topic, str(i).encode(), partition=0)
    producer.flush()
    producer.close()
    return TopicPartition(topic, 0), TopicPartition(topic, 1)


def _joins_caught_up_at(consumer: Consumer, tp: TopicPartition, empty: TopicPartition,
                        position: int) -> None:
    """Subscribe ``consumer`` to both partitions' topic and check that, with no
    record returned, it knows both have nothing to read and ``tp`` stands at
    ``position``; close it."""
    consumer.subscribe([tp.topic])
    wait_for(lambda: len(consumer.assignment()) == 2, "both partitions to be assigned",
             between=lambda: consumer.poll_batch(max_records=1, timeout=0.1))

    def caught_up() -> bool:
        assert consumer.poll_batch(max_records=1, timeout=0.1) == []
        return consumer.fetch_lag(tp) == 0 and consumer.fetch_lag(empty) == 0

    # Kafka's consumer learns a partition's end from its first fetch.
    wait_for(caught_up, f"fetch_lag to be 0, not {consumer.fetch_lag(tp)}", 30.0)
    assert consumer.position(tp) == position
    consumer.close()


def test_the_lag_counts_the_records_past_the_position(broker: Broker, topic_name: str) -> None:
    tp, empty = _two_partitions_one_filled(broker, topic_name, 10)
    consumer = broker.consumer(isolation_level="read_uncommitted")
    consumer.assign([tp, empty])

    read_records(consumer, 3)  # (the poll fetched more than it returned)
    assert consumer.position(tp) == 3
    assert consumer.fetch_lag(tp) == 7
    read_records(consumer, 7)
    assert consumer.fetch_lag(tp) == 0
    # A partition that never returned a record is known to be empty too.
    wait_for(lambda: consumer.fetch_lag(empty) == 0, "the empty partition's lag to be 0", 30.0,
             between=lambda: consumer.poll_batch(max_records=1, timeout=0.1))
    consumer.close()


def test_records_of_an_open_transaction_are_not_lag(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name)
    producer = broker.producer(transactional_id=f"{topic_name}-txn")
    producer.init_transactions()
    producer.begin_transaction()
    for i in range(4):
        producer.send(topic_name, str(i).encode(), partition=0)
    producer.commit_transaction()
    producer.begin_transaction()
    for i in range(5):
        producer.send(topic_name, b"open", partition=0)
    producer.flush()
    tp = TopicPartition(topic_name, 0)
    consumer = broker.consumer(isolation_level="read_committed")
    consumer.assign([tp])

    assert [r.value for r in read_records(consumer, 4)] == [b"0", b"1", b"2", b"3"]
    _lag_becomes_zero(consumer, tp)  # the open transaction is not readable yet
    producer.commit_transaction()
    assert [r.value for r in read_records(consumer, 5)] == [b"open"] * 5
    _lag_becomes_zero(consumer, tp)
    consumer.close()
    producer.close()


def test_a_member_knows_its_caught_up_partitions_have_no_lag_before_any_record(
        broker: Broker, topic_name: str) -> None:
    """A partition read to its end and committed returns no record to its next
    member, which still knows where it stands: at the committed offset, with
    nothing to read (the worker would otherwise wait on it, see input_order)."""
    tp, empty = _two_partitions_one_filled(broker, topic_name, 5)
    group = f"{topic_name}-group"
    first = broker.consumer(group_id=group)
    first.subscribe([topic_name])
    read_records(first, 5)
    first.commit()
    first.close()

    _joins_caught_up_at(broker.consumer(group_id=group), tp, empty, 5)


def test_a_new_member_knows_where_auto_offset_reset_starts_it_before_any_record(
        broker: Broker, topic_name: str) -> None:
    """A group with nothing committed that starts at the log's end has nothing
    to read, and knows it before any record comes: a worker merging partitions
    by event time would otherwise hold the others back for it. (On Kafka, where
    the log starts too: tests/kafka/test_start_positions.py.)"""
    tp, empty = _two_partitions_one_filled(broker, topic_name, 5)
    consumer = broker.consumer(group_id=f"{topic_name}-group", auto_offset_reset="latest")
    _joins_caught_up_at(consumer, tp, empty, 5)
