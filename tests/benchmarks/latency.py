"""Latency: p50/p99 from append to output, at a fixed input rate below capacity.

A latency case runs a workload's system exactly as its throughput case does, except
that the input topic starts empty. A *feeder* process, started just before the system,
appends the events at ``spec.rate`` per second and reads the output topic
(``read_committed``) as the system writes it. Both ends are timed on the feeder's
clock, so no two clocks are compared:

* an input's append time is when the feeder handed it to its producer (no linger:
  Kafka's producer sends at once, the embedded one is flushed every tick);
* an output's time is when the feeder's consumer returned it.

Each output is attributed to the input that caused it without reading anything
from it: the workload's floor transform, run over the events in append order, says
how many outputs each input causes and with which keys. Outputs with the same key
come out in the order of their inputs, so the n-th output read with key *k* belongs
to the input of the n-th expected output with key *k*. This holds for every system
whose outputs match the floor's per input (the throughput cases check the counts);
outputs that find no input are counted as ``unmatched`` (a case fails above
:data:`MAX_UNMATCHED` of them, or when an expected output never comes).

The first :data:`WARM_UP` of the inputs are left out of the figures: they wait for
the system to start and join its group. B1 and B3 are measured this way; B2's final
windows wait for stream time to pass the window end plus grace, which at a given
rate is a fixed event-time distance, not the system's latency.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from tests.benchmarks.datasets import clickstream_dataset
from tests.benchmarks.measurement import PARTITIONS, CaseResult, CaseSpec
from tests.benchmarks.topics import create_topics

WARM_UP = 0.25
"""The share of a case's inputs (the first ones) left out of its latency figures."""
TICK_S = 0.005
"""How often the feeder appends what is due and polls the output."""
DRAIN_TIMEOUT_S = 30.0
"""How long the feeder keeps reading after the last append when outputs are missing."""
MAX_UNMATCHED = 0.005
"""The share of outputs that may match no input before a case counts as failed."""
LATENCY_WORKLOADS = ("B1", "B3")
LATENCY_S = 15.0
"""Seconds of input per latency case by default (its events: rate × this)."""


def expected_keys(workload: str, events: list[Any]) -> list[list[bytes | None]]:
    """For each event, in append order, the keys of the outputs it causes (its
    workload's floor transform, each input on its key's partition)."""
    from streamkit.log.partitioner import partition_for_key
    from tests.benchmarks.passthrough import keep_even_add_cents
    from tests.benchmarks.windowed_floor import hopping_mean

    transform = {"B1": keep_even_add_cents, "B3": hopping_mean()}[workload]
    return [[key for key, _ in transform(e.key, e.value, partition_for_key(e.key, PARTITIONS))]
            for e in events]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ascending ``sorted_values``.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.99)
    (2.0, 4.0)
    """
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil, at least 1
    return sorted_values[int(rank) - 1]


class Attribution:
    """Matches outputs, by key and in order, to the inputs that caused them."""

    def __init__(self, keys_per_input: list[list[bytes | None]]) -> None:
        self._pending: dict[bytes | None, deque[int]] = defaultdict(deque)
        for index, keys in enumerate(keys_per_input):
            for key in keys:
                self._pending[key].append(index)
        self.expected = sum(len(keys) for keys in keys_per_input)
        self.matched = 0
        self.unmatched = 0

    def input_of(self, key: bytes | None) -> int | None:
        """The input the next output with ``key`` belongs to (None: none left).

        >>> a = Attribution([[b"u1"], [], [b"u1", b"u2"]])
        >>> a.input_of(b"u2"), a.input_of(b"u1"), a.input_of(b"u1"), a.input_of(b"u1")
        (2, 0, 2, None)
        """
        waiting = self._pending.get(key)
        if not waiting:
            self.unmatched += 1
            return None
        self.matched += 1
        return waiting.popleft()

    @property
    def done(self) -> bool:
        return self.matched >= self.expected


def run(spec: CaseSpec) -> CaseResult:
    """Measure the latency of ``spec.system`` on ``spec.workload`` at ``spec.rate``
    inputs per second (the throughput case's own runner drives the system)."""
    from tests.benchmarks.workloads import WORKLOADS

    spec = replace(spec, input_topic=f"{spec.name}-in")
    create_topics(spec.broker_url, [spec.input_topic])
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[dict[str, Any]] = context.Queue()
    feeder = context.Process(target=_feed, args=(spec, results), daemon=True)
    feeder.start()
    try:
        result = WORKLOADS[spec.workload].run(spec)  # the system, as for throughput
        try:
            figures = results.get(timeout=DRAIN_TIMEOUT_S + 30)
        except queue.Empty:
            figures = {"error": "the feeder reported nothing"}
    finally:
        feeder.join(timeout=5)
        if feeder.is_alive():
            feeder.kill()
    result.spec = spec
    if "error" in figures:
        result.ok, result.error = False, f"latency: {figures['error']}"
        return result
    result.metrics = {"latency_p50_ms": figures["p50_ms"], "latency_p99_ms": figures["p99_ms"],
                      "input_per_s": figures["input_per_s"]}
    result.counts.update(latency_samples=figures["samples"], unmatched=figures["unmatched"])
    # A system whose late-record rules differ a little from the floor's (Quix)
    # writes a few outputs the floor does not: they shift the attribution of
    # later outputs of their key by one input, which a few per thousand may.
    if figures["missing"] or figures["unmatched"] > MAX_UNMATCHED * figures["samples"]:
        result.ok = False
        result.error = (f"latency: {figures['unmatched']} outputs matched no input, "
                        f"{figures['missing']} expected outputs never came")
    return result


def _feed(spec: CaseSpec, results: multiprocessing.Queue[dict[str, Any]]) -> None:
    """The feeder process: append at ``spec.rate``, read outputs, report figures."""
    try:
        results.put(_measure(spec))
    except Exception as exc:  # noqa: BLE001 - reported to the case as its error
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def _measure(spec: CaseSpec) -> dict[str, Any]:
    events = clickstream_dataset(spec.events, spec.seed)
    attribution = Attribution(expected_keys(spec.workload, events))
    appended = [0.0] * len(events)
    latencies: list[float] = []
    warm_up = int(len(events) * WARM_UP)
    append, read, close = _clients(spec)
    try:
        sent = 0
        start = time.perf_counter()
        last_append = start
        while True:
            now = time.perf_counter()
            due = min(len(events), int((now - start) * spec.rate) + 1)
            if sent < due:
                append(events[sent:due])
                for index in range(sent, due):
                    appended[index] = now
                sent = due
                last_append = now
            for key in read(TICK_S):
                index = attribution.input_of(key)
                if index is not None and index >= warm_up:
                    latencies.append(time.perf_counter() - appended[index])
            if attribution.done or (sent == len(events)
                                    and time.perf_counter() - last_append > DRAIN_TIMEOUT_S):
                break
    finally:
        close()
    if not latencies:
        raise RuntimeError(f"no output arrived for the {len(events) - warm_up} measured inputs")
    latencies.sort()
    return {
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "input_per_s": len(events) / max(last_append - start, 1e-9),
        "samples": len(latencies),
        "unmatched": attribution.unmatched,
        "missing": attribution.expected - attribution.matched,
    }


ReadFn = Callable[[float], Iterator[bytes | None]]


def _clients(spec: CaseSpec) -> tuple[Callable[[list[Any]], None], ReadFn, Callable[[], None]]:
    """``append(events)``, ``read(timeout)`` (keys of the outputs read) and ``close()``
    on the case's backend."""
    if spec.backend == "kafka":
        return _kafka_clients(spec)
    return _embedded_clients(spec)


def _kafka_clients(spec: CaseSpec) -> tuple[Callable[[list[Any]], None], ReadFn, Callable[[], None]]:
    from confluent_kafka import Consumer, Producer, TopicPartition

    producer = Producer({"bootstrap.servers": spec.bootstrap, "linger.ms": 0,
                         "enable.idempotence": True, "partitioner": "murmur2_random"})
    consumer = Consumer({"bootstrap.servers": spec.bootstrap, "group.id": f"{spec.name}-latency",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "fetch.wait.max.ms": 5})
    output = spec.name
    _wait_for(lambda: output in consumer.list_topics(output, timeout=5).topics
              and not consumer.list_topics(output, timeout=5).topics[output].error)
    consumer.assign([TopicPartition(output, p, -2) for p in range(PARTITIONS)])

    def append(batch: list[Any]) -> None:
        for e in batch:
            producer.produce(spec.input_topic, e.value, e.key, timestamp=e.timestamp)
        producer.poll(0)

    def read(timeout: float) -> Iterator[bytes | None]:
        for message in consumer.consume(10_000, timeout):
            if message.error() is None:
                yield message.key()

    def close() -> None:
        producer.flush(30)
        consumer.close()

    return append, read, close


def _embedded_clients(spec: CaseSpec) -> tuple[Callable[[list[Any]], None], ReadFn, Callable[[], None]]:
    from streamkit.log import TopicPartition, open_broker

    broker = open_broker(spec.broker_url)
    producer = broker.producer(linger_ms=0)
    consumer = broker.consumer(isolation_level="read_committed")
    admin = broker.admin()
    _wait_for(lambda: spec.name in admin.list_topics())
    partitions = [TopicPartition(spec.name, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    for tp in partitions:
        consumer.seek(tp, 0)

    def append(batch: list[Any]) -> None:
        for e in batch:
            producer.send(spec.input_topic, e.value, e.key, timestamp=e.timestamp)
        producer.flush()

    def read(timeout: float) -> Iterator[bytes | None]:
        for record in consumer.poll_batch(10_000, timeout):
            yield record.key

    def close() -> None:
        producer.close()
        consumer.close()
        admin.close()
        broker.close()

    return append, read, close


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the output topic did not appear within {timeout_s:.0f} s")
        time.sleep(0.05)
