"""Scheduled callbacks of a task, driven by stream time or the wall clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streamkit.processor import Punctuation


@dataclass(eq=False, slots=True)
class Schedule:
    """One ``context.schedule(...)`` registration. ``next_ms`` is ``None`` until the
    time it is measured against is first known (stream time before any record)."""

    interval_ms: int
    kind: Punctuation
    callback: Callable[[int], None]
    next_ms: int | None
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True

    def due(self, now_ms: int) -> bool:
        """Whether the callback should fire at ``now_ms``; advances ``next_ms`` past
        ``now_ms`` when it is (missed intervals fire once, not once each)."""
        if self.cancelled or now_ms < 0:
            return False
        if self.next_ms is None:
            self.next_ms = now_ms + self.interval_ms
            return False
        if now_ms < self.next_ms:
            return False
        missed = (now_ms - self.next_ms) // self.interval_ms + 1
        self.next_ms += missed * self.interval_ms
        return True


class Punctuator:
    """The schedules of one task, with the earliest stream-time deadline kept in
    ``next_stream_ms`` so the per-record check is one comparison."""

    __slots__ = ("next_stream_ms", "stream", "wall")

    NEVER = 1 << 62

    def __init__(self) -> None:
        self.stream: list[Schedule] = []
        self.wall: list[Schedule] = []
        self.next_stream_ms = self.NEVER

    def add(self, schedule: Schedule) -> Schedule:
        if schedule.kind is Punctuation.STREAM_TIME:
            self.stream.append(schedule)
            self.next_stream_ms = -1  # recomputed on the next record
        else:
            self.wall.append(schedule)
        return schedule

    def fire_stream(self, stream_time: int) -> None:
        """Fire stream-time schedules due at ``stream_time``."""
        self.stream = [s for s in self.stream if not s.cancelled]
        for s in self.stream:
            if s.due(stream_time):
                s.callback(stream_time)
        pending = [s.next_ms for s in self.stream if s.next_ms is not None and not s.cancelled]
        self.next_stream_ms = min(pending) if pending else self.NEVER

    def fire_wall(self, now_ms: int) -> None:
        """Fire wall-clock schedules due at ``now_ms``."""
        self.wall = [s for s in self.wall if not s.cancelled]
        for s in self.wall:
            if s.due(now_ms):
                s.callback(now_ms)
