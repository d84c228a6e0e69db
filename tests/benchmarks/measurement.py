"""One measurement: what to run (:class:`CaseSpec`), what came out (:class:`CaseResult`).

Every measurement runs in its own child process so that its peak RSS is its own and
no state (librdkafka threads, Quix's RocksDB, caches) leaks from one system into the
next. The child prints one ``RESULT <json>`` line that the parent parses.
"""

from __future__ import annotations

import json
import os
import resource
import time
from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_PREFIX = "RESULT "
# Checkpoint (commit) interval used by every system that commits, so that the
# frameworks and the hand-written floors do the same amount of commit work.
COMMIT_INTERVAL_S = 1.0


def _partitions() -> int:
    """Partitions of every topic a run creates: 4, or STREAMKIT_BENCH_PARTITIONS
    for a whole run (its children inherit it), e.g. more than 8 to see input
    ordering pause each partition at its share of a group's held-records limit."""
    text = os.environ.get("STREAMKIT_BENCH_PARTITIONS", "4")
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"STREAMKIT_BENCH_PARTITIONS={text!r}: set it to a whole number "
                         "of partitions, 1 or more (or unset it for 4)")
    return int(text)


PARTITIONS = _partitions()
POLL_BATCH = 1000


@dataclass(frozen=True)
class CaseSpec:
    """One system running one workload on one backend under one guarantee."""

    workload: str  # "B6", "B1", ...
    system: str  # "streamkit", "floor", "quix"
    backend: str  # "embedded" or "kafka"
    guarantee: str  # "at-least-once", "exactly-once", or "-" where it does not apply
    events: int
    seed: int
    broker_url: str  # kafka://host:port or embedded://DIR
    run_id: str  # unique per harness run; prefixes every topic and group
    repeat: int = 0
    input_topic: str = ""  # pre-loaded input (workloads other than B6)
    expected_outputs: int = -1  # what a correct run must write (-1: not checked)
    scratch_dir: str = ""  # per-case directory for state (Quix, streamkit)
    rate: float = 0.0  # > 0: a latency case, inputs appended at this rate (tests.benchmarks.latency)

    @property
    def kind(self) -> str:
        """The workload, or ``"B3 latency"`` for a latency case: what results group by."""
        return f"{self.workload} latency" if self.rate else self.workload

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.system}/{self.backend}/{self.guarantee}"

    @property
    def name(self) -> str:
        """A topic/group-safe unique name for this case and repeat."""
        g = {"at-least-once": "alo", "exactly-once": "eos"}.get(self.guarantee, "na")
        kind = f"{self.workload}L" if self.rate else self.workload
        return f"bench-{self.run_id}-{kind}-{self.system}-{self.backend}-{g}-r{self.repeat}"

    @property
    def bootstrap(self) -> str:
        """host:port[,…] of a ``kafka://`` URL."""
        return self.broker_url.removeprefix("kafka://")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CaseSpec:
        return cls(**json.loads(text))


@dataclass
class CaseResult:
    """What one measurement produced.

    ``metrics`` holds throughputs in records/s (``produce_rps``/``consume_rps`` for
    B6, ``events_per_s`` for the processing workloads); ``counts`` holds what the
    harness verified (inputs read, outputs written); ``ok`` is false when a count
    was wrong or the run failed, and ``error`` says why.
    """

    spec: CaseSpec
    metrics: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    peak_rss_bytes: int = 0
    ok: bool = True
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["spec"] = asdict(self.spec)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaseResult:
        d = dict(d)
        d["spec"] = CaseSpec(**d["spec"])
        return cls(**d)


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far.

    Linux's ``ru_maxrss`` survives ``execve``, so a child would report its parent's
    peak; ``VmHWM`` belongs to the process's own address space.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class Stopwatch:
    """Start on the first input, stop when the last output is durable."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.stopped: float | None = None

    def start_once(self) -> None:
        if self.started is None:
            self.started = time.perf_counter()

    def stop(self) -> None:
        self.stopped = time.perf_counter()

    def rate(self, count: int) -> float:
        """``count`` per second between start and stop."""
        if self.started is None or self.stopped is None:
            raise RuntimeError("the stopwatch was never started or never stopped")
        return count / max(self.stopped - self.started, 1e-9)
