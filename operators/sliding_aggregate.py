"""The sliding-window aggregate processor (see :mod:`operators.windows.sliding`).

Besides the windows, it keeps one accumulator per (key, record timestamp) in a
second window store (``<store>-by-time``, windows ``[t, t + 1)``): a window
that appears after some of its records arrived (a record's left window, or a
right window opened by a later or out-of-order record) is built by merging
those per-timestamp accumulators, so out-of-order records need no replay.
Existing windows that contain a new record just fold it in.

Each record needs its key's nearby windows and record times. The processor
keeps them decoded per key (:class:`_KeyState`, read from both stores at the
key's first record, then kept in step with every write), so a record costs a
few bisections rather than three or four range scans of the stores. The cache
lives and dies with the processor: a task recreated after an abort or a
rebalance starts with an empty one. Windows and record times that can no
longer be used are dropped from it as their key is touched.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from typing import Any

from operators.key_cache import KeyCache
from operators.session_aggregate import EARLIEST, LATEST
from operators.windowed_aggregate import WindowedAggregate
from operators.windows.assign import FIRST_START
from operators.windows.sliding import new_window_starts
from streamkit.processor import (
    Aggregator,
    Message,
    NoneAccumulator,
    ProcessorContext,
    WindowStore,
)


def by_time_store_name(store_name: str) -> str:
    """The name of the per-timestamp store that backs sliding windows."""
    return f"{store_name}-by-time"


class _KeyState:
    """One key's windows (by start) and per-timestamp accumulators (by record
    time), as in the stores, each with its starts or times kept sorted."""

    __slots__ = ("buckets", "starts", "times", "windows")

    def __init__(self) -> None:
        self.windows: dict[int, Any] = {}
        self.starts: list[int] = []
        self.buckets: dict[int, Any] = {}
        self.times: list[int] = []

    def drop_windows_before(self, start: int) -> None:
        """Forget the windows that start before ``start``."""
        cut = bisect_left(self.starts, start)
        for old in self.starts[:cut]:
            del self.windows[old]
        del self.starts[:cut]

    def drop_buckets_before(self, time: int) -> None:
        """Forget the record times before ``time``."""
        cut = bisect_left(self.times, time)
        for old in self.times[:cut]:
            del self.buckets[old]
        del self.times[:cut]


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
        self._keys: KeyCache[_KeyState] = KeyCache()

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self._by_time: WindowStore = context.get_store(by_time_store_name(self._store_name))

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        t = message.timestamp
        if t < FIRST_START or not self._is_open(t + self._difference_ms + 1, stream_time):
            return False  # before the epoch, or its latest window [t, t + d] is closed
        key = message.key
        try:
            self._aggregate_key(key, self._key_state(key, stream_time), message, stream_time)
        except BaseException:
            self._keys.forget(key)  # an aggregator may have failed half-way through an update
            raise
        return True

    def _aggregate_key(self, key: Any, state: _KeyState, message: Message,
                       stream_time: int) -> None:
        t = message.timestamp
        d = self._difference_ms
        value = message.value
        aggregator = self._aggregator
        store = self._store
        windows, starts, times = state.windows, state.starts, state.times

        bucket = state.buckets.get(t)
        if bucket is None:
            insort(times, t)
            bucket = aggregator.initialize()
        bucket = aggregator.add(bucket, value)
        if bucket is None:
            raise NoneAccumulator(aggregator, "add")
        state.buckets[t] = bucket
        self._by_time.put(key, t, t + 1, bucket)

        # The windows holding t that exist: those starting in [t - d, t].
        for start in starts[bisect_left(starts, t - d):bisect_right(starts, t)]:
            end = start + d + 1
            if self._is_open(end, stream_time):
                accumulator = windows[start] = aggregator.add(windows[start], value)
                if accumulator is None:
                    raise NoneAccumulator(aggregator, "add")
                store.put(key, start, end, accumulator)
                self._updated(key, start, end, accumulator, new=False)

        nearby = times[bisect_left(times, t - d - 1):bisect_right(times, t + d + 1)]
        for start in new_window_starts(t, nearby, difference_ms=d):
            end = start + d + 1
            if start in windows or not self._is_open(end, stream_time):
                continue  # exists (and, if it holds t, was updated above), or closed
            accumulator = aggregator.initialize()
            for time in times[bisect_left(times, start):bisect_left(times, end)]:
                accumulator = aggregator.merge(accumulator, state.buckets[time])
            if accumulator is None:
                raise NoneAccumulator(aggregator, "merge")
            windows[start] = accumulator
            insort(starts, start)
            store.put(key, start, end, accumulator)
            self._updated(key, start, end, accumulator, new=True)

    def _key_state(self, key: Any, stream_time: int) -> _KeyState:
        """``key``'s windows and record times: from the cache, else from the
        stores; what can no longer be used dropped."""
        state = self._keys.lookup(key)
        if state is None:
            state = self._read_key(key)
            self._keys.remember(key, state)
        d, close_delay = self._difference_ms, self._close_delay_ms
        # A window [s, s + d + 1) is closed once s + d + 1 + grace <= stream time;
        # a record time is needed until its right window closes (see _after_close).
        first_open = stream_time - d - close_delay
        if state.starts and state.starts[0] < first_open:
            state.drop_windows_before(first_open)
        if state.times and state.times[0] < first_open - 1:
            state.drop_buckets_before(first_open - 1)
        return state

    def _read_key(self, key: Any) -> _KeyState:
        state = _KeyState()
        for start, _end, accumulator in self._store.fetch(key, EARLIEST, LATEST):
            state.windows[start] = accumulator
            state.starts.append(start)
        for time, _end, bucket in self._by_time.fetch(key, EARLIEST, LATEST):
            state.buckets[time] = bucket
            state.times.append(time)
        return state

    def _after_close(self, stream_time: int) -> None:
        # A record's accumulator is needed until its right window [t + 1, t + d + 1]
        # closes, the last one a late record may still open beside it:
        # t + d + 2 + grace <= stream time, i.e. its bucket's end t + 1 <= limit.
        limit = stream_time - self._difference_ms - self._close_delay_ms - 1
        for key, start, end, _bucket in list(self._by_time.windows_ending_by(limit)):
            self._by_time.delete(key, start, end)
