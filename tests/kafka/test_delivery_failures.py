"""A record the broker refuses is reported when the producer is flushed: delivery
reports come back for failures only, through one callback for every send."""

import uuid

import pytest

from streamkit.log import DeliveryFailed
from streamkit.log.kafka import KafkaBroker


@pytest.mark.kafka
def test_a_record_the_broker_refuses_fails_the_flush_naming_its_topic(
    kafka_bootstrap: str,
) -> None:
    broker = KafkaBroker(f"kafka://{kafka_bootstrap}")
    topic = f"small-records-{uuid.uuid4().hex[:8]}"
    admin = broker.admin()
    admin.create_topic(topic, 1, {"max.message.bytes": "1024"})
    try:
        producer = broker.producer()
        producer.send(topic, b"fits", b"k")
        producer.send(topic, b"x" * 5000, b"k")  # librdkafka sends it; the broker refuses it
        with pytest.raises(DeliveryFailed, match=topic):
            producer.flush(timeout=30)
        producer.send(topic, b"fits again", b"k")
        producer.flush(timeout=30)  # the failure was reported once
        producer.close()
    finally:
        admin.delete_topic(topic)
        admin.close()
