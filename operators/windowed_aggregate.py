"""The windowed aggregate processor: folds a keyed stream into windows held in a
:class:`~streamkit.processor.WindowStore` and emits :class:`WindowResult` s.

:class:`WindowedAggregate` owns what every window kind shares: stream time,
routing records that are too late for every window to the ``"late"`` output,
emitting on every update or once at close ("final"), and closing windows.
Subclasses only decide which windows a record updates
(:class:`FixedWindowAggregate` here; sessions and sliding windows live in
``session_aggregate`` and ``sliding_aggregate``).

Closing is cheap per record: the processor remembers the distinct ends of the
windows it has opened in a heap and scans the store only when stream time
passes the earliest of them (for 10 s tumbling windows: once per 10 s of
stream time, not once per record); per record it compares stream time with
one precomputed number, :attr:`WindowedAggregate._close_at`.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable
from typing import Any

from operators.results import WindowResult
from operators.windows.assign import FIRST_START
from streamkit.processor import (
    Aggregator,
    Message,
    NoneAccumulator,
    ProcessorContext,
    Punctuation,
    WindowStore,
)

LATE = "late"
"""The output that receives records too late for every window they belong to."""

LATE_RECORDS_METRIC = "late_records_dropped"

MUTABLE_RESULTS = frozenset((list, dict, set, bytearray))
"""Result types a downstream step could change in place."""

_NEVER = 2**63
"""A ``_close_at`` no stream time reaches: no window is waiting to close."""
_NOW = -(2**63)
"""A ``_close_at`` every stream time reaches: look at the store first."""


class WindowedAggregate:
    """Base of the windowed aggregate processors.

    A window ``[start, end)`` closes when ``end + close_delay_ms <= stream
    time``; ``close_delay_ms`` is the grace period (plus the gap for sessions).
    With ``emit_final`` each window is forwarded once when it closes and then
    deleted from the store, in the same checkpoint as the output.
    """

    def __init__(
        self,
        aggregator: Aggregator,
        *,
        store_name: str,
        emit_final: bool,
        close_delay_ms: int,
        punctuate_every_ms: int,
        idle_timeout_ms: int | None = None,
    ) -> None:
        self._aggregator = aggregator
        self._store_name = store_name
        self._emit_final = emit_final
        self._close_delay_ms = close_delay_ms
        self._punctuate_every_ms = punctuate_every_ms
        self._idle_timeout_ms = idle_timeout_ms
        self._stream_time = -1
        self._open_ends: list[int] = []  # heap of distinct ends of open windows
        self._known_ends: set[int] = set()
        self._ends_unknown = True  # after (re)start, restored windows' ends are unknown
        # The stream time at which the earliest open window closes (final mode):
        # open_ends[0] + close_delay_ms, _NOW until restored ends are known.
        self._close_at = _NOW if emit_final else _NEVER
        self._saw_input = False
        self._last_input_wall_ms: int | None = None

    # -- the Processor protocol ------------------------------------------------

    def init(self, context: ProcessorContext) -> None:
        self._context = context
        self._forward = context.forward_fields()
        self._store: WindowStore = context.get_store(self._store_name)
        if self._emit_final:
            # Stream time may also advance through records this processor never
            # sees (other branches of the task); the punctuation catches that.
            context.schedule(self._punctuate_every_ms, Punctuation.STREAM_TIME, self._on_time)
            if self._idle_timeout_ms is not None:
                context.schedule(
                    max(1, self._idle_timeout_ms // 2), Punctuation.WALL_CLOCK, self._on_wall_clock
                )

    def process(self, message: Message) -> None:
        stream_time = self._stream_time
        # Comparisons, not max(): this runs once per record.
        if message.timestamp > stream_time:  # noqa: PLR1730
            stream_time = message.timestamp
        context_time = self._context.stream_time
        if context_time > stream_time:  # noqa: PLR1730
            stream_time = context_time
        self._stream_time = stream_time
        self._saw_input = True
        if not self._aggregate(message, stream_time):
            self._context.count(LATE_RECORDS_METRIC)
            self._context.forward(message.key, message.value, to=LATE)
        if stream_time >= self._close_at and self._emit_final:
            self._close_windows(stream_time)

    def close(self) -> None:
        pass

    # -- for subclasses ----------------------------------------------------------

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        """Fold ``message`` into its open windows; ``False`` when every window
        it belongs to is closed (the record is late)."""
        raise NotImplementedError

    def _is_open(self, end: int, stream_time: int) -> bool:
        return end + self._close_delay_ms > stream_time

    def _updated(self, key: Any, start: int, end: int, accumulator: Any, *, new: bool) -> None:
        """Record that window ``[start, end)`` now holds ``accumulator`` (already
        in the store): emit it in update mode, remember its end in final mode."""
        if not self._emit_final:
            self._emit(key, start, end, accumulator)
        elif new and end not in self._known_ends:
            self._remember_end(end)

    def _remember_end(self, end: int) -> None:
        """Final mode: a window ending at ``end`` (not yet known) was opened."""
        self._known_ends.add(end)
        heapq.heappush(self._open_ends, end)
        if end + self._close_delay_ms < self._close_at and not self._ends_unknown:
            self._close_at = end + self._close_delay_ms

    def _emit(self, key: Any, start: int, end: int, accumulator: Any) -> None:
        value = self._aggregator.result(accumulator)
        if type(value) in MUTABLE_RESULTS:  # it may be a cached accumulator: hand out a copy
            value = copy.deepcopy(value)
        self._context.forward(key, WindowResult(key, start, end, value), end - 1)

    def _after_close(self, stream_time: int) -> None:
        """Hook run after windows closed at ``stream_time`` were emitted."""

    # -- closing (final mode) -----------------------------------------------------

    def _on_time(self, time_ms: int) -> None:
        self._stream_time = max(self._stream_time, time_ms)
        self._close_windows(self._stream_time)

    def _close_windows(self, stream_time: int) -> None:
        if self._ends_unknown:
            self._learn_restored_ends()
        limit = stream_time - self._close_delay_ms
        if not self._open_ends or self._open_ends[0] > limit:
            return
        while self._open_ends and self._open_ends[0] <= limit:
            self._known_ends.discard(heapq.heappop(self._open_ends))
        self._refresh_close_at()
        # Materialize first: emitting deletes from the store being iterated.
        for key, start, end, accumulator in list(self._store.windows_ending_by(limit)):
            self._store.delete(key, start, end)
            self._emit(key, start, end, accumulator)
        self._after_close(stream_time)

    def _learn_restored_ends(self) -> None:
        """Windows restored from the changelog were opened by an earlier
        incarnation: read their ends once so they close on time."""
        self._ends_unknown = False
        for _key, _start, end, _accumulator in self._store.windows_ending_by(2**62):
            if end not in self._known_ends:
                self._known_ends.add(end)
                heapq.heappush(self._open_ends, end)
        self._refresh_close_at()

    def _refresh_close_at(self) -> None:
        self._close_at = self._open_ends[0] + self._close_delay_ms if self._open_ends else _NEVER

    def _on_wall_clock(self, now_ms: int) -> None:
        """Opt-in idle timeout: after ``idle_timeout_ms`` of wall-clock time
        without input, close every open window as if stream time had passed it."""
        assert self._idle_timeout_ms is not None
        if self._saw_input or self._last_input_wall_ms is None:
            self._saw_input = False
            self._last_input_wall_ms = now_ms
            return
        if now_ms - self._last_input_wall_ms < self._idle_timeout_ms:
            return
        flush_time = self._flush_time()
        if flush_time is not None:
            # Advance stream time past every open window, so that records
            # arriving later for those windows count as late: never emit twice.
            # The task's stream time too: it is what a restart resumes from.
            self._context.advance_stream_time(flush_time)
            self._on_time(flush_time)

    def _flush_time(self) -> int | None:
        """The stream time that closes every open window; ``None`` if none is open."""
        if self._ends_unknown:
            self._learn_restored_ends()
        return max(self._open_ends) + self._close_delay_ms if self._open_ends else None


def folding(aggregator: Aggregator, value: Any) -> Callable[[Any], Any]:
    """The ``WindowStore.update`` function that folds ``value`` into a window's
    accumulator, a fresh one if the window is absent. An ``add`` that returns
    ``None`` raises :class:`NoneAccumulator`: the store would read it as no window."""
    add, initialize = aggregator.add, aggregator.initialize

    def fold(accumulator: Any) -> Any:
        folded = add(initialize() if accumulator is None else accumulator, value)
        if folded is None:
            raise NoneAccumulator(aggregator, "add")
        return folded

    return fold


class FixedWindowAggregate(WindowedAggregate):
    """Tumbling (``step == size``) and hopping (``step < size``) windows."""

    def __init__(
        self,
        aggregator: Aggregator,
        *,
        size_ms: int,
        step_ms: int,
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
            punctuate_every_ms=step_ms,
            idle_timeout_ms=idle_timeout_ms,
        )
        self._size_ms = size_ms
        self._step_ms = step_ms

    def _lowest_start(self, timestamp: int, stream_time: int) -> int:
        """Starts of the windows a record at ``timestamp`` updates are greater than
        this: to contain it (start > timestamp - size), to be open (start + size +
        close_delay > stream_time), and not to start before the epoch."""
        lowest = timestamp - self._size_ms
        closed_up_to = stream_time - self._size_ms - self._close_delay_ms
        if closed_up_to > lowest:  # noqa: PLR1730 - once per record
            lowest = closed_up_to
        if lowest < FIRST_START:
            lowest = FIRST_START - 1
        return lowest

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        # fixed_windows() inlined: this loop is the per-record cost of every
        # tumbling and hopping aggregation. Windows go latest first.
        timestamp = message.timestamp
        size = self._size_ms
        start = timestamp - timestamp % self._step_ms
        lowest = self._lowest_start(timestamp, stream_time)
        if start <= lowest:
            return False
        key = message.key
        aggregator = self._aggregator
        fold = folding(aggregator, message.value)
        update = self._store.update
        step = self._step_ms
        if self._emit_final:
            known_ends = self._known_ends
            while start > lowest:
                end = start + size
                update(key, start, end, fold)
                if end not in known_ends:  # a new window, or one restored before its end was known
                    self._remember_end(end)
                start -= step
        else:
            forward, result, headers = self._forward, aggregator.result, message.headers
            while start > lowest:
                end = start + size
                accumulator = update(key, start, end, fold)
                forward(key, WindowResult(key, start, end, result(accumulator)), end - 1, headers)
                start -= step
        return True
