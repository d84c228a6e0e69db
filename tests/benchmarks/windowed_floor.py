"""The floors of B2 and B3: their windowing written by hand over plain dicts, as
:data:`~tests.benchmarks.floor.Transform` s for :func:`~tests.benchmarks.floor.run_floor`.

Windows are those of ``operators.windows``: half-open ``[start, end)``, aligned to
the epoch; a record is dropped for a window once ``end + grace <= stream time``,
stream time being the highest event time seen so far (including the record's own).
Event time is the click's ``ts``, which the loader also sets as the record timestamp.

These are lower bounds on the cost of the work, not designs that would survive a
restart or scale out: state lives in memory only (no store, no changelog), and B2's
``floor`` does not repartition, since one process reads every input partition and
can count per page directly, with one stream time over its input (which
:func:`~tests.benchmarks.floor.run_floor` merges by event time). B2's
``floor-repartition`` does (:func:`page_key`): the re-keying hop an app that scales
out cannot avoid, written by hand, counting per repartition partition
(:func:`per_partition`), as the frameworks' tasks do. B3 keeps per-user state and
the frameworks' per-partition tasks, so its stream time is per input partition.

>>> count = tumbling_count()
>>> count(b"u1", b'{"page": "/p/1", "ts": 1000}', 0)
()
>>> [orjson.loads(v) for _, v in count(b"u2", b'{"page": "/p/2", "ts": 12000}', 1)]
[{'page': '/p/1', 'start': 0, 'end': 10000, 'count': 1}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import orjson

from tests.benchmarks.floor import Output, Transform

_NEVER = 2**63
"""A stream time no input reaches."""


def page_key(value: bytes) -> bytes:
    """B2's new key: the click's page.

    >>> page_key(b'{"user": "u1", "page": "/p/7", "ts": 1}')
    b'/p/7'
    """
    page: str = orjson.loads(value)["page"]
    return page.encode()


def tumbling_count(size_ms: int = 10_000, grace_ms: int = 2_000) -> Transform:
    """B2: clicks per page in tumbling windows, one result per window once it has
    closed, keyed by page: ``{"page", "start", "end", "count"}`` (the shape of
    ``apps/tumbling_count.py``)."""
    loads, dumps = orjson.loads, orjson.dumps
    closes_after = size_ms + grace_ms  # from a window's start to the stream time closing it
    counts: dict[int, dict[str, int]] = {}  # window start -> page -> clicks
    stream_time = -1
    close_at = _NEVER  # when the earliest open window closes

    def transform(_key: bytes | None, value: bytes, _partition: int) -> list[Output] | tuple[()]:
        nonlocal stream_time, close_at
        click = loads(value)
        ts = click["ts"]
        if ts > stream_time:  # noqa: PLR1730 - a comparison, not max(): once per record
            stream_time = ts
        start = ts - ts % size_ms
        if start + closes_after <= stream_time:
            return ()  # late: its window has closed
        pages = counts.get(start)
        if pages is None:
            pages = counts[start] = {}
            close_at = min(close_at, start + closes_after)
        page = click["page"]
        pages[page] = pages.get(page, 0) + 1
        if stream_time < close_at:
            return ()
        results: list[Output] = []
        for closed in sorted(s for s in counts if s + closes_after <= stream_time):
            end = closed + size_ms
            for page, n in counts.pop(closed).items():
                result = {"page": page, "start": closed, "end": end, "count": n}
                results.append((page.encode(), dumps(result)))
        close_at = min(counts) + closes_after if counts else _NEVER
        return results

    return transform


def per_partition(make: Callable[[], Transform]) -> Transform:
    """A transform that keeps a state of its own, ``make()``, per partition read:
    one task per partition, as in the frameworks.

    >>> count = per_partition(tumbling_count)
    >>> count(b"/p/1", b'{"page": "/p/1", "ts": 1000}', 0)
    ()
    >>> count(b"/p/2", b'{"page": "/p/2", "ts": 12000}', 1)  # partition 0's window stays open
    ()
    """
    transforms: dict[int, Transform] = {}

    def transform(key: bytes | None, value: bytes, partition: int) -> Iterable[Output]:
        state = transforms.get(partition)
        if state is None:
            state = transforms[partition] = make()
        return state(key, value, partition)

    return transform


class _PartitionWindows:
    """One input partition's stream time and open hopping windows."""

    __slots__ = ("expire_at", "stream_time", "windows")

    def __init__(self) -> None:
        self.stream_time = -1
        self.expire_at = _NEVER  # when the earliest window closes
        self.windows: dict[int, dict[str, list[int]]] = {}  # start -> user -> [sum, count]


def hopping_mean(size_ms: int = 60_000, step_ms: int = 10_000, grace_ms: int = 0) -> Transform:
    """B3: mean amount per user in hopping windows, the current mean of every window
    a click updates (latest window first), keyed by user: ``{"user", "start", "end",
    "mean"}`` (the shape of ``apps/hopping_mean.py``). Windows are dropped from the
    dict once closed, ``size + grace`` after their start.

    >>> mean = hopping_mean()
    >>> [orjson.loads(v)["start"] for _, v in mean(b"u1", b'{"user": "u1", "amount": 4, "ts": 65000}', 0)]
    [60000, 50000, 40000, 30000, 20000, 10000]
    >>> key, value = mean(b"u1", b'{"user": "u1", "amount": 1, "ts": 66000}', 0)[0]
    >>> key, orjson.loads(value)
    (b'u1', {'user': 'u1', 'start': 60000, 'end': 120000, 'mean': 2.5})
    """
    loads, dumps = orjson.loads, orjson.dumps
    closes_after = size_ms + grace_ms
    partitions: dict[int, _PartitionWindows] = {}

    def transform(key: bytes | None, value: bytes, partition: int) -> list[Output]:
        click = loads(value)
        ts = click["ts"]
        state = partitions.get(partition)
        if state is None:
            state = partitions[partition] = _PartitionWindows()
        stream_time = state.stream_time
        if ts > stream_time:
            stream_time = state.stream_time = ts
            if stream_time >= state.expire_at:
                _expire(state, closes_after)
        # The windows holding the click start after ts - size; the open ones after
        # stream time - size - grace. Latest first, as streamkit emits them.
        lowest = ts - size_ms
        if stream_time - closes_after > lowest:  # noqa: PLR1730 - once per record
            lowest = stream_time - closes_after
        start = ts - ts % step_ms
        user, amount = click["user"], click["amount"]
        windows = state.windows
        results: list[Output] = []
        while start > lowest:
            users = windows.get(start)
            if users is None:
                users = windows[start] = {}
                state.expire_at = min(state.expire_at, start + closes_after)
            accumulator = users.get(user)
            if accumulator is None:
                accumulator = users[user] = [amount, 1]
            else:
                accumulator[0] += amount
                accumulator[1] += 1
            result = {"user": user, "start": start, "end": start + size_ms,
                      "mean": accumulator[0] / accumulator[1]}
            results.append((key, dumps(result)))
            start -= step_ms
        return results

    return transform


def _expire(state: _PartitionWindows, closes_after: int) -> None:
    """Drop the windows of ``state`` that its stream time has closed."""
    windows = state.windows
    for start in [s for s in windows if s + closes_after <= state.stream_time]:
        del windows[start]
    state.expire_at = min(windows) + closes_after if windows else _NEVER
