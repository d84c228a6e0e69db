"""librdkafka configuration for each kind of client, in one place.

Every setting that carries a streamkit guarantee is chosen here: the Java-compatible
partitioner, idempotent producers, manual commits, cooperative rebalancing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from confluent_kafka import KafkaError, KafkaException

from streamkit.log.errors import InvalidBrokerUrl

T = TypeVar("T")

_log = logging.getLogger("streamkit.log.kafka")


class _ScopeWarnings(logging.Filter):
    """A broker URL's settings go to every client, so librdkafka warns each time a
    client of the other kind ignores one (``session.timeout.ms`` on a producer).
    That is expected: such warnings are demoted to debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and \
                "property and will be ignored by this" in record.getMessage():
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return _log.isEnabledFor(logging.DEBUG)
        return True


_log.addFilter(_ScopeWarnings())

# How long a single admin or metadata request may take. Generous enough for a loaded
# 2-core machine; callers retry transient failures within a budget (errors.with_retries).
REQUEST_TIMEOUT_S = 15.0
# How long a member that stopped heartbeating (a crashed process) keeps its
# partitions before the group hands them to the others. librdkafka heartbeats from
# its own thread, so a busy Python loop does not trip this (max.poll.interval.ms
# covers a stuck loop); the default 45 s would stall a crashed worker's partitions
# that long. The broker's group.min.session.timeout.ms is 6 s by default.
SESSION_TIMEOUT_MS = 10_000
# How long a transaction may stay open before the coordinator aborts it. A worker
# that dies mid-transaction without a successor on its state directory (whose
# init_transactions would abort it at once) holds read_committed readers of every
# partition it wrote back this long, plus up to the broker's check interval
# (transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s by default).
# librdkafka's default is 60 s; Kafka Streams uses 10 s for exactly-once, as here.
TRANSACTION_TIMEOUT_MS = 10_000
# How long librdkafka waits before fetching again for a partition whose prefetch
# queue was full (queued.min.messages). Its default, 1 s, starves a consumer that
# reads more than one topic: once the prefetched input is used up, the next fetch
# can be up to a second away, and the loop waits for records in the meantime
# (B2 on Kafka, with its repartition topic, spent half its time so: 55k inputs/s,
# against 155k with 100 ms). Lower values gained B2 no more and cost B3, which
# reads one topic and is CPU-bound, about 7 % (10 ms): the fetcher thread wakes
# more often. A URL may set it otherwise.
FETCH_QUEUE_BACKOFF_MS = 100
# A metadata request is cheap: when it takes longer than this, the cluster is not answering.
METADATA_TIMEOUT_S = 5.0


# Settings a broker URL may not override: each carries a streamkit guarantee, or is
# chosen per client by streamkit itself.
RESERVED_SETTINGS = {
    "bootstrap.servers": "it comes from the URL's host:port list",
    "enable.idempotence": "producers are always idempotent",
    "acks": "acknowledged records must be on every in-sync replica",
    "transactional.id": "exactly-once chooses one per worker",
    "partitioner": "keys must partition like Java clients (murmur2)",
    "group.id": "the group is the app's name",
    "enable.auto.commit": "offsets are committed only at checkpoints",
    "isolation.level": "readers choose it per client",
}


def parse_client_settings(query: str) -> dict[str, str]:
    """librdkafka settings from a broker URL's query string.

    >>> parse_client_settings("security.protocol=SASL_SSL&session.timeout.ms=6000")
    {'security.protocol': 'SASL_SSL', 'session.timeout.ms': '6000'}
    """
    settings: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
        if name in RESERVED_SETTINGS:
            raise InvalidBrokerUrl(
                f"the broker URL may not set {name!r}: {RESERVED_SETTINGS[name]}. "
                "Remove it from the URL's query."
            )
        settings[name] = value
    return settings


def make_client(factory: Callable[[dict[str, Any]], T], config: dict[str, Any],
                settings: Mapping[str, str] | None) -> T:
    """A librdkafka client made from ``config`` with the broker URL's settings on
    top; a setting librdkafka rejects is reported as a broker URL mistake."""
    try:
        return factory(config | dict(settings) if settings else config)
    except KafkaException as error:
        if settings and error.args[0].code() == KafkaError._INVALID_ARG:
            raise InvalidBrokerUrl(
                f"a client setting in the broker URL was rejected: {error.args[0].str()}. "
                "See librdkafka's CONFIGURATION.md for the names and values it accepts."
            ) from None
        raise


def common_config(bootstrap_servers: str) -> dict[str, Any]:
    """Settings shared by every client."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "client.id": "streamkit",
        # librdkafka logs through Python logging rather than straight to stderr.
        "logger": _log,
    }


def admin_config(bootstrap_servers: str) -> dict[str, Any]:
    """An AdminClient's settings."""
    return common_config(bootstrap_servers)


def producer_config(
    bootstrap_servers: str, *, transactional_id: str | None, linger_ms: int,
    transaction_timeout_ms: int | None = None,
) -> dict[str, Any]:
    """A producer's settings: idempotent, acks from all in-sync replicas, keys
    partitioned exactly like Java's default partitioner; a transactional one's
    open transactions are aborted by the coordinator after ``transaction_timeout_ms``
    (default :data:`TRANSACTION_TIMEOUT_MS`).

    >>> producer_config("b:9092", transactional_id="app-w1", linger_ms=5)["transaction.timeout.ms"]
    10000
    >>> "transaction.timeout.ms" in producer_config("b:9092", transactional_id=None, linger_ms=5)
    False
    """
    config = common_config(bootstrap_servers) | {
        "enable.idempotence": True,
        "acks": "all",
        # librdkafka's default is CRC32; Java clients use murmur2. murmur2_random
        # also spreads null keys like Java does.
        "partitioner": "murmur2_random",
        "linger.ms": linger_ms,
    }
    if transactional_id is not None:
        config["transactional.id"] = transactional_id
        config["transaction.timeout.ms"] = transaction_timeout_ms or TRANSACTION_TIMEOUT_MS
    return config


def consumer_config(
    bootstrap_servers: str,
    *,
    group_id: str,
    isolation_level: str,
    auto_offset_reset: str,
    co_partitioned: bool = False,
) -> dict[str, Any]:
    """A consumer's settings: commits only when asked; cooperative rebalancing, or
    the range assignor when partition n of every subscribed topic must go to the
    same member (cooperative-sticky balances partitions one by one, so it may
    split a task's co-partitioned inputs between members)."""
    return common_config(bootstrap_servers) | {
        "group.id": group_id,
        "enable.auto.commit": False,
        "isolation.level": isolation_level,
        "auto.offset.reset": auto_offset_reset,
        "partition.assignment.strategy": "range" if co_partitioned else "cooperative-sticky",
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
        # Consumers read topics that exist; they never create them by accident.
        "allow.auto.create.topics": False,
    }
