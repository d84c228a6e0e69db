"""Turn librdkafka's errors into streamkit's, each with a hint on what to do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException

from streamkit.log.errors import (
    BrokerError,
    BrokerUnavailable,
    OffsetOutOfRange,
    TopicAlreadyExists,
    TopicNotFound,
)

T = TypeVar("T")

# Codes that mean "the cluster cannot be reached right now", worth retrying.
UNAVAILABLE_CODES = frozenset(
    {
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._TIMED_OUT,
        KafkaError._RESOLVE,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NOT_CONTROLLER,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.NOT_COORDINATOR,
        KafkaError.NOT_LEADER_FOR_PARTITION,
    }
)

# Codes of a cluster still settling (metadata behind a change, such as a new
# topic's first leader or a leader that moved; a leader just elected; a replica or
# log directory briefly away), worth retrying once it has settled. Kafka's Java
# client retries each of them (InvalidMetadataException or RetriableException);
# librdkafka does not mark them retriable in admin results: listing the offsets of
# a topic just created on a busy broker failed with UNKNOWN_LEADER_EPOCH.
SETTLING_CODES = frozenset({
    KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.FENCED_LEADER_EPOCH,
    KafkaError.OFFSET_NOT_AVAILABLE,  # a new leader's high watermark has not caught up
    KafkaError.REPLICA_NOT_AVAILABLE,
    KafkaError.KAFKA_STORAGE_ERROR,  # a log directory went offline; the leader moves
    KafkaError.NETWORK_EXCEPTION,
})


def kafka_error_of(exc: BaseException) -> KafkaError | None:
    """The KafkaError inside a KafkaException, if any."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def unavailable(bootstrap_servers: str, reason: object) -> BrokerUnavailable:
    """The error for a cluster that does not answer."""
    return BrokerUnavailable(
        f"cannot reach Kafka at {bootstrap_servers} ({reason}): is the broker running? "
        "Start a local one with `deploy/kafka/kafka start` and pass its address as "
        "--broker kafka://HOST:PORT (or STREAMKIT_BROKER)"
    )


def translate(error: KafkaError, bootstrap_servers: str, topic: str | None = None) -> BrokerError:
    """The streamkit error for a KafkaError."""
    code = error.code()
    if code == KafkaError.UNKNOWN_TOPIC_OR_PART and topic is not None:
        return TopicNotFound(topic)
    if code == KafkaError.TOPIC_ALREADY_EXISTS and topic is not None:
        return TopicAlreadyExists(topic)
    if code == KafkaError._AUTO_OFFSET_RESET:  # no valid position and auto_offset_reset="error"
        return OffsetOutOfRange(f"no valid offset to read from ({error.str()}) and "
                                "auto_offset_reset='error': seek() to a stored offset first")
    if code in UNAVAILABLE_CODES:
        return unavailable(bootstrap_servers, error.str())
    return BrokerError(f"Kafka error {error.name()}: {error.str()}")


RETRY_BUDGET_S = 20.0
"""How long :func:`with_retries` keeps retrying by default."""


def with_retries(
    call: Callable[[], T],
    bootstrap_servers: str,
    *,
    topic: str | None = None,
    budget_s: float | None = None,
    backoff_s: float = 0.25,
) -> T:
    """Run ``call``, retrying transient failures (cluster unreachable, leader moving,
    cluster settling: :data:`SETTLING_CODES`) with exponential backoff for up to
    ``budget_s`` seconds (default :data:`RETRY_BUDGET_S`); translate the failure."""
    deadline = time.monotonic() + (RETRY_BUDGET_S if budget_s is None else budget_s)
    attempt = 0
    while True:
        try:
            return call()
        except KafkaException as exc:
            error = kafka_error_of(exc)
            if error is None:
                raise BrokerError(str(exc)) from exc
            pause = min(backoff_s * 2**attempt, 2.0)
            code = error.code()
            transient = code in UNAVAILABLE_CODES or code in SETTLING_CODES or error.retriable()
            if transient and time.monotonic() + pause < deadline:
                time.sleep(pause)
                attempt += 1
                continue
            raise translate(error, bootstrap_servers, topic) from exc
