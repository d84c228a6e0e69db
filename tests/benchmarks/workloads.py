"""Which workloads exist, which systems run them, and why a combination is not
measured (yet). The harness records every skipped combination with its reason, so
the report never leaves a hole unexplained."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from tests.benchmarks.measurement import CaseResult, CaseSpec

GUARANTEES = ("at-least-once", "exactly-once")
SYSTEMS = ("streamkit", "floor", "quix")
BACKENDS = ("embedded", "kafka")


@dataclass(frozen=True)
class Workload:
    id: str
    title: str
    guarantees: tuple[str, ...]
    needs_input: bool  # a clickstream input topic loaded before the children run
    runner: str  # "module:function" taking a CaseSpec, returning a CaseResult
    extra_systems: tuple[str, ...] = ()  # measured for this workload only

    @property
    def systems(self) -> tuple[str, ...]:
        return SYSTEMS + self.extra_systems

    def run(self, spec: CaseSpec) -> CaseResult:
        module, function = self.runner.split(":")
        run: Callable[[CaseSpec], CaseResult] = getattr(
            importlib.import_module(module), function
        )
        return run(spec)


WORKLOADS = {
    w.id: w
    for w in (
        Workload("B6", "raw log: produce then consume 100-byte records", ("-",), False,
                 "tests.benchmarks.raw_log:run"),
        Workload("B1", "pass-through: parse JSON, keep even amounts, add a field, write JSON",
                 GUARANTEES, True, "tests.benchmarks.passthrough:run"),
        Workload("B2", "re-key by page, tumbling 10 s windows (2 s grace), count, emit final",
                 GUARANTEES, True, "tests.benchmarks.windowed:run",
                 extra_systems=("floor-repartition",)),
        Workload("B3", "hopping 60 s / 10 s windows, mean of amount, emit on update",
                 GUARANTEES, True, "tests.benchmarks.windowed:run"),
        Workload("W1", "session windows per user (30 s gap), count, emit on update",
                 GUARANTEES, True, "tests.benchmarks.windowed:run"),
        Workload("W2", "sliding windows per user (10 s, 2 s grace), count, emit on update",
                 GUARANTEES, True, "tests.benchmarks.windowed:run"),
        Workload("B4", "stream-table join: orders enriched from a 100,000-key customer table",
                 GUARANTEES, True, ""),
        Workload("B5", "projection rebuild: replay account events from offset 0 into balances",
                 ("-",), True, ""),
    )
}


def _importable(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


def backend_missing(backend: str) -> str | None:
    """Why streamkit's ``backend`` cannot be used yet, or None."""
    if backend == "embedded" and not _importable("streamkit.log.embedded", "EmbeddedBroker"):
        return "streamkit's embedded log (streamkit.log.embedded.EmbeddedBroker) is not built yet"
    if backend == "kafka" and not _importable("streamkit.log.kafka", "KafkaBroker"):
        return "streamkit's Kafka backend (streamkit.log.kafka.KafkaBroker) is not built yet"
    return None


def not_measured(workload: str, system: str, backend: str) -> str | None:
    """Why this combination is not measured, or None when it runs."""
    w = WORKLOADS[workload]
    if not w.runner:
        return f"{workload} is not implemented in the harness yet"
    if system == "quix":
        if backend != "kafka":
            return "Quix Streams supports Kafka only"
        if workload == "B6":
            return "B6 measures the log clients; Quix has no separate log API"
        return None
    if system in ("floor", "floor-repartition"):
        if workload == "B6" and backend == "embedded":
            return "the embedded log's own producer/consumer is what B6 measures"
        if backend == "embedded":
            return backend_missing(backend)
        return None
    missing = backend_missing(backend)
    if missing:
        return missing
    if workload == "B1":
        from tests.benchmarks.streamkit_apps import passthrough_missing

        return passthrough_missing()
    if workload in ("B2", "B3", "W1", "W2"):
        from tests.benchmarks.streamkit_apps import windows_missing

        return windows_missing()
    return None
