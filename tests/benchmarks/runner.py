"""Runs a benchmark session: plans the cases, loads inputs, runs every case in its own
child process interleaved across repeats (A B C A B C …), and aggregates medians."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.benchmarks.clickstream import expected_passthrough_outputs
from tests.benchmarks.datasets import clickstream_dataset, raw_dataset
from tests.benchmarks.latency import LATENCY_S
from tests.benchmarks.measurement import RESULT_PREFIX, CaseResult, CaseSpec
from tests.benchmarks.sliding_floor import expected_outputs as expected_sliding_outputs
from tests.benchmarks.topics import create_topics, delete_topics, load
from tests.benchmarks.workloads import SYSTEMS, WORKLOADS, not_measured

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Session:
    """Everything one harness run measured, ready to be written out."""

    environment: dict[str, Any]
    settings: dict[str, Any]
    results: list[CaseResult] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "settings": self.settings,
            "results": [r.to_dict() for r in self.results],
            "skipped": self.skipped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session read back from its results file."""
        return cls(data["environment"], data["settings"],
                   [CaseResult.from_dict(r) for r in data["results"]], data["skipped"])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_session(
    *,
    workloads: list[str],
    backends: list[str],
    guarantees: list[str],
    events: int,
    repeats: int,
    events_for: dict[str, int] | None = None,
    seed: int,
    kafka_bootstrap: str | None,
    environment: dict[str, Any],
    case_timeout_s: float | None = None,
    latency_rates: dict[str, float] | None = None,
    latency_s: float = LATENCY_S,
    throughput: bool = True,
) -> Session:
    """Measure ``workloads`` × systems × ``backends`` × ``guarantees`` with ``events``
    inputs each (``events_for`` overrides it per workload); with ``latency_rates``
    (workload → inputs/s) also the latency of those workloads at that rate, for
    ``latency_s`` seconds of input; without ``throughput``, only that."""
    events_for = events_for or {}
    latency_rates = latency_rates or {}
    run_id = uuid.uuid4().hex[:8]
    scratch = Path(tempfile.mkdtemp(prefix=f"streamkit-bench-{run_id}-"))
    urls = {"embedded": f"embedded://{scratch / 'log'}"}
    if kafka_bootstrap:
        urls["kafka"] = f"kafka://{kafka_bootstrap}"
    session = Session(
        environment,
        {"events": events, "events_for": events_for, "repeats": repeats, "seed": seed, "run_id": run_id,
         "workloads": workloads, "backends": backends, "guarantees": guarantees,
         "kafka_bootstrap": kafka_bootstrap, "latency_rates": latency_rates,
         "latency_s": latency_s,
         "throughput": throughput},
    )
    plan: list[CaseSpec] = []
    for workload_id in workloads:
        workload = WORKLOADS[workload_id]
        for backend in backends:
            for system in workload.systems:
                reason = not_measured(workload_id, system, backend)
                if reason is None and backend not in urls:
                    reason = "no Kafka broker (set STREAMKIT_KAFKA_BOOTSTRAP or --kafka)"
                label = f"{workload_id}/{system}/{backend}"
                if reason:
                    session.skipped.append({"workload": workload_id, "system": system,
                                            "backend": backend, "reason": reason})
                    log(f"not measured: {label}: {reason}")
                    continue
                rate = latency_rates.get(workload_id, 0.0)
                for guarantee in workload.guarantees:
                    if guarantee != "-" and guarantee not in guarantees:
                        continue
                    if throughput:
                        plan.append(CaseSpec(workload_id, system, backend, guarantee,
                                             events_for.get(workload_id, events), seed,
                                             urls[backend], run_id))
                    if rate and system in SYSTEMS:
                        plan.append(CaseSpec(workload_id, system, backend, guarantee,
                                             int(rate * latency_s), seed, urls[backend],
                                             run_id, rate=rate))
    for count in sorted({s.events for s in plan if s.workload == "B6"}):
        log(f"generating {count} raw records (seed {seed})")
        raw_dataset(count, seed)  # fills the cache so that no child pays for it
    # One input topic per (event count, backend); what B1 and W2 must write, per
    # (event count, workload).
    inputs: dict[tuple[int, str], str] = {}
    expected: dict[tuple[int, str], int] = {}
    try:
        for count in sorted({s.events for s in plan if WORKLOADS[s.workload].needs_input}):
            log(f"generating {count} clickstream events (seed {seed})")
            data = clickstream_dataset(count, seed)
            expected[(count, "B1")] = expected_passthrough_outputs(data)
            if any(s.workload == "W2" and s.events == count for s in plan):
                expected[(count, "W2")] = expected_sliding_outputs(data)
            for backend in sorted({s.backend for s in plan if s.events == count
                                   and _preloaded(s)}):
                topic = f"bench-{run_id}-clicks-{count}-{backend}"
                log(f"loading {count} events into {backend} topic {topic}")
                create_topics(urls[backend], [topic])
                load(urls[backend], topic, data)
                inputs[(count, backend)] = topic
            del data
        for repeat in range(repeats):
            for spec in plan:
                needs = _preloaded(spec)
                case_scratch = scratch / f"{spec.name}-r{repeat}"
                spec = CaseSpec(
                    **{**spec.__dict__, "repeat": repeat,
                       "input_topic": inputs.get((spec.events, spec.backend), "") if needs else "",
                       "expected_outputs": expected.get((spec.events, spec.workload), -1),
                       "scratch_dir": str(case_scratch)}
                )
                timeout = case_timeout_s or 120 + spec.events / 500
                result = run_case_in_child(spec, timeout)
                shutil.rmtree(case_scratch, ignore_errors=True)
                session.results.append(result)
                log(f"{spec.label} r{repeat}: " + _summary(result))
    finally:
        for (_, backend), topic in inputs.items():
            try:
                delete_topics(urls[backend], [topic])
            except Exception as exc:  # noqa: BLE001 - cleanup must not hide results
                log(f"could not delete {topic}: {exc}")
        shutil.rmtree(scratch, ignore_errors=True)
    return session


def _preloaded(spec: CaseSpec) -> bool:
    """Whether the case reads an input topic loaded before it starts (a latency
    case's input is appended while it runs)."""
    return WORKLOADS[spec.workload].needs_input and not spec.rate


def _summary(result: CaseResult) -> str:
    if not result.ok:
        return f"FAILED: {result.error}"
    metrics = ", ".join(f"{k}={v:,.0f}" for k, v in result.metrics.items())
    return f"{metrics}, peak RSS {result.peak_rss_bytes / 2**20:.0f} MiB, counts {result.counts}"


def run_case_in_child(spec: CaseSpec, timeout_s: float) -> CaseResult:
    """Run one case in a fresh interpreter and parse its result line."""
    os.makedirs(spec.scratch_dir, exist_ok=True)
    command = [sys.executable, "-m", "tests.benchmarks", "case", spec.to_json()]
    child = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = child.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        stdout, stderr = child.communicate()
        return CaseResult(spec, ok=False, error=f"timed out after {timeout_s:.0f} s")
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return CaseResult.from_dict(json.loads(line[len(RESULT_PREFIX):]))
    tail = (stderr or stdout).strip().splitlines()[-5:]
    return CaseResult(spec, ok=False, error=f"child exited {child.returncode}: " + " | ".join(tail))


def run_case_here(spec: CaseSpec) -> CaseResult:
    """The child side: measure and report, turning a crash into a failed result."""
    try:
        if spec.rate:
            from tests.benchmarks import latency

            return latency.run(spec)
        return WORKLOADS[spec.workload].run(spec)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a failed case
        import traceback

        traceback.print_exc()
        return CaseResult(spec, ok=False, error=f"{type(exc).__name__}: {exc}")
