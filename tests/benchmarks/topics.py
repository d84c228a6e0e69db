"""Set-up and verification around a measurement (never timed): create, load, count
and delete topics on either backend.

Kafka is handled with raw confluent-kafka so that set-up is identical whatever system
is measured; the embedded log only has streamkit's Broker interface.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import IsolationLevel, KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from tests.benchmarks.clickstream import Event
from tests.benchmarks.measurement import PARTITIONS

# Topics keep records forever: the generated event times are in 2023 and Kafka's
# time-based retention would otherwise delete them while a benchmark runs.
TOPIC_CONFIG = {"retention.ms": "-1"}


class BenchmarkSetupError(RuntimeError):
    """Set-up around a measurement failed (broker unreachable, topic not created)."""


def _kafka_admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topics(broker_url: str, names: Iterable[str], partitions: int = PARTITIONS) -> None:
    """Create empty topics that keep their records forever."""
    names = list(names)
    if broker_url.startswith("kafka://"):
        admin = _kafka_admin(broker_url.removeprefix("kafka://"))
        futures = admin.create_topics(
            [NewTopic(n, partitions, 1, config=TOPIC_CONFIG) for n in names], request_timeout=30
        )
        for name, future in futures.items():
            try:
                future.result(timeout=60)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise BenchmarkSetupError(f"could not create topic {name!r}: {exc}") from exc
        _wait_for_kafka_metadata(admin, names)
        return
    from streamkit.log import open_broker

    broker = open_broker(broker_url)
    admin = broker.admin()
    try:
        existing = set(admin.list_topics())
        for name in names:
            if name not in existing:
                admin.create_topic(name, partitions, TOPIC_CONFIG)
    finally:
        admin.close()
        broker.close()


def _wait_for_kafka_metadata(admin: AdminClient, names: list[str], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=10).topics
        if all(n in topics and not topics[n].error for n in names):
            return
        time.sleep(0.1)
    raise BenchmarkSetupError(f"topics {names} did not appear in Kafka's metadata within {timeout_s}s")


def delete_topics(broker_url: str, names: Iterable[str]) -> None:
    """Delete topics if they exist (best effort: set-up hygiene, not a measurement)."""
    names = list(names)
    if not names:
        return
    if broker_url.startswith("kafka://"):
        admin = _kafka_admin(broker_url.removeprefix("kafka://"))
        for future in admin.delete_topics(names, request_timeout=30).values():
            try:
                future.result(timeout=60)
            except KafkaException:
                pass
        return
    from streamkit.log import open_broker

    broker = open_broker(broker_url)
    admin = broker.admin()
    try:
        existing = set(admin.list_topics())
        for name in names:
            if name in existing:
                admin.delete_topic(name)
    finally:
        admin.close()
        broker.close()


def delete_case_topics(broker_url: str, case_name: str) -> None:
    """Delete every topic a case left behind: its output and the internal topics the
    system under test created (streamkit's ``<app>-…-changelog``/``-repartition``/
    ``-dlq``, Quix's ``changelog__<group>…``/``repartition__<group>…``), all of which
    contain the case's unique name."""
    own = re.compile(re.escape(case_name) + r"(?!\d)")  # "…-r1" must not match "…-r10"
    if broker_url.startswith("kafka://"):
        admin = _kafka_admin(broker_url.removeprefix("kafka://"))
        names = list(admin.list_topics(timeout=30).topics)
    else:
        from streamkit.log import open_broker

        broker = open_broker(broker_url)
        sk_admin = broker.admin()
        try:
            names = sk_admin.list_topics()
        finally:
            sk_admin.close()
            broker.close()
    delete_topics(broker_url, [n for n in names if own.search(n)])


def load(broker_url: str, topic: str, events: list[Event]) -> None:
    """Append ``events`` to ``topic`` (with their event times as record timestamps)
    and wait until all are durable."""
    if broker_url.startswith("kafka://"):
        producer = KafkaProducer(
            {
                "bootstrap.servers": broker_url.removeprefix("kafka://"),
                "enable.idempotence": True,
                "acks": "all",
                "partitioner": "murmur2_random",
                "linger.ms": 20,
            }
        )
        errors: list[object] = []

        def on_delivery(err: object, _msg: object) -> None:
            if err is not None:
                errors.append(err)

        produce = producer.produce
        for e in events:
            while True:
                try:
                    produce(topic, e.value, e.key, timestamp=e.timestamp, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.05)
        if producer.flush(120) or errors:
            raise BenchmarkSetupError(f"loading {topic!r} failed: {errors[:3]}")
        return
    from streamkit.log import open_broker

    broker = open_broker(broker_url)
    producer = broker.producer(linger_ms=20)
    try:
        send = producer.send
        for e in events:
            send(topic, e.value, e.key, timestamp=e.timestamp)
        producer.flush()
    finally:
        producer.close()
        broker.close()


def count_committed(broker_url: str, topic: str,
                    on_value: Callable[[bytes | None], None] | None = None) -> int:
    """How many records a ``read_committed`` reader sees in ``topic`` right now;
    ``on_value``, if given, is called with each one's value."""
    if broker_url.startswith("kafka://"):
        return _count_kafka(broker_url.removeprefix("kafka://"), topic, on_value)
    return _count_embedded(broker_url, topic, on_value)


def _count_kafka(bootstrap: str, topic: str,
                 on_value: Callable[[bytes | None], None] | None) -> int:
    consumer = KafkaConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{topic}-verifier",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        tps = [TopicPartition(topic, p, -2) for p in partitions]  # -2: OFFSET_BEGINNING
        # With transactions the last offsets are control records, so read until every
        # partition's position reaches its high watermark, not until a count. Not the
        # consumer's get_watermark_offsets(): under read_committed it answers the last
        # stable offset, which stops short of a just-committed transaction whose
        # markers the coordinator has not written yet (they follow commit_transaction()).
        ends = _high_watermarks(bootstrap, tps)
        consumer.assign(tps)
        pending = {p for p, end in ends.items() if end > 0}
        count = 0
        idle_deadline = time.monotonic() + 60
        while pending and time.monotonic() < idle_deadline:
            msgs = consumer.consume(10_000, 1.0)
            for m in msgs:
                if m.error() is None:
                    count += 1
                    if on_value is not None:
                        on_value(m.value())
            if msgs:
                idle_deadline = time.monotonic() + 60
            for p in list(pending):
                position = consumer.position([TopicPartition(topic, p)])[0].offset
                if position >= ends[p]:
                    pending.discard(p)
        if pending:
            raise BenchmarkSetupError(f"could not read {topic!r} to its end (partitions {pending})")
        return count
    finally:
        consumer.close()


def _high_watermarks(bootstrap: str, tps: list[TopicPartition]) -> dict[int, int]:
    """Each partition's high watermark (``read_uncommitted``: open and unmarked
    transactions included)."""
    admin = _kafka_admin(bootstrap)  # kept until the futures resolve
    futures = admin.list_offsets(
        {TopicPartition(tp.topic, tp.partition): OffsetSpec.latest() for tp in tps},
        isolation_level=IsolationLevel.READ_UNCOMMITTED, request_timeout=30)
    return {tp.partition: future.result(timeout=60).offset for tp, future in futures.items()}


def _count_embedded(broker_url: str, topic: str,
                    on_value: Callable[[bytes | None], None] | None) -> int:
    from streamkit.log import TopicPartition as SkTopicPartition
    from streamkit.log import open_broker

    broker = open_broker(broker_url)
    admin = broker.admin()
    consumer = broker.consumer(isolation_level="read_committed")
    try:
        partitions = admin.describe_topic(topic).partitions
        tps = [SkTopicPartition(topic, p) for p in range(partitions)]
        ends = admin.end_offsets(tps)
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        count = 0
        pending = {tp for tp in tps if ends[tp] > 0}
        idle_deadline = time.monotonic() + 60
        while pending and time.monotonic() < idle_deadline:
            batch = consumer.poll_batch(10_000, 1.0)
            count += len(batch)
            if on_value is not None:
                for record in batch:
                    on_value(record.value)
            if batch:
                idle_deadline = time.monotonic() + 60
            pending = {tp for tp in pending if consumer.position(tp) < ends[tp]}
        if pending:
            raise BenchmarkSetupError(f"could not read {topic!r} to its end ({pending})")
        return count
    finally:
        consumer.close()
        admin.close()
        broker.close()
