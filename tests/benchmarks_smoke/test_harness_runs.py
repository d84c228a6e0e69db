"""The harness runs end to end on a tiny input and every system gets the counts right.

Only counts are asserted, never timings: throughput belongs in docs/benchmarks.md.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from tests.benchmarks.clickstream import clickstream, expected_passthrough_outputs
from tests.benchmarks.sliding_floor import expected_outputs as expected_sliding_outputs
from tests.local_kafka import BOOTSTRAP_ENV, in_ci

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS = 2_000
WORKLOADS = "B6,B1,B2,B3,W1,W2"


def kafka_bootstrap() -> str:
    bootstrap = os.environ.get(BOOTSTRAP_ENV)
    dev_file = Path("/tmp/streamkit-dev-kafka")
    if not bootstrap and dev_file.exists():
        bootstrap = dev_file.read_text().strip()
    if not bootstrap:
        message = f"no Kafka broker: set {BOOTSTRAP_ENV} (deploy/kafka/kafka start)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return bootstrap


def run_harness(tmp_path: Path, backends: str, *extra: str) -> dict:
    results_dir = tmp_path / "results"
    command = [
        sys.executable, "-m", "tests.benchmarks", "run", "--workloads", WORKLOADS,
        "--events", str(EVENTS), "--repeats", "1", "--backends", backends,
        "--results-dir", str(results_dir), "--docs", str(tmp_path / "benchmarks.md"), *extra,
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [results_file] = results_dir.glob("bench-*.json")
    session = json.loads(results_file.read_text())
    assert "## Results" in (tmp_path / "benchmarks.md").read_text()
    return session


def expected_outputs() -> dict[str, int]:
    """What each workload writes for the smoke input, whatever the system.

    The input spans about 2 s of event time from an instant aligned to 10 s: no
    tumbling 10 s window closes (B2 writes nothing) and no hopping window does either,
    so every click updates all 6 of its 60 s / 10 s windows (B3 writes 6 per click).
    No click is late for a session (W1 writes 1 per click). W2's 2 s grace covers
    the input's disorder, so no sliding window closes before its clicks arrive
    and what W2 writes is the floor's output over the input in any partitioning
    (the floor is checked against streamkit's operator in test_sliding_floor).
    Quix writes only those of W2's windows that end at a click (see
    tests/benchmarks/windowed.py): at least one per click, fewer than the others.
    """
    events = clickstream(EVENTS, seed=42)
    first, last = min(e.timestamp for e in events), max(e.timestamp for e in events)
    assert first % 10_000 == 0 and last - first < 10_000, "the smoke input's premise changed"
    w2 = expected_sliding_outputs(events)
    assert w2 >= EVENTS, "every click writes at least its left window"
    return {"B1": expected_passthrough_outputs(events), "B2": 0, "B3": 6 * EVENTS,
            "W1": EVENTS, "W2": w2}


def assert_counts_correct(session: dict, backend: str) -> None:
    expected = expected_outputs()
    results = [r for r in session["results"] if r["spec"]["backend"] == backend]
    measured = {(r["spec"]["workload"], r["spec"]["system"]) for r in results}
    assert {("B6", "streamkit"), ("B1", "floor"), ("B2", "floor"), ("B2", "floor-repartition"),
            ("B3", "floor"), ("W1", "streamkit"), ("W1", "floor"), ("W2", "streamkit"),
            ("W2", "floor")} <= measured
    for r in results:
        assert r["ok"], r["error"]
        if r["spec"]["workload"] == "B6":
            assert r["counts"] == {"produced": EVENTS, "consumed": EVENTS}
        else:
            assert r["counts"]["consumed"] == EVENTS
            workload, written = r["spec"]["workload"], r["counts"]["written"]
            if workload == "W2" and r["spec"]["system"] == "quix":
                assert EVENTS <= written < expected["W2"], r["spec"]
            else:
                assert written == expected[workload], r["spec"]
        assert r["peak_rss_bytes"] > 0


def test_harness_measures_the_embedded_log(tmp_path):
    session = run_harness(tmp_path, "embedded")
    assert_counts_correct(session, "embedded")
    reasons = {(s["workload"], s["system"]): s["reason"] for s in session["skipped"]}
    assert "Kafka only" in reasons[("B1", "quix")]


@pytest.mark.kafka
def test_harness_measures_kafka_with_floor_and_quix(tmp_path):
    bootstrap = kafka_bootstrap()
    # Exactly-once only, the guarantee the goals are set for: every Kafka case costs
    # seconds of transactions, and the embedded test above covers both guarantees.
    session = run_harness(tmp_path, "kafka", "--kafka", bootstrap,
                          "--guarantees", "exactly-once")
    assert_counts_correct(session, "kafka")
    assert {r["spec"]["guarantee"] for r in session["results"]} == {"-", "exactly-once"}
    measured = {(r["spec"]["workload"], r["spec"]["system"]) for r in session["results"]}
    assert {("B6", "floor"), ("B1", "quix"), ("B2", "quix"), ("B3", "quix"),
            ("W1", "quix"), ("W2", "quix")} <= measured
    # The shared broker is left as it was found: no input, output or internal topics.
    run_id = session["settings"]["run_id"]
    topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=30).topics
    assert [t for t in topics if run_id in t] == []
