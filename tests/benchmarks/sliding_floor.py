"""The floor of W2: sliding windows written by hand over plain dicts, as a
:data:`~tests.benchmarks.floor.Transform` for :func:`~tests.benchmarks.floor.run_floor`.

Windows are those of ``operators.windows.sliding``: with a difference ``d``, each
click at ``t`` has its *left* window ``[t - d, t + 1)`` (``[0, d + 1)`` near the
epoch) and, when another of its user's clicks follows within ``d + 1``, its
*right* window ``[t + 1, t + d + 2)``. A window ``[s, s + d + 1)`` closes once
``s + d + 1 + grace <= stream time``, the highest ``ts`` its input partition has
shown (the click's own included); a click is late once its last window
``[t, t + d + 1)`` would be closed. Every click taken emits, on update, each
open window that already held its time range (by start), then each window it
opens: its left window, the right window of its user's latest earlier click
within ``d + 1``, and its own right window, in that order, as streamkit's
operator does. A window that opens counts the clicks of its range.

A lower bound on the cost of the work, like the other floors: state in memory
only, one state per input partition (the frameworks' tasks), clicks counted per
(user, ``ts``) so that a new window sums a range of them.

>>> count = sliding_count(difference_ms=5_000, grace_ms=0)
>>> def out(ts): return [orjson.loads(v) for _, v in count(b"A", orjson.dumps({"user": "A", "ts": ts}), 0)]
>>> out(8_000)
[{'user': 'A', 'start': 3000, 'end': 8001, 'count': 1}]
>>> out(9_200)
[{'user': 'A', 'start': 4200, 'end': 9201, 'count': 2}, {'user': 'A', 'start': 8001, 'end': 13002, 'count': 1}]
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

import orjson

from tests.benchmarks.clickstream import Event
from tests.benchmarks.floor import Output, Transform
from tests.benchmarks.windowed_floor import per_partition


class _UserWindows:
    """One user's open windows (count by start) and clicks (count by ``ts``),
    each with its keys sorted."""

    __slots__ = ("clicks", "starts", "times", "windows")

    def __init__(self) -> None:
        self.windows: dict[int, int] = {}
        self.starts: list[int] = []
        self.clicks: dict[int, int] = {}
        self.times: list[int] = []


def sliding_count(difference_ms: int = 10_000, grace_ms: int = 2_000) -> Transform:
    """W2: each user's clicks within ``difference_ms`` of each other, every
    updated or new window's count on every click, keyed by user:
    ``{"user", "start", "end", "count"}`` (the shape of ``apps/sliding_count.py``)."""
    return per_partition(lambda: _task(difference_ms, grace_ms))


def expected_outputs(events: list[Event]) -> int:
    """How many results W2 must write for these inputs, in any partitioning: its
    grace covers the clickstream's disorder (``MAX_LATENESS_MS``), so no window
    closes before its clicks arrive, and what is written depends only on each
    user's clicks in order."""
    count = sliding_count()
    return sum(len(count(event.key, event.value, 0)) for event in events)


def _task(d: int, grace: int) -> Transform:
    """One input partition's sliding count."""
    loads, dumps = orjson.loads, orjson.dumps
    users: dict[str, _UserWindows] = {}
    stream_time = -1
    sweep_at = 0

    def transform(key: bytes | None, value: bytes, _partition: int) -> list[Output] | tuple[()]:
        nonlocal stream_time, sweep_at
        click = loads(value)
        t = click["ts"]
        if t > stream_time:
            stream_time = t
            if stream_time >= sweep_at:
                _sweep(users, stream_time - d - grace)
                sweep_at = stream_time + d
        first_open = stream_time - d - grace  # the earliest start of an open window
        if t < 0 or t < first_open:
            return ()  # late: its last window [t, t + d + 1) has closed
        user = click["user"]
        mine = users.get(user)
        if mine is None:
            mine = users[user] = _UserWindows()
        windows, starts, clicks, times = mine.windows, mine.starts, mine.clicks, mine.times
        if t in clicks:
            clicks[t] += 1
        else:
            clicks[t] = 1
            insort(times, t)
        out: list[Output] = []
        for start in starts[bisect_left(starts, max(t - d, first_open)):bisect_right(starts, t)]:
            count = windows[start] = windows[start] + 1
            out.append((key, dumps({"user": user, "start": start, "end": start + d + 1,
                                    "count": count})))
        new_starts = [max(t - d, 0)]
        below = bisect_left(times, t)
        if below and times[below - 1] >= t - d - 1:  # the latest earlier click within d + 1
            new_starts.append(times[below - 1] + 1)
        if below + 1 < len(times) and times[below + 1] <= t + d + 1:  # a later one
            new_starts.append(t + 1)
        for start in new_starts:
            if start in windows or start < first_open:
                continue
            count = 0
            for time in times[bisect_left(times, start):bisect_right(times, start + d)]:
                count += clicks[time]
            windows[start] = count
            insort(starts, start)
            out.append((key, dumps({"user": user, "start": start, "end": start + d + 1,
                                    "count": count})))
        return out

    return transform


def _sweep(users: dict[str, _UserWindows], first_open: int) -> None:
    """Drop closed windows, clicks no open window can still need (those before
    ``first_open - 1``, whose right window has closed), and users left with
    neither."""
    for user in list(users):
        mine = users[user]
        cut = bisect_left(mine.starts, first_open)
        for start in mine.starts[:cut]:
            del mine.windows[start]
        del mine.starts[:cut]
        cut = bisect_left(mine.times, first_open - 1)
        for time in mine.times[:cut]:
            del mine.clicks[time]
        del mine.times[:cut]
        if not mine.times:
            del users[user]
