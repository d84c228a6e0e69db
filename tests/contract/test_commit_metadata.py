"""Contract: a committed offset carries a metadata string (as in Kafka's
OffsetAndMetadata), committed plainly or inside a transaction, and each commit
replaces it."""

from streamkit.log import Broker, Consumer, Producer, TopicPartition


def _group_consumer(broker: Broker, topic: str) -> Consumer:
    broker.admin().create_topic(topic)
    return broker.consumer(group_id=f"{topic}-group")


def _open_transaction(broker: Broker, consumer: Consumer, tp: TopicPartition, offset: int,
                      metadata: str) -> Producer:
    """A producer whose open transaction holds a record and ``consumer``'s offset."""
    producer = broker.producer(transactional_id=f"{tp.topic}-txn")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(tp.topic, b"x", partition=tp.partition)
    producer.send_offsets_to_transaction({tp: offset}, consumer.group_metadata(),
                                         metadata={tp: metadata})
    return producer


def test_metadata_committed_with_an_offset_is_read_back_by_any_member(
    broker: Broker, topic_name: str
) -> None:
    tp = TopicPartition(topic_name, 0)
    consumer = _group_consumer(broker, topic_name)
    consumer.commit({tp: 0}, metadata={tp: '{"v":1,"stream_time":7}'})
    consumer.close()

    another = broker.consumer(group_id=f"{topic_name}-group")
    assert another.committed([tp]) == {tp: 0}
    assert another.committed_metadata([tp]) == {tp: '{"v":1,"stream_time":7}'}
    another.close()


def test_a_commit_without_metadata_clears_the_previous_metadata(
    broker: Broker, topic_name: str
) -> None:
    tp = TopicPartition(topic_name, 0)
    consumer = _group_consumer(broker, topic_name)
    consumer.commit({tp: 0}, metadata={tp: "first"})
    consumer.commit({tp: 0})
    assert consumer.committed_metadata([tp]) == {tp: None}
    consumer.close()


def test_a_partition_without_committed_metadata_reports_none(
    broker: Broker, topic_name: str
) -> None:
    tp = TopicPartition(topic_name, 0)
    consumer = _group_consumer(broker, topic_name)
    assert consumer.committed_metadata([tp]) == {tp: None}
    consumer.close()


def test_metadata_sent_to_a_committed_transaction_is_committed_with_its_offsets(
    broker: Broker, topic_name: str
) -> None:
    tp = TopicPartition(topic_name, 0)
    consumer = _group_consumer(broker, topic_name)
    producer = _open_transaction(broker, consumer, tp, 0, "in a transaction")
    producer.commit_transaction()

    assert consumer.committed([tp]) == {tp: 0}
    assert consumer.committed_metadata([tp]) == {tp: "in a transaction"}
    consumer.close()
    producer.close()


def test_metadata_sent_to_an_aborted_transaction_is_not_committed(
    broker: Broker, topic_name: str
) -> None:
    tp = TopicPartition(topic_name, 0)
    consumer = _group_consumer(broker, topic_name)
    consumer.commit({tp: 0}, metadata={tp: "before"})
    producer = _open_transaction(broker, consumer, tp, 1, "aborted")
    producer.abort_transaction()

    assert consumer.committed([tp]) == {tp: 0}
    assert consumer.committed_metadata([tp]) == {tp: "before"}
    consumer.close()
    producer.close()
