"""B2's floors' input, merged by event time across partitions, by hand.

A consumer returns a backlog in runs per partition (a fetch's worth of one, then
of another), so one partition's event time runs ahead of the others'. Counting
in that order drops most clicks as late. streamkit's worker therefore hands its
tasks the records of partitions that meet in event-time order, and a floor doing
the same work must too. :class:`TimeMerge` is the least a hand-written program
needs for that, over a preloaded input whose end offsets it reads once at the
start: it releases records in order of their *partition time* (the highest
timestamp their partition had shown up to them, so each partition keeps its
offset order) once every partition not read to its end has shown a later one.

>>> merge = TimeMerge({0: 2, 1: 1})  # partition -> end offset
>>> merge.add([(0, 0, 10, "a"), (0, 1, 30, "b")])
>>> merge.release()  # partition 1 may still bring a record before 10
[]
>>> merge.first_held()
{0: 0}
>>> merge.add([(1, 0, 20, "c")])  # partition 1 is read to its end
>>> merge.release()
['a', 'c', 'b']
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

_NEVER = 2**63
_partition_time = itemgetter(0)

Polled = tuple[int, int, int, Any]
"""A polled input record: ``(partition, offset, timestamp, record)``."""


class TimeMerge:
    """Holds records of an input read from its beginning, and releases them in
    partition-time order (see the module). ``ends`` are the input partitions'
    end offsets; the input must not grow while it is read."""

    def __init__(self, ends: Mapping[int, int]) -> None:
        self._unread = {p: end for p, end in ends.items() if end > 0}  # not read to its end
        self._time = dict.fromkeys(ends, -1)  # partition -> its partition time so far
        self._held: list[tuple[int, int, int, Any]] = []  # (partition time, partition, offset, record)

    def add(self, polled: Iterable[Polled]) -> None:
        """Hold records, each partition's in offset order."""
        times, unread, held = self._time, self._unread, self._held
        for partition, offset, timestamp, record in polled:
            latest = times[partition]
            if timestamp > latest:
                latest = times[partition] = timestamp
            held.append((latest, partition, offset, record))
            if offset + 1 >= unread.get(partition, 0):
                unread.pop(partition, None)

    def release(self) -> list[Any]:
        """The held records no partition still being read can precede, in
        partition-time order (all of them once every partition is read)."""
        held = self._held
        if not held:
            return []
        horizon = min((self._time[p] for p in self._unread), default=_NEVER)
        held.sort(key=_partition_time)  # stable: each partition's offset order stays
        cut = bisect_right(held, horizon, key=_partition_time)
        released = [entry[3] for entry in held[:cut]]
        del held[:cut]
        return released

    def first_held(self) -> dict[int, int]:
        """Each partition's first held offset: what a commit may not pass."""
        first: dict[int, int] = {}
        for _, partition, offset, _record in self._held:
            if offset < first.get(partition, _NEVER):
                first[partition] = offset
        return first
