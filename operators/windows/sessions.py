"""Pure session-window logic: which sessions a record joins or bridges.

A session of one key holds records whose timestamps are chained by gaps of at
most ``gap_ms``. It is stored as ``[first, last + 1)``. A record at ``t``
touches a session ``[start, end)`` when ``start - gap <= t <= end - 1 + gap``;
it merges every session it touches, so a late record can bridge two sessions.

>>> session_touches((1_000, 1_001), 1_500, gap_ms=500)
True
>>> merged_session(1_500, [(1_000, 1_001), (2_000, 2_301)])
(1000, 2301)
"""

from __future__ import annotations

from collections.abc import Iterable


def session_touches(session: tuple[int, int], timestamp: int, *, gap_ms: int) -> bool:
    """Whether a record at ``timestamp`` joins ``session`` (``[first, last + 1)``)."""
    start, end = session
    return start - gap_ms <= timestamp <= end - 1 + gap_ms


def merged_session(timestamp: int, touched: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """The session ``[start, end)`` made of a record at ``timestamp`` and every
    session it touches."""
    start, end = timestamp, timestamp + 1
    for session_start, session_end in touched:
        start = min(start, session_start)
        end = max(end, session_end)
    return start, end


def session_close_time(end: int, *, gap_ms: int, grace_ms: int) -> int:
    """The stream time at which session ``[start, end)`` closes: no record can
    join it any more once stream time reaches ``end - 1 + gap + 1 + grace``."""
    return end + gap_ms + grace_ms
