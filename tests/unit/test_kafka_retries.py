"""with_retries: which Kafka errors are retried and which are not, without a broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka import KafkaError, KafkaException

from streamkit.log.errors import BrokerError
from streamkit.log.kafka.errors import with_retries


def failing_then(code: int, failures: int) -> tuple[list[int], Callable[[], str]]:
    """A call that raises ``code`` ``failures`` times, then answers ``"ok"``."""
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise KafkaException(KafkaError(code))
        return "ok"

    return calls, call


@pytest.mark.parametrize("code", [KafkaError.UNKNOWN_LEADER_EPOCH, KafkaError.FENCED_LEADER_EPOCH,
                                  KafkaError.OFFSET_NOT_AVAILABLE, KafkaError.REPLICA_NOT_AVAILABLE,
                                  KafkaError.KAFKA_STORAGE_ERROR, KafkaError.NETWORK_EXCEPTION,
                                  KafkaError.LEADER_NOT_AVAILABLE])
def test_a_settling_cluster_is_retried(code: int) -> None:
    # UNKNOWN_LEADER_EPOCH: listing a topic's offsets just after creating it, on a
    # busy broker (librdkafka does not mark it retriable).
    calls, call = failing_then(code, failures=2)
    assert with_retries(call, "127.0.0.1:9092", backoff_s=0.001) == "ok"
    assert len(calls) == 3


def test_other_errors_are_not_retried() -> None:
    calls, call = failing_then(KafkaError.TOPIC_AUTHORIZATION_FAILED, failures=1)
    with pytest.raises(BrokerError, match="TOPIC_AUTHORIZATION_FAILED"):
        with_retries(call, "127.0.0.1:9092", backoff_s=0.001)
    assert len(calls) == 1


def test_retries_stop_at_the_budget() -> None:
    calls, call = failing_then(KafkaError.UNKNOWN_LEADER_EPOCH, failures=10**6)
    with pytest.raises(BrokerError, match="UNKNOWN_LEADER_EPOCH"):
        with_retries(call, "127.0.0.1:9092", budget_s=0.2, backoff_s=0.01)
    assert 1 < len(calls) < 100
