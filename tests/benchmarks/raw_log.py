"""B6, the raw log: produce N 100-byte records, flush, then read them all back.

Two systems: ``streamkit`` (the Broker interface, on either backend) and ``floor``
(raw confluent-kafka with the same producer settings streamkit uses: acks=all,
idempotent, Java murmur2 partitioner, linger.ms=5; and, like the floors of B1–B3,
its consumer's fetch backoff, ``FETCH_QUEUE_BACKOFF_MS``). Produce throughput runs
from the first send to the end of the flush that makes the last record durable;
consume throughput from the first poll to the last record.
"""

from __future__ import annotations

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from streamkit.log.kafka.config import FETCH_QUEUE_BACKOFF_MS
from tests.benchmarks.clickstream import Event
from tests.benchmarks.datasets import raw_dataset
from tests.benchmarks.measurement import (
    PARTITIONS,
    POLL_BATCH,
    CaseResult,
    CaseSpec,
    Stopwatch,
    peak_rss_bytes,
)
from tests.benchmarks.topics import create_topics, delete_topics

LINGER_MS = 5


def run(spec: CaseSpec) -> CaseResult:
    """Measure B6 for ``spec.system`` on ``spec.backend``."""
    records = raw_dataset(spec.events, spec.seed)
    topic = spec.name
    create_topics(spec.broker_url, [topic])
    try:
        if spec.system == "floor":
            produce, consume, read = _floor(spec, topic, records)
        else:
            produce, consume, read = _streamkit(spec, topic, records)
        rss = peak_rss_bytes()
    finally:
        delete_topics(spec.broker_url, [topic])
    result = CaseResult(
        spec,
        metrics={"produce_rps": produce, "consume_rps": consume},
        counts={"produced": len(records), "consumed": read},
        peak_rss_bytes=rss,
    )
    if read != len(records):
        result.ok = False
        result.error = f"read back {read} records, expected {len(records)}"
    return result


def _streamkit(spec: CaseSpec, topic: str, records: list[Event]) -> tuple[float, float, int]:
    from streamkit.log import TopicPartition, open_broker

    broker = open_broker(spec.broker_url)
    producer = broker.producer(linger_ms=LINGER_MS)
    produce_clock = Stopwatch()
    produce_clock.start_once()
    send = producer.send
    for r in records:
        send(topic, r.value, r.key)
    producer.flush()
    produce_clock.stop()
    producer.close()

    consumer = broker.consumer(isolation_level="read_uncommitted")
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consume_clock = Stopwatch()
    consume_clock.start_once()
    read, total, empty_polls = 0, len(records), 0
    poll_batch = consumer.poll_batch
    while read < total and empty_polls < 30:
        batch = poll_batch(POLL_BATCH, 1.0)
        read += len(batch)
        empty_polls = 0 if batch else empty_polls + 1
    consume_clock.stop()
    consumer.close()
    broker.close()
    return produce_clock.rate(total), consume_clock.rate(read), read


def _floor(spec: CaseSpec, topic: str, records: list[Event]) -> tuple[float, float, int]:
    if spec.backend != "kafka":
        raise ValueError("the raw confluent-kafka floor only exists for the Kafka backend")
    producer = KafkaProducer(
        {
            "bootstrap.servers": spec.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": "murmur2_random",
            "linger.ms": LINGER_MS,
        }
    )
    errors: list[object] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            errors.append(err)

    produce_clock = Stopwatch()
    produce_clock.start_once()
    produce, poll = producer.produce, producer.poll
    for r in records:
        while True:
            try:
                produce(topic, r.value, r.key, on_delivery=on_delivery)
                break
            except BufferError:  # librdkafka's queue is full: serve deliveries, retry
                poll(0.05)
    remaining = producer.flush(120)
    produce_clock.stop()
    if remaining or errors:
        raise RuntimeError(f"floor producer: {remaining} undelivered, errors {errors[:3]}")

    consumer = KafkaConsumer(
        {
            "bootstrap.servers": spec.bootstrap,
            "group.id": spec.name,
            "enable.auto.commit": False,
            "isolation.level": "read_uncommitted",
            "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
        }
    )
    consumer.assign([KafkaTopicPartition(topic, p, -2) for p in range(PARTITIONS)])
    consume_clock = Stopwatch()
    consume_clock.start_once()
    read, total, empty_polls = 0, len(records), 0
    consume = consumer.consume
    while read < total and empty_polls < 30:
        msgs = consume(POLL_BATCH, 1.0)
        for m in msgs:
            if m.error() is not None:
                raise RuntimeError(f"floor consumer: {m.error()}")
        read += len(msgs)
        empty_polls = 0 if msgs else empty_polls + 1
    consume_clock.stop()
    consumer.close()
    return produce_clock.rate(total), consume_clock.rate(read), read
