"""B1, pass-through: parse JSON, keep about half (even amounts), add a field, write
JSON to an output topic.

The input topic is loaded before the child starts. Every system is timed from the
first input record it receives to the moment its last output is durable (flushed and,
with exactly-once, committed), and stops after exactly ``spec.events`` inputs.

Floors, written by hand with no framework and committing every
``COMMIT_INTERVAL_S`` like the frameworks do:

* Kafka: confluent-kafka consume → orjson → dict → produce, manual commits; under
  exactly-once one transaction per interval with ``send_offsets_to_transaction``;
* embedded: the same loop on the embedded log's own consumer and producer.
"""

from __future__ import annotations

import time

import orjson
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import Producer as KafkaProducer

from tests.benchmarks.measurement import (
    COMMIT_INTERVAL_S,
    POLL_BATCH,
    CaseResult,
    CaseSpec,
    Stopwatch,
    peak_rss_bytes,
)
from tests.benchmarks.topics import count_committed, create_topics, delete_case_topics

NO_PROGRESS_TIMEOUT_S = 60.0


def run(spec: CaseSpec) -> CaseResult:
    """Measure B1 for ``spec.system`` on ``spec.backend``."""
    output = spec.name
    create_topics(spec.broker_url, [output])
    try:
        clock = Stopwatch()
        if spec.system == "floor" and spec.backend == "kafka":
            consumed = _floor_kafka(spec, output, clock)
        elif spec.system == "floor":
            consumed = _floor_broker(spec, output, clock)
        elif spec.system == "quix":
            from tests.benchmarks.quix_peer import run_passthrough

            consumed = run_passthrough(spec, output, clock)
        else:
            from tests.benchmarks.streamkit_apps import run_passthrough as run_streamkit

            consumed = run_streamkit(spec, output, clock)
        rss = peak_rss_bytes()
        written = count_committed(spec.broker_url, output)
    finally:
        delete_case_topics(spec.broker_url, spec.name)
    result = CaseResult(
        spec,
        metrics={"events_per_s": clock.rate(consumed)},
        counts={"consumed": consumed, "written": written, "expected": spec.expected_outputs},
        peak_rss_bytes=rss,
    )
    check_counts(result, consumed, written)
    return result


def check_counts(result: CaseResult, consumed: int, written: int) -> None:
    """Mark ``result`` failed unless every input was read and the outputs are exactly
    (exactly-once) or at least (at-least-once) the expected ones."""
    spec = result.spec
    problems = []
    if consumed != spec.events:
        problems.append(f"consumed {consumed} inputs, expected {spec.events}")
    if spec.expected_outputs >= 0 and (
        written < spec.expected_outputs
        or (spec.guarantee == "exactly-once" and written != spec.expected_outputs)
    ):
        problems.append(f"wrote {written} outputs, expected {spec.expected_outputs}")
    if problems:
        result.ok = False
        result.error = "; ".join(problems)


def _floor_kafka(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    eos = spec.guarantee == "exactly-once"
    producer_config = {
        "bootstrap.servers": spec.bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "partitioner": "murmur2_random",
        "linger.ms": 5,
    }
    if eos:
        producer_config["transactional.id"] = spec.name
    producer = KafkaProducer(producer_config)
    consumer = KafkaConsumer(
        {
            "bootstrap.servers": spec.bootstrap,
            "group.id": spec.name,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    errors: list[object] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            errors.append(err)

    def checkpoint() -> None:
        if eos:
            positions = consumer.position(consumer.assignment())
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata())
            producer.commit_transaction()
        else:
            if producer.flush(60):
                raise RuntimeError("floor: outputs not acknowledged within 60 s")
            consumer.commit(asynchronous=False)
        if errors:
            raise RuntimeError(f"floor: delivery failed: {errors[:3]}")

    if eos:
        producer.init_transactions()
        producer.begin_transaction()
    consumer.subscribe([spec.input_topic])
    loads, dumps, produce, poll = orjson.loads, orjson.dumps, producer.produce, producer.poll
    consumed, total = 0, spec.events
    last_commit = last_progress = time.monotonic()
    while consumed < total:
        msgs = consumer.consume(min(POLL_BATCH, total - consumed), 1.0)
        now = time.monotonic()
        if not msgs:
            if now - last_progress > NO_PROGRESS_TIMEOUT_S:
                break
            continue
        clock.start_once()
        last_progress = now
        for m in msgs:
            if m.error() is not None:
                raise RuntimeError(f"floor consumer: {m.error()}")
            v = loads(m.value())
            if v["amount"] % 2 == 0:
                v["amount_cents"] = v["amount"] * 100
                out = dumps(v)
                while True:
                    try:
                        produce(output, out, m.key(), on_delivery=on_delivery)
                        break
                    except BufferError:  # queue full: serve deliveries, retry
                        poll(0.05)
        consumed += len(msgs)
        poll(0)
        if now - last_commit >= COMMIT_INTERVAL_S:
            checkpoint()
            if eos:
                producer.begin_transaction()
            last_commit = now
    checkpoint()
    clock.stop()
    consumer.close()
    return consumed


def _floor_broker(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """The same loop on streamkit's Broker interface (the embedded log's raw API)."""
    from streamkit.log import open_broker

    eos = spec.guarantee == "exactly-once"
    broker = open_broker(spec.broker_url)
    producer = broker.producer(transactional_id=spec.name if eos else None)
    consumer = broker.consumer(group_id=spec.name, isolation_level="read_committed")

    def checkpoint() -> None:
        if eos:
            positions = {tp: consumer.position(tp) for tp in consumer.assignment()}
            producer.send_offsets_to_transaction(positions, consumer.group_metadata())
            producer.commit_transaction()
        else:
            producer.flush()
            consumer.commit()

    if eos:
        producer.init_transactions()
        producer.begin_transaction()
    consumer.subscribe([spec.input_topic])
    loads, dumps, send = orjson.loads, orjson.dumps, producer.send
    consumed, total = 0, spec.events
    last_commit = last_progress = time.monotonic()
    while consumed < total:
        batch = consumer.poll_batch(min(POLL_BATCH, total - consumed), 1.0)
        now = time.monotonic()
        if not batch:
            if now - last_progress > NO_PROGRESS_TIMEOUT_S:
                break
            continue
        clock.start_once()
        last_progress = now
        for r in batch:
            v = loads(r.value)  # type: ignore[arg-type]  # inputs are never tombstones
            if v["amount"] % 2 == 0:
                v["amount_cents"] = v["amount"] * 100
                send(output, dumps(v), r.key)
        consumed += len(batch)
        if now - last_commit >= COMMIT_INTERVAL_S:
            checkpoint()
            if eos:
                producer.begin_transaction()
            last_commit = now
    checkpoint()
    clock.stop()
    consumer.close()
    producer.close()
    broker.close()
    return consumed
