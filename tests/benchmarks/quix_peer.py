"""The peer: Quix Streams running the same workloads on the same Kafka broker.

Quix Streams only supports Kafka, so it has no embedded-log figures. Each app stops
itself (``Application.stop``) after it has taken exactly ``spec.events`` inputs; Quix
then commits its final checkpoint (flushing the producer, or committing the
transaction) before ``run()`` returns, which is where the clock stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from quixstreams import Application

from tests.benchmarks.measurement import COMMIT_INTERVAL_S, CaseSpec, Stopwatch


def _application(spec: CaseSpec) -> Application:
    return Application(
        broker_address=spec.bootstrap,
        consumer_group=spec.name,
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once" if spec.guarantee == "exactly-once" else "at-least-once",
        commit_interval=COMMIT_INTERVAL_S,
        state_dir=spec.scratch_dir or None,
        loglevel=logging.WARNING,
        auto_create_topics=True,
    )


def _input_counter(app: Application, spec: CaseSpec, clock: Stopwatch) -> tuple[Callable[[Any], None], list[int]]:
    """An ``update`` callback that starts the clock on the first input and stops the
    app after the last one."""
    seen = [0]
    total = spec.events

    def count(_value: Any) -> None:
        if seen[0] == 0:
            clock.start_once()
        seen[0] += 1
        if seen[0] == total:
            app.stop()

    return count, seen


def run_passthrough(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """B1 on Quix: filter even amounts, add ``amount_cents``, write JSON."""
    app = _application(spec)
    source = app.topic(spec.input_topic, value_deserializer="json")
    sink = app.topic(output, value_serializer="json")
    count, seen = _input_counter(app, spec, clock)

    def enrich(v: dict) -> dict:
        v["amount_cents"] = v["amount"] * 100
        return v

    sdf = app.dataframe(source)
    sdf = sdf.update(count)
    sdf = sdf.filter(lambda v: v["amount"] % 2 == 0)
    sdf = sdf.apply(enrich)
    sdf.to_topic(sink)
    app.run()
    clock.stop()
    return seen[0]


def run_tumbling_count(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """B2 on Quix: re-key by page, tumbling 10 s windows (2 s grace), count, final."""
    app = _application(spec)
    source = app.topic(spec.input_topic, value_deserializer="json")
    sink = app.topic(output, value_serializer="json")
    count, seen = _input_counter(app, spec, clock)
    sdf = app.dataframe(source)
    sdf = sdf.update(lambda _value: clock.start_once())  # on the first input read
    # Count after the repartition: stopping on the source side would leave records
    # in flight in the repartition topic.
    sdf = sdf.group_by("page")
    sdf = sdf.update(count)
    sdf = sdf.tumbling_window(10_000, grace_ms=2_000).count().final()
    sdf.to_topic(sink)
    app.run()
    clock.stop()
    return seen[0]


def _run_per_key(spec: CaseSpec, output: str, clock: Stopwatch,
                 build: Callable[[Any], Any]) -> int:
    """Run ``build(dataframe)`` over the input (keyed by user, inputs counted
    first) into ``output``; the number of inputs taken."""
    app = _application(spec)
    source = app.topic(spec.input_topic, value_deserializer="json")
    sink = app.topic(output, value_serializer="json")
    count, seen = _input_counter(app, spec, clock)
    build(app.dataframe(source).update(count)).to_topic(sink)
    app.run()
    clock.stop()
    return seen[0]


def run_hopping_mean(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """B3 on Quix: hopping 60 s / 10 s windows per user key, mean amount, on update."""
    return _run_per_key(spec, output, clock, lambda sdf: sdf.apply(lambda v: v["amount"])
                        .hopping_window(60_000, 10_000).mean().current())


def run_session_count(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """W1 on Quix: session windows per user key (30 s inactivity gap), count, on
    update."""
    return _run_per_key(spec, output, clock,
                        lambda sdf: sdf.session_window(30_000).count().current())


def run_sliding_count(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """W2 on Quix: sliding windows per user key (10 s, 2 s grace), count, on update."""
    return _run_per_key(spec, output, clock,
                        lambda sdf: sdf.sliding_window(10_000, grace_ms=2_000).count().current())
