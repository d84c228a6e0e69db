"""The floor of W1: session windows written by hand over plain dicts, as a
:data:`~tests.benchmarks.floor.Transform` for :func:`~tests.benchmarks.floor.run_floor`.

Sessions are those of ``operators.windows.session``: a session holds a user's
clicks chained by gaps of at most ``gap``, stored as ``[first, last + 1)``; a
click at ``t`` joins every open session with ``start - gap <= t <= end - 1 + gap``
and merges them. A session closes once ``end + gap + grace <= stream time``, the
highest ``ts`` its input partition has shown (the click's own included); a click
whose merged session would be closed is dropped as late, and a closed session is
never joined again. Every click taken emits its merged session, latest count
included (no retraction for the sessions it absorbed, as in streamkit and Kafka
Streams).

A lower bound on the cost of the work, like the other floors: state in memory
only, one state per input partition (the frameworks' tasks).

>>> count = session_count(gap_ms=1_000, grace_ms=1_000)
>>> [orjson.loads(v) for _, v in count(b"u1", b'{"user": "u1", "ts": 5000}', 0)]
[{'user': 'u1', 'start': 5000, 'end': 5001, 'count': 1}]
>>> [orjson.loads(v) for _, v in count(b"u1", b'{"user": "u1", "ts": 7000}', 0)]
[{'user': 'u1', 'start': 7000, 'end': 7001, 'count': 1}]
>>> [orjson.loads(v) for _, v in count(b"u1", b'{"user": "u1", "ts": 6000}', 0)]  # late, bridges both
[{'user': 'u1', 'start': 5000, 'end': 7001, 'count': 3}]
"""

from __future__ import annotations

import orjson

from tests.benchmarks.floor import Output, Transform


class _PartitionSessions:
    """One input partition's stream time and open sessions."""

    __slots__ = ("sessions", "stream_time", "sweep_at")

    def __init__(self) -> None:
        self.stream_time = -1
        self.sweep_at = 0  # when closed sessions are next dropped
        self.sessions: dict[str, list[list[int]]] = {}  # user -> [start, end, count]


def session_count(gap_ms: int = 30_000, grace_ms: int = 0) -> Transform:
    """W1: clicks per user session, the session's current count on every click,
    keyed by user: ``{"user", "start", "end", "count"}`` (the shape of
    ``apps/session_count.py``). Closed sessions are dropped from the dict every
    ``gap`` of stream time, as streamkit's operator sweeps its store."""
    loads, dumps = orjson.loads, orjson.dumps
    closes_after = gap_ms + grace_ms  # from a session's end to the stream time closing it
    partitions: dict[int, _PartitionSessions] = {}

    def transform(key: bytes | None, value: bytes, partition: int) -> list[Output] | tuple[()]:
        click = loads(value)
        ts = click["ts"]
        state = partitions.get(partition)
        if state is None:
            state = partitions[partition] = _PartitionSessions()
        stream_time = state.stream_time
        if ts > stream_time:
            stream_time = state.stream_time = ts
            if stream_time >= state.sweep_at:
                _sweep(state, closes_after)
                state.sweep_at = stream_time + gap_ms
        user = click["user"]
        start, end, count = ts, ts + 1, 1
        kept = []
        for session in state.sessions.get(user, ()):
            s_start, s_end, s_count = session
            if s_start - gap_ms <= ts <= s_end - 1 + gap_ms and s_end + closes_after > stream_time:
                start = min(start, s_start)
                end = max(end, s_end)
                count += s_count
            else:
                kept.append(session)
        if end + closes_after <= stream_time:
            return ()  # late: its session has closed
        kept.append([start, end, count])
        state.sessions[user] = kept
        return [(key, dumps({"user": user, "start": start, "end": end, "count": count}))]

    return transform


def _sweep(state: _PartitionSessions, closes_after: int) -> None:
    """Drop every closed session, and users left with none."""
    stream_time = state.stream_time
    for user in list(state.sessions):
        open_ = [s for s in state.sessions[user] if s[1] + closes_after > stream_time]
        if open_:
            state.sessions[user] = open_
        else:
            del state.sessions[user]
