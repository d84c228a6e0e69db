"""Hopping windows emitted once, when they close, with state per pane.

As in :mod:`operators.pane_aggregate`, a record folds into its one pane
``[p, p + step)`` rather than into its ``size / step`` windows: one store write
instead of ``size / step``. When stream time closes windows, each is emitted as
the merge of its key's panes, in order of end.

Panes are shared by windows, so emitting a window cannot delete it, as the
per-window store does. What has been emitted is a time instead: every window
ending at or before it. It is kept in a key-value store of its own
(:func:`emitted_store_name`), written in the same checkpoint as the outputs and
the panes, so a restart neither emits a window again nor skips one. A pane is
deleted once the last window holding it (the one starting at ``p``) is emitted.

Panes are kept decoded in memory too, as long as there are at most
``MIRRORED_PANES_LIMIT`` of them, mirroring the store (the only truth: a restart
begins with none, and the first close reads them all back). Past the limit,
each close reads them from the store instead.

Windows close before a record is folded, not after: stream time can pass a
window's close through records this processor never sees (other branches of the
task) before the punctuation catches up, and a later record of this processor,
accepted by later windows, must not land in the pane of a closed window that has
yet to be emitted.

The stores are named apart from the updates mode's (:func:`final_panes_store_name`):
an app switched between the modes starts its windows afresh, as with per-window
state.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from operators.pane_aggregate import panes_apply
from operators.results import WindowResult
from operators.windowed_aggregate import MUTABLE_RESULTS, FixedWindowAggregate, folding
from operators.windows.assign import FIRST_START
from streamkit.processor import (
    Aggregator,
    KeyValueStore,
    Message,
    NoneAccumulator,
    ProcessorContext,
)

EMITTED_THROUGH = "emitted-through"
"""The key, in the emitted store, of the latest end of the windows emitted."""

_EVERY_END = 2**62
"""An end no pane reaches."""

MIRRORED_PANES_LIMIT = 200_000
"""Panes a processor keeps decoded, every one or none (see the module)."""

Panes = dict[Any, tuple[Any, dict[int, Any]]]
"""Group key (:func:`_group_key`) → the key, and its panes: start → accumulator."""


def final_panes_store_name(store_name: str) -> str:
    """The store of panes that replaces window store ``store_name`` in final mode.

    >>> final_panes_store_name("mean-amount-store")
    'mean-amount-store-final-panes'
    """
    return f"{store_name}-final-panes"


def emitted_store_name(panes_store: str) -> str:
    """The key-value store holding how far the windows of ``panes_store`` were emitted.

    >>> emitted_store_name("mean-amount-store-final-panes")
    'mean-amount-store-final-panes-emitted'
    """
    return f"{panes_store}-emitted"


def _group_key(key: Any) -> Any:
    """A dict key under which a stored key's panes gather: equal only for keys the
    store tells apart (``1``, ``1.0`` and ``True`` are not one key), and hashable
    for list and dict keys too."""
    try:
        hash(key)
    except TypeError:
        return type(key), orjson.dumps(key)
    return type(key), key


class FinalPanedWindowAggregate(FixedWindowAggregate):
    """Hopping windows of an order-insensitive aggregation, emitted once each when
    they close, from panes (see the module)."""

    def __init__(self, aggregator: Aggregator, *, size_ms: int, step_ms: int, grace_ms: int,
                 store_name: str, emit_final: bool = True,
                 idle_timeout_ms: int | None = None) -> None:
        if not emit_final or not panes_apply(aggregator, size_ms=size_ms, step_ms=step_ms):
            raise ValueError("final panes need hopping windows whose size is a multiple of "
                             "their step, final results, and an order-insensitive aggregation")
        super().__init__(aggregator, size_ms=size_ms, step_ms=step_ms, grace_ms=grace_ms,
                         store_name=store_name, emit_final=True, idle_timeout_ms=idle_timeout_ms)
        self._through: int | None = None  # windows ending at or before it were emitted
        self._mirror: Panes | None = None  # every pane in the store, or None (see the module)
        self._mirrored = 0  # how many panes the mirror holds

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self._emitted: KeyValueStore = context.get_store(emitted_store_name(self._store_name))

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        if stream_time >= self._close_at:  # before folding: see the module
            self._close_windows(stream_time)
        timestamp = message.timestamp
        step = self._step_ms
        pane = timestamp - timestamp % step
        if pane <= self._lowest_start(timestamp, stream_time):
            return False
        key, value, aggregator = message.key, message.value, self._aggregator
        add, initialize = aggregator.add, aggregator.initialize
        mirror = self._mirror
        if mirror is None:
            self._store.update(key, pane, pane + step, folding(aggregator, value))
            return True
        group = _group_key(key)
        entry = mirror.get(group)
        if entry is None:
            entry = mirror[group] = (key, {})
        panes = entry[1]
        accumulator = panes.get(pane)
        if accumulator is None:
            accumulator = initialize()
            self._mirrored += 1
            if self._mirrored > MIRRORED_PANES_LIMIT:
                self._mirror = None  # too many: closes read the store from now on
        accumulator = add(accumulator, value)
        if accumulator is None:
            raise NoneAccumulator(aggregator, "add")
        panes[pane] = accumulator
        self._store.put(key, pane, pane + step, accumulator)
        return True

    def _close_windows(self, stream_time: int) -> None:
        step = self._step_ms
        limit = stream_time - self._close_delay_ms
        through = limit - limit % step  # the latest window end closed (ends are steps)
        panes = self._mirror
        if self._through is None:  # this processor's first close: read what the store holds
            self._through = self._stored_through(through)
            panes = self._read_panes()
        emitted = self._through
        if through > emitted:
            if panes is None:
                panes = self._read_panes()
            self._emit_ending_between(panes, emitted, through)
            self._emitted.put(EMITTED_THROUGH, through)
            self._through = emitted = through
        self._close_at = emitted + step + self._close_delay_ms

    def _stored_through(self, closed: int) -> int:
        """How far windows were emitted; in a new store, up to ``closed``, the
        latest window end closed now (no window holding a pane has closed yet)."""
        through: int | None = self._emitted.get(EMITTED_THROUGH)
        if through is None:
            through = closed
            self._emitted.put(EMITTED_THROUGH, through)
        return through

    def _read_panes(self) -> Panes:
        """Every pane in the store, kept as the mirror if there are few enough."""
        panes: Panes = {}
        count = 0
        for key, start, _end, accumulator in self._store.windows_ending_by(_EVERY_END):
            group = _group_key(key)
            if group not in panes:
                panes[group] = (key, {})
            panes[group][1][start] = accumulator
            count += 1
        if count <= MIRRORED_PANES_LIMIT // 2:  # room to grow before it is dropped again
            self._mirror, self._mirrored = panes, count
        return panes

    def _emit_ending_between(self, panes: Panes, emitted: int, through: int) -> None:
        """Emit the windows ending after ``emitted``, at or before ``through``, by
        end then key; delete the panes no later window holds."""
        step, size = self._step_ms, self._size_ms
        merge, result, forward = self._aggregator.merge, self._aggregator.result, self._context.forward
        lowest = max(emitted + step, FIRST_START + size)
        for end in _ends_holding(panes, size, step, lowest, through):
            start = end - size
            for key, starts in panes.values():
                merged = None
                for pane in range(start, end, step):
                    accumulator = starts.get(pane)
                    if accumulator is not None:
                        merged = accumulator if merged is None else merge(merged, accumulator)
                if merged is not None:
                    value = result(merged)
                    if type(value) in MUTABLE_RESULTS:  # may be a pane's own: later windows need it
                        value = copy.deepcopy(value)
                    forward(key, WindowResult(key, start, end, value), end - 1)
        delete = self._store.delete
        for group, (key, starts) in list(panes.items()):
            done = [pane for pane in starts if pane + size <= through]
            for pane in done:
                delete(key, pane, pane + step)
                del starts[pane]
            if not starts:
                del panes[group]
            if panes is self._mirror:
                self._mirrored -= len(done)

    def _flush_time(self) -> int | None:
        starts = [start for _key, start, _end, _acc in self._store.windows_ending_by(_EVERY_END)]
        return max(starts) + self._size_ms + self._close_delay_ms if starts else None


def _ends_holding(panes: Panes, size: int, step: int, lowest: int, through: int) -> list[int]:
    """The ends, from ``lowest`` through ``through``, of the windows holding a pane:
    not every step between, which a jump of stream time across a year would make
    millions.

    >>> _ends_holding({"k": ("k", {0: 1, 40: 1})}, 20, 10, 10, 1_000_000)
    [10, 20, 50, 60]
    """
    starts: set[int] = set()
    for _key, key_panes in panes.values():
        starts.update(key_panes)
    ends = {pane + offset for pane in starts for offset in range(step, size + 1, step)}
    return sorted(end for end in ends if lowest <= end <= through)
