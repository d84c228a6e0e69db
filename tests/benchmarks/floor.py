"""The floors of B1–B3: each workload's work written by hand with no framework,
consume → orjson → plain dict → produce.

A floor is a :data:`Transform` (one input record in, the records it writes out: pure
logic, no I/O) driven by :func:`run_floor`, which does what the frameworks it is
compared with do around their operators, and nothing more:

* it reads ``spec.input_topic`` and stops after exactly ``spec.events`` inputs;
* it checkpoints every ``COMMIT_INTERVAL_S``: at-least-once flushes the producer
  and then commits the consumer's offsets; exactly-once runs one transaction per
  interval and commits the offsets in it (``send_offsets_to_transaction``);
* its clock runs from the first non-empty poll to the end of the last checkpoint;
* with ``rekey`` (B2's floor with a repartition hop) it writes each input, its
  bytes unchanged, keyed by ``rekey(value)``, to a repartition topic it also reads,
  and runs ``transform`` on what it reads back: the re-keying a scaled-out app has
  to do, by hand (no re-serializing);
* with ``merge`` (B2's floors) it takes its inputs in event-time order across the
  input partitions (:class:`~tests.benchmarks.time_merge.TimeMerge`), as
  streamkit's worker does where partitions meet, and commits no input it still
  holds.

On Kafka the loop uses raw confluent-kafka; on the embedded log, the log's own
consumer and producer (streamkit's Broker interface, none of the framework above it),
polling the producer after each batch so that its records are written in the
background while the next batch is processed (as streamkit's loop does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as KafkaProducer

from streamkit.log.kafka.config import FETCH_QUEUE_BACKOFF_MS
from tests.benchmarks.measurement import COMMIT_INTERVAL_S, POLL_BATCH, CaseSpec, Stopwatch
from tests.benchmarks.time_merge import Polled, TimeMerge

Output = tuple[bytes | None, bytes]
"""A record to write: key and value."""

Transform = Callable[[bytes | None, bytes, int], Iterable[Output]]
"""One input record (key, value, partition) → the records to write for it, in order."""

Rekey = Callable[[bytes], bytes]
"""An input value → its new key (for the repartition hop)."""

NO_PROGRESS_TIMEOUT_S = 60.0
POLL_TIMEOUT_S = 0.1
"""How long a poll waits for a full batch: with input arriving at a fixed rate
(latency cases) a longer wait would hold finished work back from the checkpoint."""


class _FloorIO(Protocol):
    """What :func:`run_floor` needs from a backend."""

    def poll(self, max_records: int) -> list[Any]: ...

    def process(self, batch: list[Any]) -> int:
        """Transform (or re-key) every record of ``batch`` and send what it writes;
        how many of them were read from the input topic."""

    def checkpoint(self, *, last: bool) -> None:
        """Make the outputs so far durable and commit the inputs they came from."""

    def close(self) -> None: ...


def repartition_topic(spec: CaseSpec) -> str:
    """The topic a floor with ``rekey`` re-keys into (its name contains the case's)."""
    return f"{spec.name}-floor-repartition"


def run_floor(spec: CaseSpec, output: str, transform: Transform, clock: Stopwatch,
              rekey: Rekey | None = None, *, merge: bool = False) -> int:
    """Run ``transform`` over ``spec.events`` inputs into ``output`` (through
    :func:`repartition_topic`, which must exist, with ``rekey``; in event-time
    order across the input's partitions with ``merge``, which needs the input
    loaded beforehand); how many inputs it read (fewer only when the input
    stopped coming for a minute)."""
    backend = _KafkaIO if spec.backend == "kafka" else _EmbeddedIO
    io: _FloorIO = backend(spec, output, transform, rekey, merge)
    total = spec.events
    # Inputs read, and records to read before stopping: each input once, and once
    # more from the repartition topic when there is one.
    consumed, remaining = 0, total * (2 if rekey else 1)
    last_commit = last_progress = time.monotonic()
    while remaining > 0:
        batch = io.poll(min(POLL_BATCH, remaining))
        now = time.monotonic()
        if batch:
            clock.start_once()
            last_progress = now
            inputs = io.process(batch)
            consumed += inputs
            remaining -= len(batch)
        elif now - last_progress > NO_PROGRESS_TIMEOUT_S:
            break
        # Also when idle: under exactly-once the repartitioned records are read
        # only once committed.
        if now - last_commit >= COMMIT_INTERVAL_S and consumed:
            io.checkpoint(last=False)
            last_commit = now
    io.checkpoint(last=True)
    clock.stop()
    io.close()
    return consumed


class _KafkaIO:
    """Raw confluent-kafka with streamkit's producer settings (acks=all, idempotent,
    murmur2, linger 5 ms, delivery reports for failures only) and its fetch
    backoff (``FETCH_QUEUE_BACKOFF_MS``)."""

    def __init__(self, spec: CaseSpec, output: str, transform: Transform,
                 rekey: Rekey | None, merge: bool) -> None:
        self._output, self._transform, self._rekey = output, transform, rekey
        self._repartition = repartition_topic(spec) if rekey else None
        self._eos = spec.guarantee == "exactly-once"
        producer_config: dict[str, Any] = {
            "bootstrap.servers": spec.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": "murmur2_random",
            "linger.ms": 5,
            "delivery.report.only.error": True,
            "on_delivery": self._on_delivery,
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
                "fetch.queue.backoff.ms": FETCH_QUEUE_BACKOFF_MS,
            }
        )
        self._errors: list[object] = []
        if self._eos:
            self._producer.init_transactions()
            self._producer.begin_transaction()
        self._input = spec.input_topic
        self._merge = TimeMerge(self._end_offsets()) if merge else None
        self._consumer.subscribe([spec.input_topic, *([repartition_topic(spec)] if rekey else [])])

    def _end_offsets(self) -> dict[int, int]:
        topic = self._input
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: self._consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in partitions}

    def _on_delivery(self, err: object, _msg: object) -> None:
        if err is not None:
            self._errors.append(err)

    def poll(self, max_records: int) -> list[Any]:
        return self._consumer.consume(max_records, POLL_TIMEOUT_S)

    def process(self, batch: list[Any]) -> int:
        if self._merge is not None:
            batch = self._merged(batch)
        transform, output, rekey = self._transform, self._output, self._rekey
        repartition, inputs = self._repartition, 0
        for m in batch:
            if m.error() is not None:
                raise RuntimeError(f"floor consumer: {m.error()}")
            if repartition is None:
                inputs += 1
                for key, value in transform(m.key(), m.value(), m.partition()):
                    self._produce(output, key, value)
            elif m.topic() == repartition:
                for key, value in transform(m.key(), m.value(), m.partition()):
                    self._produce(output, key, value)
            else:
                inputs += 1
                self._produce(repartition, rekey(m.value()), m.value())  # type: ignore[misc]
        self._producer.poll(0)
        return inputs

    def _merged(self, batch: list[Any]) -> list[Any]:
        """The repartitioned records of ``batch`` (and any error, which
        :meth:`process` raises), then the inputs the merge releases."""
        assert self._merge is not None
        passed: list[Any] = []
        polled: list[Polled] = []
        for m in batch:
            if m.topic() == self._input and m.error() is None:
                polled.append((m.partition(), m.offset(), m.timestamp()[1], m))
            else:
                passed.append(m)
        self._merge.add(polled)
        return passed + self._merge.release()

    def _positions(self) -> list[TopicPartition]:
        """The offsets to commit: the consumer's positions, but none past a
        held input."""
        positions = [tp for tp in self._consumer.position(self._consumer.assignment())
                     if tp.offset >= 0]  # not those read from nothing yet
        if self._merge is not None:
            held = self._merge.first_held()
            for tp in positions:
                if tp.topic == self._input and tp.partition in held:
                    tp.offset = held[tp.partition]
        return positions

    def _produce(self, topic: str, key: bytes | None, value: bytes) -> None:
        while True:
            try:
                self._producer.produce(topic, value, key)
                return
            except BufferError:  # queue full: serve deliveries, retry
                self._producer.poll(0.05)

    def checkpoint(self, *, last: bool) -> None:
        producer, consumer = self._producer, self._consumer
        if self._eos:
            producer.send_offsets_to_transaction(self._positions(),
                                                 consumer.consumer_group_metadata())
            producer.commit_transaction()
            if not last:
                producer.begin_transaction()
        else:
            if producer.flush(60):
                raise RuntimeError("floor: outputs not acknowledged within 60 s")
            try:
                consumer.commit(offsets=self._positions(), asynchronous=False)
            except KafkaException as error:  # nothing read since the last commit
                if error.args[0].code() != KafkaError._NO_OFFSET:
                    raise
        if self._errors:
            raise RuntimeError(f"floor: delivery failed: {self._errors[:3]}")

    def close(self) -> None:
        self._consumer.close()


class _EmbeddedIO:
    """The embedded log's own consumer and producer."""

    def __init__(self, spec: CaseSpec, output: str, transform: Transform,
                 rekey: Rekey | None, merge: bool) -> None:
        from streamkit.log import open_broker

        self._output, self._transform, self._rekey = output, transform, rekey
        self._repartition = repartition_topic(spec) if rekey else None
        self._eos = spec.guarantee == "exactly-once"
        self._broker = open_broker(spec.broker_url)
        self._producer = self._broker.producer(transactional_id=spec.name if self._eos else None)
        self._consumer = self._broker.consumer(group_id=spec.name, isolation_level="read_committed")
        if self._eos:
            self._producer.init_transactions()
            self._producer.begin_transaction()
        self._input = spec.input_topic
        self._merge = TimeMerge(self._end_offsets()) if merge else None
        self._consumer.subscribe([spec.input_topic, *([repartition_topic(spec)] if rekey else [])])

    def _end_offsets(self) -> dict[int, int]:
        from streamkit.log import TopicPartition as Partition

        admin = self._broker.admin()
        count = admin.describe_topic(self._input).partitions
        ends = admin.end_offsets([Partition(self._input, p) for p in range(count)])
        return {tp.partition: end for tp, end in ends.items()}

    def poll(self, max_records: int) -> list[Any]:
        return self._consumer.poll_batch(max_records, POLL_TIMEOUT_S)

    def process(self, batch: list[Any]) -> int:
        if self._merge is not None:
            self._merge.add((r.partition, r.offset, r.timestamp, r)
                            for r in batch if r.topic == self._input)
            batch = [r for r in batch if r.topic != self._input] + self._merge.release()
        transform, output, send = self._transform, self._output, self._producer.send
        rekey, repartition, inputs = self._rekey, self._repartition, 0
        for r in batch:
            if repartition is not None and r.topic != repartition:
                inputs += 1
                send(repartition, r.value, rekey(r.value))  # type: ignore[misc]
                continue
            inputs += repartition is None
            for key, value in transform(r.key, r.value, r.partition):
                send(output, value, key)
        self._producer.poll()  # let the batch out now, as streamkit's loop does
        return inputs

    def checkpoint(self, *, last: bool) -> None:
        producer, consumer = self._producer, self._consumer
        positions = {tp: consumer.position(tp) for tp in consumer.assignment()}
        if self._merge is not None:  # none past a held input
            held = self._merge.first_held()
            for tp in positions:
                if tp.topic == self._input and tp.partition in held:
                    positions[tp] = held[tp.partition]
        if self._eos:
            producer.send_offsets_to_transaction(positions, consumer.group_metadata())
            producer.commit_transaction()
            if not last:
                producer.begin_transaction()
        else:
            producer.flush()
            consumer.commit(positions)

    def close(self) -> None:
        self._consumer.close()
        self._producer.close()
        self._broker.close()
