"""A batch larger than the producer's local queue still arrives whole and in order:
librdkafka refuses the records that do not fit, and the producer sends that tail
again once deliveries have made room (changelogs are written this way at every
checkpoint, and a checkpoint's changes can outnumber the queue)."""


import pytest

from streamkit.log.kafka import KafkaBroker
from tests.contract.polling import send_batch_and_read_back

QUEUE = 1_000
"""The producer's local queue, in records (librdkafka's default is 100,000)."""


@pytest.mark.kafka
def test_a_batch_larger_than_the_local_queue_arrives_whole_in_order(
    kafka_bootstrap: str, topic_name: str,
) -> None:
    broker = KafkaBroker(f"kafka://{kafka_bootstrap}?queue.buffering.max.messages={QUEUE}")
    admin = broker.admin()
    admin.create_topic(topic_name, 2)
    try:
        batch = [(f"k{i}".encode(), None if i % 9 == 0 else str(i).encode())
                 for i in range(25 * QUEUE)]
        records = send_batch_and_read_back(broker, topic_name, 1, 2, batch)

        assert {r.partition for r in records} == {1}
        assert [(r.key, r.value) for r in records] == batch
    finally:
        admin.delete_topic(topic_name)
        admin.close()
