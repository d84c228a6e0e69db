"""Contract: consumer groups share partitions, hand them over, and remember offsets."""

from streamkit.log import Broker, Consumer, TopicPartition

from .polling import read_records, wait_for


class Membership:
    """Tracks a group member's partitions through its rebalance callbacks."""

    def __init__(self) -> None:
        self.owned: set[TopicPartition] = set()
        self.assigned_calls: list[list[TopicPartition]] = []
        self.revoked_calls: list[list[TopicPartition]] = []

    def on_assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned_calls.append(partitions)
        self.owned |= set(partitions)

    def on_revoke(self, partitions: list[TopicPartition]) -> None:
        self.revoked_calls.append(partitions)
        self.owned -= set(partitions)


def _join(broker: Broker, topic: str, group: str) -> tuple[Consumer, Membership]:
    consumer = broker.consumer(group_id=group)
    membership = Membership()
    consumer.subscribe([topic], on_assign=membership.on_assign, on_revoke=membership.on_revoke)
    return consumer, membership


def test_two_members_split_the_partitions_and_one_takes_over_when_the_other_leaves(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=4)
    everything = {TopicPartition(topic_name, p) for p in range(4)}
    group = f"{topic_name}-group"

    first, first_view = _join(broker, topic_name, group)
    wait_for(lambda: first_view.owned == everything, "the only member to own every partition",
             between=lambda: first.poll_batch(timeout=0.2))

    second, second_view = _join(broker, topic_name, group)

    def poll_both() -> None:
        first.poll_batch(timeout=0.1)
        second.poll_batch(timeout=0.1)

    wait_for(lambda: len(first_view.owned) == 2 and len(second_view.owned) == 2,
             "two members to own two partitions each", between=poll_both)
    assert first_view.owned | second_view.owned == everything
    assert first_view.revoked_calls, "the first member was told which partitions it gave up"
    assert set(first.assignment()) == first_view.owned

    second.close()
    assert second_view.owned == set(), "leaving the group revokes through the callback"
    wait_for(lambda: first_view.owned == everything, "the remaining member to take over",
             between=lambda: first.poll_batch(timeout=0.2))
    first.close()


def test_committed_offsets_survive_a_consumer_restart(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name, partitions=1)
    producer = broker.producer()
    for i in range(10):
        producer.send(topic_name, str(i).encode())
    producer.flush()
    group = f"{topic_name}-group"
    tp = TopicPartition(topic_name, 0)

    consumer, _ = _join(broker, topic_name, group)
    read_records(consumer, 10)
    consumer.commit({tp: 6})
    assert consumer.committed([tp]) == {tp: 6}
    consumer.close()

    restarted, _ = _join(broker, topic_name, group)
    first = read_records(restarted, 1)[0]
    assert (first.offset, first.value) == (6, b"6")
    restarted.close()

    assert broker.admin().group_offsets(group) == {tp: 6}
    assert group in broker.admin().list_groups()


def test_commit_without_offsets_commits_the_current_positions(
    broker: Broker, topic_name: str
) -> None:
    broker.admin().create_topic(topic_name, partitions=2)
    producer = broker.producer()
    for p in (0, 1):
        for _ in range(3):
            producer.send(topic_name, b"x", partition=p)
    producer.flush()
    p0, p1 = TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)

    consumer = broker.consumer(group_id=f"{topic_name}-group")
    consumer.assign([p0, p1])
    consumer.seek(p1, 2)
    read_records(consumer, 4)
    consumer.commit()

    assert consumer.committed([p0, p1]) == {p0: 3, p1: 3}
    consumer.close()


def test_a_partition_never_committed_reports_none(broker: Broker, topic_name: str) -> None:
    broker.admin().create_topic(topic_name)
    tp = TopicPartition(topic_name, 0)
    consumer = broker.consumer(group_id=f"{topic_name}-group")
    assert consumer.committed([tp]) == {tp: None}
    consumer.close()
