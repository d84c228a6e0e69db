"""A newly assigned set of partitions costs one OffsetFetch round trip, however
often the assignment callback asks for their commits: the consumer reads them once
(to know where each partition starts), and a worker's tasks then ask again, one
per task, for the stream time stored with them."""

import pytest

from streamkit.log import TopicPartition
from streamkit.log.kafka import KafkaBroker
from tests.contract.polling import wait_for
from tests.kafka.counting import CountingCalls


@pytest.mark.kafka
def test_an_assignment_reads_its_commits_once(kafka_bootstrap: str, topic_name: str) -> None:
    broker = KafkaBroker(f"kafka://{kafka_bootstrap}")
    broker.admin().create_topic(topic_name, partitions=4)
    everything = [TopicPartition(topic_name, p) for p in range(4)]
    committer = broker.consumer(group_id=f"{topic_name}-group")
    committer.commit({tp: 3 for tp in everything}, metadata={tp: "m" for tp in everything})
    committer.close()

    consumer = broker.consumer(group_id=f"{topic_name}-group")
    counting = consumer._consumer = CountingCalls(consumer._consumer, "committed")  # type: ignore[attr-defined]
    fetches_in_callback: list[int] = []
    read: dict[TopicPartition, tuple[int | None, str | None]] = {}

    def per_partition(partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            read[tp] = (consumer.committed([tp])[tp], consumer.committed_metadata([tp])[tp])
        if partitions:  # librdkafka may also report an empty assignment
            fetches_in_callback.append(counting.calls)

    consumer.subscribe([topic_name], on_assign=per_partition)
    wait_for(lambda: len(read) == 4, "the member to be assigned every partition",
             between=lambda: consumer.poll_batch(timeout=0.2))

    assert read == {tp: (3, "m") for tp in everything}
    assert fetches_in_callback == [1]
    consumer.committed(everything)
    assert counting.calls == 2, "outside the callback a commit is read from the broker"
    consumer.close()
    broker.close()
