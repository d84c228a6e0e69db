"""Latency cases: outputs are attributed to the inputs that caused them, and the
harness measures every system's p50/p99 at a fixed rate. Only the attribution and
the counts are asserted, never a latency."""

import doctest

import pytest

from tests.benchmarks import latency
from tests.benchmarks.clickstream import clickstream, expected_passthrough_outputs
from tests.benchmarks.latency import Attribution, expected_keys
from tests.benchmarks_smoke.test_harness_runs import kafka_bootstrap, run_harness

RATE, SECONDS = 500, 4
EVENTS = RATE * SECONDS


def test_latency_doctests():
    assert doctest.testmod(latency).failed == 0


def test_every_expected_output_of_b1_and_b3_is_attributed_to_an_input():
    events = clickstream(EVENTS, seed=42)
    b1, b3 = expected_keys("B1", events), expected_keys("B3", events)
    assert sum(map(len, b1)) == expected_passthrough_outputs(events)
    assert all(keys == [e.key] * len(keys) for keys, e in zip(b3, events, strict=True))
    assert sum(map(len, b3)) == 6 * EVENTS  # the smoke input closes no hopping window
    attribution = Attribution(b3)
    for index, keys in enumerate(b3):
        assert [attribution.input_of(k) for k in keys] == [index] * len(keys)
    assert attribution.done and attribution.unmatched == 0


def assert_latency_measured(session: dict, systems: set[str]) -> None:
    results = [r for r in session["results"] if r["spec"]["rate"]]
    assert {r["spec"]["system"] for r in results} == systems
    warm_up = int(EVENTS * latency.WARM_UP)
    for r in results:
        assert r["ok"], r["error"]
        assert r["counts"]["consumed"] == EVENTS
        assert r["counts"]["latency_samples"] == 6 * (EVENTS - warm_up), r["spec"]
        assert 0 < r["metrics"]["latency_p50_ms"] <= r["metrics"]["latency_p99_ms"]
    assert "### Latency" in session["markdown"]


def run_latency(tmp_path, backends: str, *extra: str) -> dict:
    session = run_harness(tmp_path, backends, "--workloads", "B3", "--latency-only",
                          "--latency-rate", f"B3={RATE}", "--latency-seconds", str(SECONDS),
                          "--guarantees", "exactly-once", *extra)
    session["markdown"] = (tmp_path / "benchmarks.md").read_text()
    return session


def test_latency_on_the_embedded_log(tmp_path):
    assert_latency_measured(run_latency(tmp_path, "embedded"), {"streamkit", "floor"})


@pytest.mark.kafka
def test_latency_on_kafka_with_floor_and_quix(tmp_path):
    session = run_latency(tmp_path, "kafka", "--kafka", kafka_bootstrap())
    assert_latency_measured(session, {"streamkit", "floor", "quix"})
