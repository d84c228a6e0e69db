"""streamkit running the benchmark workloads: the app files in ``apps/`` run in this
process through the runtime ``streamkit run`` uses (one worker), stopped gracefully
after exactly ``spec.events`` inputs (see :mod:`tests.benchmarks.progress`)."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from tests.benchmarks import progress
from tests.benchmarks.measurement import CaseSpec, Stopwatch

APPS_DIR = Path(__file__).parent / "apps"
APP_FILES = {"B1": "passthrough.py", "B2": "tumbling_count.py", "B3": "hopping_mean.py",
             "W1": "session_count.py", "W2": "sliding_count.py"}
# A safety net only: a healthy run is stopped by its last input, long before this.
UNTIL_IDLE_S = 60.0


def _missing(*modules: str) -> str | None:
    for module, name in (m.split(":") for m in modules):
        try:
            if not hasattr(importlib.import_module(module), name):
                return f"streamkit has no {module}.{name} yet"
        except ImportError as exc:
            return f"streamkit cannot import {module} yet ({exc})"
    return None


def passthrough_missing() -> str | None:
    """Why streamkit cannot run B1 yet, or None."""
    return _missing("streamkit:App", "streamkit.runtime.workers:run")


def windows_missing() -> str | None:
    """Why streamkit cannot run B2, B3, W1 or W2 yet, or None."""
    return passthrough_missing() or _missing(
        "operators.windows:tumbling", "operators.windows:hopping", "operators.windows:session",
        "operators.windows:sliding", "operators.agg:mean")


def _run(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    from streamkit.runtime.workers import RunConfig, run

    os.environ.update({
        "STREAMKIT_BENCH_APP": spec.name,
        "STREAMKIT_BENCH_INPUT": spec.input_topic,
        "STREAMKIT_BENCH_OUTPUT": output,
    })
    progress.configure(spec.events, clock)
    code = run(RunConfig(
        app_ref=str(APPS_DIR / APP_FILES[spec.workload]),
        broker_url=spec.broker_url,
        workers=1,
        until_idle_s=UNTIL_IDLE_S,
        guarantee=spec.guarantee,
        state_root=Path(spec.scratch_dir or ".") / "state",
        log_level=logging.WARNING,
    ))
    clock.stop()
    if code != 0:
        raise RuntimeError(f"streamkit's runtime exited {code}")
    return progress.seen


def run_passthrough(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """B1 on streamkit; the number of inputs it processed."""
    return _run(spec, output, clock)


def run_windows(spec: CaseSpec, output: str, clock: Stopwatch) -> int:
    """B2, B3, W1 or W2 on streamkit; the number of inputs it processed."""
    return _run(spec, output, clock)
