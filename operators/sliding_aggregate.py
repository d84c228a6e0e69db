"""The sliding-window aggregate processor (see :mod:`operators.windows.sliding`).

Besides the windows, it keeps one accumulator per (key, record timestamp) in a
second window store (``<store>-by-time``, windows ``[t, t + 1)``): a window
that appears after some of its records arrived (a record's left window, or a
right window opened by a later or out-of-order record) is built by merging
those per-timestamp accumulators, so out-of-order records need no replay.
Existing windows that contain a new record just fold it in.
"""

from __future__ import annotations

from typing import Any

from operators.windowed_aggregate import WindowedAggregate
from operators.windows.assign import FIRST_START
from operators.windows.sliding import new_window_starts
from streamkit.processor import Aggregator, Message, ProcessorContext, WindowStore


def by_time_store_name(store_name: str) -> str:
    """The name of the per-timestamp store that backs sliding windows."""
    return f"{store_name}-by-time"


class SlidingWindowAggregate(WindowedAggregate):
    """Aggregates each key's records within ``difference_ms`` of each other."""

    def __init__(
        self,
        aggregator: Aggregator,
        *,
        difference_ms: int,
        grace_ms: int,
        store_name: str,
        emit_final: bool,
        idle_timeout_ms: int | None = None,
    ) -> None:
        super().__init__(
            aggregator,
            store_name=store_name,
            emit_final=emit_final,
            close_delay_ms=grace_ms,
            punctuate_every_ms=max(difference_ms, 1),
            idle_timeout_ms=idle_timeout_ms,
        )
        self._difference_ms = difference_ms

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self._by_time: WindowStore = context.get_store(by_time_store_name(self._store_name))

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        key = message.key
        t = message.timestamp
        d = self._difference_ms
        if t < FIRST_START or not self._is_open(t + d + 1, stream_time):
            return False  # before the epoch, or its latest window [t, t + d] is closed
        aggregator = self._aggregator
        by_time = self._by_time
        store = self._store

        by_time.update(key, t, t + 1, lambda bucket: aggregator.add(
            aggregator.initialize() if bucket is None else bucket, message.value))

        existing = set()
        for start, end, accumulator in list(store.fetch(key, t - d, t)):
            existing.add(start)
            if self._is_open(end, stream_time):
                accumulator = aggregator.add(accumulator, message.value)
                store.put(key, start, end, accumulator)
                self._updated(key, start, end, accumulator, new=False)

        nearby = [start for start, _end, _acc in by_time.fetch(key, t - d - 1, t + d + 1)]
        for start in new_window_starts(t, nearby, difference_ms=d):
            end = start + d + 1
            if start in existing or not self._is_open(end, stream_time):
                continue
            if start > t and store.get(key, start, end) is not None:
                continue  # a right window after t: existed, does not contain t
            accumulator = self._accumulate_range(key, start, end)
            store.put(key, start, end, accumulator)
            existing.add(start)
            self._updated(key, start, end, accumulator, new=True)
        return True

    def _accumulate_range(self, key: Any, start: int, end: int) -> Any:
        """The merge, in time order, of the key's per-timestamp accumulators in
        ``[start, end)``."""
        aggregator = self._aggregator
        accumulator = aggregator.initialize()
        for _start, _end, bucket in self._by_time.fetch(key, start, end - 1):
            accumulator = aggregator.merge(accumulator, bucket)
        return accumulator

    def _after_close(self, stream_time: int) -> None:
        # A record's accumulator is needed until its right window [t + 1, t + d + 1]
        # closes, the last one a late record may still open beside it:
        # t + d + 2 + grace <= stream time, i.e. its bucket's end t + 1 <= limit.
        limit = stream_time - self._difference_ms - self._close_delay_ms - 1
        for key, start, end, _bucket in list(self._by_time.windows_ending_by(limit)):
            self._by_time.delete(key, start, end)
