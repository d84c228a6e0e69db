"""B1, pass-through: parse JSON, keep about half (even amounts), add a field, write
JSON to an output topic.

The input topic is loaded before the child starts. Every system is timed from the
first input record it receives to the moment its last output is durable (flushed and,
with exactly-once, committed), and stops after exactly ``spec.events`` inputs.

The floor is :func:`keep_even_add_cents` run by :func:`tests.benchmarks.floor.run_floor`
(raw confluent-kafka on Kafka, the embedded log's own consumer and producer on the
embedded log).
"""

from __future__ import annotations

import orjson

from tests.benchmarks.floor import Output, run_floor
from tests.benchmarks.measurement import CaseResult, CaseSpec, Stopwatch, peak_rss_bytes
from tests.benchmarks.topics import count_committed, create_topics, delete_case_topics


def run(spec: CaseSpec) -> CaseResult:
    """Measure B1 for ``spec.system`` on ``spec.backend``."""
    output = spec.name
    create_topics(spec.broker_url, [output])
    try:
        clock = Stopwatch()
        if spec.system == "floor":
            consumed = run_floor(spec, output, keep_even_add_cents, clock)
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


def keep_even_add_cents(key: bytes | None, value: bytes, _partition: int) -> tuple[Output, ...]:
    """B1's floor transform: the click with ``amount_cents`` added when its amount is
    even, nothing otherwise."""
    click = orjson.loads(value)
    if click["amount"] % 2 == 0:
        click["amount_cents"] = click["amount"] * 100
        return ((key, orjson.dumps(click)),)
    return ()
