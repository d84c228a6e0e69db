"""Brute-force reference semantics of windowed aggregation, written as plainly as
possible and sharing no code with ``operators``.

Input: records ``(key, record_id, timestamp)`` in arrival order. Each window's
content is the set of record ids that joined it; a record joins a window only
while the window is open at its arrival (``end + grace > stream time``, sessions:
``end + gap + grace > stream time``). Tumbling, hopping and sliding windows never
start before the epoch (as in Kafka Streams). Outputs:

- ``updates``: one ``(key, start, end, ids)`` per window creation or change;
- ``final``: every window closed at the final stream time, once;
- ``late``: ids of records that joined no window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

Window = tuple[Any, int, int, tuple[int, ...]]


@dataclass
class Outcome:
    updates: list[Window] = field(default_factory=list)
    final: list[Window] = field(default_factory=list)
    late: list[int] = field(default_factory=list)


def fixed(records: list[tuple[Any, int, int]], size: int, step: int, grace: int) -> Outcome:
    out = Outcome()
    contents: dict[tuple[Any, int, int], list[int]] = defaultdict(list)
    stream_time = -1
    for key, record_id, t in records:
        stream_time = max(stream_time, t)
        joined = False
        first_start = (t - size) // step * step
        for start in range(first_start, t + 1, step):
            end = start + size
            if start < 0 or not start <= t < end or end + grace <= stream_time:
                continue
            contents[(key, start, end)].append(record_id)
            out.updates.append((key, start, end, tuple(sorted(contents[(key, start, end)]))))
            joined = True
        if not joined:
            out.late.append(record_id)
    out.final = [
        (k, s, e, tuple(sorted(ids)))
        for (k, s, e), ids in contents.items()
        if e + grace <= stream_time
    ]
    return out


def session(records: list[tuple[Any, int, int]], gap: int, grace: int) -> Outcome:
    out = Outcome()
    # key -> list of [first, last, ids]
    sessions: dict[Any, list[list[Any]]] = defaultdict(list)
    stream_time = -1

    def is_open(last: int) -> bool:
        return last + 1 + gap + grace > stream_time

    for key, record_id, t in records:
        stream_time = max(stream_time, t)
        touched = [s for s in sessions[key] if s[0] - gap <= t <= s[1] + gap and is_open(s[1])]
        first = min([t] + [s[0] for s in touched])
        last = max([t] + [s[1] for s in touched])
        if t < 0 or not is_open(last):  # no window of any kind holds a time before the epoch
            out.late.append(record_id)
            continue
        ids = [record_id] + [i for s in touched for i in s[2]]
        sessions[key] = [s for s in sessions[key] if s not in touched] + [[first, last, ids]]
        out.updates.append((key, first, last + 1, tuple(sorted(ids))))
    out.final = [
        (key, first, last + 1, tuple(sorted(ids)))
        for key, key_sessions in sessions.items()
        for first, last, ids in key_sessions
        if not is_open(last)
    ]
    return out


def sliding(records: list[tuple[Any, int, int]], difference: int, grace: int) -> Outcome:
    d = difference
    out = Outcome()
    accepted: dict[Any, list[tuple[int, int]]] = defaultdict(list)  # key -> (time, id)
    created: dict[Any, dict[int, list[int]]] = defaultdict(dict)  # key -> start -> ids
    stream_time = -1

    def is_open(start: int) -> bool:
        return start + d + 1 + grace > stream_time

    for key, record_id, t in records:
        stream_time = max(stream_time, t)
        if t < 0 or not is_open(t):  # the latest window holding t, [t, t + d], is closed
            out.late.append(record_id)
            continue
        windows = created[key]
        for start, ids in sorted(windows.items()):
            if start <= t <= start + d and is_open(start):
                ids.append(record_id)
                out.updates.append((key, start, start + d + 1, tuple(sorted(ids))))
        accepted[key].append((t, record_id))
        times = [time for time, _ in accepted[key]]
        defined = {max(time - d, 0) for time in times} | {  # none before the epoch
            time + 1 for time in times if any(time < other <= time + d + 1 for other in times)
        }
        for start in sorted(defined):
            if start in windows or not is_open(start):
                continue
            ids = [i for time, i in accepted[key] if start <= time <= start + d]
            windows[start] = ids
            out.updates.append((key, start, start + d + 1, tuple(sorted(ids))))
    out.final = [
        (key, start, start + d + 1, tuple(sorted(ids)))
        for key, windows in created.items()
        for start, ids in windows.items()
        if not is_open(start)
    ]
    return out
