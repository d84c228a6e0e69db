"""Contract: transactions make records and consumer offsets visible atomically, or not at all."""

import pytest

from streamkit.log import Broker, ProducerFenced, TopicPartition

from .polling import read_records, read_until_quiet


def _committed_reader(broker: Broker, topic: str) -> list[bytes | None]:
    reader = broker.consumer(isolation_level="read_committed")
    reader.assign([TopicPartition(topic, 0)])
    values = [r.value for r in read_until_quiet(reader)]
    reader.close()
    return values


def test_committed_transaction_shows_its_records_and_commits_its_offsets(
    broker: Broker, topic_name: str
) -> None:
    source, sink, group = f"{topic_name}-in", f"{topic_name}-out", f"{topic_name}-group"
    admin = broker.admin()
    admin.create_topic(source)
    admin.create_topic(sink)
    plain = broker.producer()
    for i in range(3):
        plain.send(source, str(i).encode())
    plain.flush()

    consumer = broker.consumer(group_id=group)
    consumer.assign([TopicPartition(source, 0)])
    inputs = read_records(consumer, 3)

    producer = broker.producer(transactional_id=f"{topic_name}-txn")
    producer.init_transactions()
    producer.begin_transaction()
    for record in inputs:
        producer.send(sink, (record.value or b"") + b"!", partition=0)
    producer.send_offsets_to_transaction({TopicPartition(source, 0): 3}, consumer.group_metadata())
    producer.commit_transaction()

    assert _committed_reader(broker, sink) == [b"0!", b"1!", b"2!"]
    assert admin.group_offsets(group) == {TopicPartition(source, 0): 3}
    assert consumer.committed([TopicPartition(source, 0)]) == {TopicPartition(source, 0): 3}
    consumer.close()
    producer.close()


def test_aborted_transaction_is_invisible_to_read_committed_readers(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name)
    producer = broker.producer(transactional_id=f"{topic_name}-txn")
    producer.init_transactions()

    producer.begin_transaction()
    producer.send(topic_name, b"aborted", partition=0)
    producer.send_batch(topic_name, 0, [(b"k", b"aborted batch")])
    producer.flush()
    producer.abort_transaction()

    producer.begin_transaction()
    producer.send(topic_name, b"committed", partition=0)
    producer.send_batch(topic_name, 0, [(b"k", b"committed batch"), (b"k", None)])
    producer.commit_transaction()

    assert _committed_reader(broker, topic_name) == [b"committed", b"committed batch", None]
    producer.close()


def test_a_newer_producer_with_the_same_transactional_id_fences_the_older(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name)
    zombie = broker.producer(transactional_id=f"{topic_name}-txn")
    zombie.init_transactions()
    zombie.begin_transaction()
    zombie.send(topic_name, b"from the zombie", partition=0)
    zombie.flush()

    successor = broker.producer(transactional_id=f"{topic_name}-txn")
    successor.init_transactions()  # aborts the zombie's open transaction

    with pytest.raises(ProducerFenced):
        zombie.send(topic_name, b"more", partition=0)
        zombie.commit_transaction()

    successor.begin_transaction()
    successor.send(topic_name, b"from the successor", partition=0)
    successor.commit_transaction()
    assert _committed_reader(broker, topic_name) == [b"from the successor"]
    successor.close()
