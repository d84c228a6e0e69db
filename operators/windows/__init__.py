"""Window kinds for ``stream.window(...)``: tumbling, hopping, sliding, session.

Sizes, gaps and grace periods take a :class:`~datetime.timedelta` or an int of
milliseconds. Windows are half-open ``[start, end)``; tumbling and hopping
windows are aligned to the epoch. A record is dropped for a window (and, when
dropped for all of them, sent to the ``"late"`` output) once
``window end + grace <= stream time``.

>>> from datetime import timedelta
>>> tumbling(timedelta(seconds=10), grace=timedelta(seconds=2))
TimeWindows(size_ms=10000, step_ms=10000, grace_ms=2000, idle_timeout_ms=None)
>>> hopping(60_000, 10_000).windows_for(65_000)[:2]
[(60000, 120000), (50000, 110000)]
"""

from __future__ import annotations

from operators.windows.assign import Duration, fixed_windows, is_closed, to_ms
from operators.windows.sessions import merged_session, session_touches
from operators.windows.sliding import new_window_starts
from operators.windows.specs import SessionWindows, SlidingWindows, TimeWindows


def _optional_ms(duration: Duration | None, name: str) -> int | None:
    return None if duration is None else to_ms(duration, name)


def tumbling(
    size: Duration, grace: Duration = 0, *, idle_timeout: Duration | None = None
) -> TimeWindows:
    """Back-to-back windows of ``size``: each record is in exactly one.

    ``idle_timeout`` (opt-in, final mode only): after that much wall-clock time
    without input to the task, close every open window.
    """
    size_ms = to_ms(size, "size")
    return TimeWindows(
        size_ms, size_ms, to_ms(grace, "grace"), _optional_ms(idle_timeout, "idle_timeout")
    )


def hopping(
    size: Duration, step: Duration, grace: Duration = 0, *, idle_timeout: Duration | None = None
) -> TimeWindows:
    """Windows of ``size`` starting every ``step`` (``0 < step <= size``): each
    record is in ``size / step`` of them."""
    return TimeWindows(
        to_ms(size, "size"),
        to_ms(step, "step"),
        to_ms(grace, "grace"),
        _optional_ms(idle_timeout, "idle_timeout"),
    )


def sliding(
    difference: Duration, grace: Duration = 0, *, idle_timeout: Duration | None = None
) -> SlidingWindows:
    """Record-driven windows over records at most ``difference`` apart
    (inclusive), as Kafka Streams' ``SlidingWindows``."""
    return SlidingWindows(
        to_ms(difference, "difference"),
        to_ms(grace, "grace"),
        _optional_ms(idle_timeout, "idle_timeout"),
    )


def session(
    gap: Duration, grace: Duration = 0, *, idle_timeout: Duration | None = None
) -> SessionWindows:
    """Per-key sessions: a session ends after ``gap`` without records; a record
    that bridges two sessions merges them."""
    return SessionWindows(
        to_ms(gap, "gap"), to_ms(grace, "grace"), _optional_ms(idle_timeout, "idle_timeout")
    )


__all__ = [
    "Duration",
    "SessionWindows",
    "SlidingWindows",
    "TimeWindows",
    "fixed_windows",
    "hopping",
    "is_closed",
    "merged_session",
    "new_window_starts",
    "session",
    "session_touches",
    "sliding",
    "to_ms",
    "tumbling",
]
