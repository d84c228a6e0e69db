"""Pure window arithmetic: which windows hold a timestamp, and when they close.

All windows are half-open ``[start, end)`` in ms since the epoch. As in Kafka
Streams, no tumbling or hopping window starts before the epoch: a timestamp
within ``size`` of it is in fewer hopping windows, and a negative one in none.

>>> fixed_windows(12_345, size_ms=10_000, step_ms=10_000)
[(10000, 20000)]
>>> fixed_windows(12_345, size_ms=10_000, step_ms=5_000)
[(10000, 20000), (5000, 15000)]
>>> fixed_windows(2_345, size_ms=10_000, step_ms=5_000)
[(0, 10000)]
>>> is_closed(20_000, grace_ms=2_000, stream_time=22_000)
True
"""

from __future__ import annotations

from datetime import timedelta

from operators.errors import InvalidWindowSpec

Duration = timedelta | int

FIRST_START = 0
"""The earliest start of a time window (tumbling, hopping or sliding): the epoch."""


def to_ms(duration: Duration, name: str) -> int:
    """``duration`` (a timedelta or int ms) in whole milliseconds.

    >>> to_ms(timedelta(minutes=1), "size"), to_ms(250, "grace")
    (60000, 250)
    >>> to_ms(timedelta(microseconds=1_500), "size")
    Traceback (most recent call last):
    operators.errors.InvalidWindowSpec: size must be whole milliseconds, got 1.5 ms (datetime.timedelta(microseconds=1500)): windows count event time in ms
    """
    if isinstance(duration, bool) or not isinstance(duration, timedelta | int):
        raise InvalidWindowSpec(
            f"{name} must be a timedelta or an int of milliseconds, got {duration!r}"
        )
    if isinstance(duration, timedelta):
        ms, rest = divmod(duration, _ONE_MS)
        if rest:
            raise InvalidWindowSpec(
                f"{name} must be whole milliseconds, got {duration / _ONE_MS:g} ms "
                f"({duration!r}): windows count event time in ms"
            )
        return ms
    return duration


_ONE_MS = timedelta(milliseconds=1)


def fixed_windows(timestamp: int, *, size_ms: int, step_ms: int) -> list[tuple[int, int]]:
    """The epoch-aligned windows of ``size_ms`` every ``step_ms`` that contain
    ``timestamp``, latest first (one window when ``step_ms == size_ms``), none
    starting before the epoch."""
    start = timestamp - timestamp % step_ms
    # Starts must be > lowest: to contain timestamp, and to be >= 0.
    lowest = max(timestamp - size_ms, FIRST_START - 1)
    windows = []
    while start > lowest:
        windows.append((start, start + size_ms))
        start -= step_ms
    return windows


def is_closed(end: int, *, grace_ms: int, stream_time: int) -> bool:
    """Whether a window ending at ``end`` (exclusive) no longer accepts records:
    ``end + grace <= stream_time``."""
    return end + grace_ms <= stream_time
