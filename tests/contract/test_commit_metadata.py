"""Contract: a committed offset carries a metadata string (as in Kafka's
OffsetAndMetadata), committed plainly or inside a transaction, and each commit
replaces it."""

from streamkit.log import Broker, Consumer, Producer, TopicPartition

from .polling import wait_for


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


def test_a_member_reads_in_its_assignment_callback_what_the_previous_owner_committed_on_revoke(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=2)
    group = f"{topic_name}-group"
    everything = [TopicPartition(topic_name, p) for p in range(2)]
    first = broker.consumer(group_id=group)
    handing_over = [True]  # until the test is done: closing revokes too

    def hand_over(partitions: list[TopicPartition]) -> None:  # as a worker checkpoints on revoke
        if handing_over[0]:
                first.commit({tp: 10 + tp.partition for tp in partitions},
                         metadata={tp: f"handed over {tp.partition}" for tp in partitions})

    first_owns: set[TopicPartition] = set()
    first.subscribe([topic_name], on_assign=first_owns.update, on_revoke=hand_over)
    wait_for(lambda: first_owns == set(everything), "the only member to own both partitions",
             between=lambda: first.poll_batch(timeout=0.2))
    first.commit({tp: 1 for tp in everything}, metadata={tp: "stale" for tp in everything})

    second = broker.consumer(group_id=group)
    seen: list[tuple[dict[TopicPartition, int | None], dict[TopicPartition, str | None]]] = []

    def read_commits(partitions: list[TopicPartition]) -> None:
        if partitions:  # one partition at a time, as tasks ask
            seen.append(({}, {}))
            for tp in partitions:
                seen[-1][0].update(second.committed([tp]))
                seen[-1][1].update(second.committed_metadata([tp]))

    second.subscribe([topic_name], on_assign=read_commits)

    def poll_both() -> None:
        first.poll_batch(timeout=0.1)
        second.poll_batch(timeout=0.1)

    wait_for(lambda: bool(seen), "the second member to be assigned a partition",
             between=poll_both)
    offsets, metadata = seen[0]
    assert offsets and offsets.keys() == metadata.keys()
    for tp in offsets:
        assert offsets[tp] == 10 + tp.partition
        assert metadata[tp] == f"handed over {tp.partition}"
    assert second.committed(everything) == first.committed(everything), \
        "outside the callback both members read the group's commits"
    handing_over[0] = False
    second.close()
    first.close()
