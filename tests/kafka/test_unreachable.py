"""An unreachable Kafka is reported as such, with what to do about it."""

from unittest import mock

import pytest

from streamkit.log import BrokerError, BrokerUnavailable, DeliveryFailed
from streamkit.log.kafka import KafkaBroker, admin, errors

NOBODY = "kafka://127.0.0.1:1"  # port 1: connection refused at once


def test_admin_against_an_unreachable_cluster_raises_broker_unavailable() -> None:
    # Retried for a second rather than the default 20: the error is the same.
    with mock.patch.object(errors, "RETRY_BUDGET_S", 1.0), \
            mock.patch.object(admin, "METADATA_TIMEOUT_S", 0.5), \
            pytest.raises(BrokerUnavailable) as raised:
        KafkaBroker(NOBODY).admin().list_topics()
    assert "127.0.0.1:1" in str(raised.value)
    assert "deploy/kafka/kafka start" in str(raised.value)


def test_flush_that_times_out_raises_delivery_failed() -> None:
    producer = KafkaBroker(NOBODY).producer()
    producer.send("anything", b"v")
    with pytest.raises(DeliveryFailed, match="not acknowledged"):
        producer.flush(timeout=1.0)


@pytest.mark.kafka
def test_client_settings_in_the_url_reach_every_client(kafka_bootstrap: str) -> None:
    # message.max.bytes is checked by librdkafka itself: a record over it is refused.
    producer = KafkaBroker(f"kafka://{kafka_bootstrap}?message.max.bytes=1000").producer()
    with pytest.raises(BrokerError, match="MSG_SIZE_TOO_LARGE"):
        producer.send("any-topic", b"x" * 2000, b"k")
    producer.close()
