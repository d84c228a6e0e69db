"""An unreachable Kafka is reported as such, with what to do about it."""

import pytest

from streamkit.log import BrokerUnavailable, DeliveryFailed
from streamkit.log.kafka import KafkaBroker

NOBODY = "kafka://127.0.0.1:1"  # port 1: connection refused at once


def test_admin_against_an_unreachable_cluster_raises_broker_unavailable() -> None:
    with pytest.raises(BrokerUnavailable) as raised:
        KafkaBroker(NOBODY).admin().list_topics()
    assert "127.0.0.1:1" in str(raised.value)
    assert "deploy/kafka/kafka start" in str(raised.value)


def test_flush_that_times_out_raises_delivery_failed() -> None:
    producer = KafkaBroker(NOBODY).producer()
    producer.send("anything", b"v")
    with pytest.raises(DeliveryFailed, match="not acknowledged"):
        producer.flush(timeout=1.0)
