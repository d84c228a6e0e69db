"""How a benchmark app, loaded from its file by streamkit's runtime, tells the
harness that inputs are flowing: the first input starts the clock and the last one
asks the runtime to stop (SIGTERM to itself: the documented graceful stop, which
finishes in-flight records and checkpoints before ``run`` returns).

Outside the harness (``streamkit run tests/benchmarks/apps/…``) nothing is
configured and :func:`on_input` does nothing.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from tests.benchmarks.measurement import Stopwatch

_clock: Stopwatch | None = None
_total = 0
seen = 0


def configure(total: int, clock: Stopwatch) -> None:
    """Count ``total`` inputs on ``clock``, then stop the app."""
    global _clock, _total, seen
    _clock, _total, seen = clock, total, 0


def on_source_input(_value: Any) -> None:
    """Called once per record read from the input topic by an app whose inputs
    are counted later, past a repartition topic (``on_input``): the clock starts
    when the first input is read, not when it comes back from the repartition."""
    if _clock is not None:
        _clock.start_once()


def on_input(_value: Any) -> None:
    """Called by the app once per input record (a ``peek`` step)."""
    global seen
    if _clock is None:
        return
    if seen == 0:
        _clock.start_once()
    seen += 1
    if seen == _total:
        os.kill(os.getpid(), signal.SIGTERM)
