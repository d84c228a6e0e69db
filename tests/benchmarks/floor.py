"""The floors of B1–B3: each workload's work written by hand with no framework,
consume → orjson → plain dict → produce.

A floor is a :data:`Transform` (one input record in, the records it writes out: pure
logic, no I/O) driven by :func:`run_floor`, which does what the frameworks it is
compared with do around their operators, and nothing more:

* it reads ``spec.input_topic`` and stops after exactly ``spec.events`` inputs;
* it checkpoints every ``COMMIT_INTERVAL_S``: at-least-once flushes the producer
  and then commits the consumer's offsets; exactly-once runs one transaction per
  interval and commits the offsets in it (``send_offsets_to_transaction``);
* its clock runs from the first non-empty poll to the end of the last checkpoint.

On Kafka the loop uses raw confluent-kafka; on the embedded log, the log's own
consumer and producer (streamkit's Broker interface, none of the framework above it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import Producer as KafkaProducer

from tests.benchmarks.measurement import COMMIT_INTERVAL_S, POLL_BATCH, CaseSpec, Stopwatch

Output = tuple[bytes | None, bytes]
"""A record to write: key and value."""

Transform = Callable[[bytes | None, bytes, int], Iterable[Output]]
"""One input record (key, value, partition) → the records to write for it, in order."""

NO_PROGRESS_TIMEOUT_S = 60.0


class _FloorIO(Protocol):
    """What :func:`run_floor` needs from a backend."""

    def poll(self, max_records: int) -> list[Any]: ...

    def process(self, batch: list[Any]) -> None:
        """Transform every record of ``batch`` and send what it writes."""

    def checkpoint(self, *, last: bool) -> None:
        """Make the outputs so far durable and commit the inputs they came from."""

    def close(self) -> None: ...


def run_floor(spec: CaseSpec, output: str, transform: Transform, clock: Stopwatch) -> int:
    """Run ``transform`` over ``spec.events`` inputs into ``output``; how many
    inputs it read (fewer only when the input stopped coming for a minute)."""
    io: _FloorIO = (_KafkaIO if spec.backend == "kafka" else _EmbeddedIO)(spec, output, transform)
    consumed, total = 0, spec.events
    last_commit = last_progress = time.monotonic()
    while consumed < total:
        batch = io.poll(min(POLL_BATCH, total - consumed))
        now = time.monotonic()
        if not batch:
            if now - last_progress > NO_PROGRESS_TIMEOUT_S:
                break
            continue
        clock.start_once()
        last_progress = now
        io.process(batch)
        consumed += len(batch)
        if now - last_commit >= COMMIT_INTERVAL_S:
            io.checkpoint(last=False)
            last_commit = now
    io.checkpoint(last=True)
    clock.stop()
    io.close()
    return consumed


class _KafkaIO:
    """Raw confluent-kafka with streamkit's producer settings (acks=all, idempotent,
    murmur2, linger 5 ms)."""

    def __init__(self, spec: CaseSpec, output: str, transform: Transform) -> None:
        self._output, self._transform = output, transform
        self._eos = spec.guarantee == "exactly-once"
        producer_config: dict[str, Any] = {
            "bootstrap.servers": spec.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": "murmur2_random",
            "linger.ms": 5,
        }
        if self._eos:
            producer_config["transactional.id"] = spec.name
        self._producer = KafkaProducer(producer_config)
        self._consumer = KafkaConsumer(
            {
                "bootstrap.servers": spec.bootstrap,
                "group.id": spec.name,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        self._errors: list[object] = []
        if self._eos:
            self._producer.init_transactions()
            self._producer.begin_transaction()
        self._consumer.subscribe([spec.input_topic])

    def _on_delivery(self, err: object, _msg: object) -> None:
        if err is not None:
            self._errors.append(err)

    def poll(self, max_records: int) -> list[Any]:
        return self._consumer.consume(max_records, 1.0)

    def process(self, batch: list[Any]) -> None:
        transform, output, on_delivery = self._transform, self._output, self._on_delivery
        produce, poll = self._producer.produce, self._producer.poll
        for m in batch:
            if m.error() is not None:
                raise RuntimeError(f"floor consumer: {m.error()}")
            for key, value in transform(m.key(), m.value(), m.partition()):
                while True:
                    try:
                        produce(output, value, key, on_delivery=on_delivery)
                        break
                    except BufferError:  # queue full: serve deliveries, retry
                        poll(0.05)
        poll(0)

    def checkpoint(self, *, last: bool) -> None:
        producer, consumer = self._producer, self._consumer
        if self._eos:
            positions = consumer.position(consumer.assignment())
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata())
            producer.commit_transaction()
            if not last:
                producer.begin_transaction()
        else:
            if producer.flush(60):
                raise RuntimeError("floor: outputs not acknowledged within 60 s")
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as error:  # nothing read since the last commit
                if error.args[0].code() != KafkaError._NO_OFFSET:
                    raise
        if self._errors:
            raise RuntimeError(f"floor: delivery failed: {self._errors[:3]}")

    def close(self) -> None:
        self._consumer.close()


class _EmbeddedIO:
    """The embedded log's own consumer and producer."""

    def __init__(self, spec: CaseSpec, output: str, transform: Transform) -> None:
        from streamkit.log import open_broker

        self._output, self._transform = output, transform
        self._eos = spec.guarantee == "exactly-once"
        self._broker = open_broker(spec.broker_url)
        self._producer = self._broker.producer(transactional_id=spec.name if self._eos else None)
        self._consumer = self._broker.consumer(group_id=spec.name, isolation_level="read_committed")
        if self._eos:
            self._producer.init_transactions()
            self._producer.begin_transaction()
        self._consumer.subscribe([spec.input_topic])

    def poll(self, max_records: int) -> list[Any]:
        return self._consumer.poll_batch(max_records, 1.0)

    def process(self, batch: list[Any]) -> None:
        transform, output, send = self._transform, self._output, self._producer.send
        for r in batch:
            for key, value in transform(r.key, r.value, r.partition):
                send(output, value, key)

    def checkpoint(self, *, last: bool) -> None:
        producer, consumer = self._producer, self._consumer
        if self._eos:
            positions = {tp: consumer.position(tp) for tp in consumer.assignment()}
            producer.send_offsets_to_transaction(positions, consumer.group_metadata())
            producer.commit_transaction()
            if not last:
                producer.begin_transaction()
        else:
            producer.flush()
            consumer.commit()

    def close(self) -> None:
        self._consumer.close()
        self._producer.close()
        self._broker.close()
