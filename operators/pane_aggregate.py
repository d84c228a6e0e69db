"""Hopping windows folded once per record: state per *pane* rather than per window.

A hopping window of size ``n * step`` is ``n`` consecutive panes ``[p, p + step)``,
and every record lies in exactly one pane, but in ``n`` windows. Folding a record
into each of its windows costs ``n`` store writes, and so ``n`` changelog records
at the next checkpoint. Folding it into its pane costs one; a window's value is
then the merge of its panes' accumulators, computed when it is emitted.

That merge gives the same result only when the aggregation does not care in
which order or grouping its values were added: count, sum, min, max and mean
(``order_insensitive = True``), not collect, first, last or reduce, whose results
depend on arrival order. :func:`panes_apply` decides.

This module emits on every update; :mod:`operators.pane_final_aggregate` emits
each window once, when it closes, from the same kind of panes.

The store then holds panes: ``key``'s pane ``[p, p + step)`` holds the accumulator
of its records. Its retention (``size + grace`` after a pane ends) keeps every pane
of a window until that window has closed. It is named apart
(:func:`panes_store_name`), so that panes are never read as windows.

>>> from operators import agg
>>> panes_apply(agg.mean(), size_ms=60_000, step_ms=10_000)
True
>>> panes_apply(agg.collect(), size_ms=60_000, step_ms=10_000)
False
>>> panes_apply(agg.mean(), size_ms=60_000, step_ms=60_000)  # tumbling
False
"""

from __future__ import annotations

import copy
from typing import Any

from operators.key_cache import KeyCache
from operators.results import WindowResult
from operators.windowed_aggregate import MUTABLE_RESULTS, FixedWindowAggregate
from streamkit.processor import Aggregator, Message, NoneAccumulator

_UNKNOWN = object()
"""A pane not looked up in the store yet."""


def panes_store_name(store_name: str) -> str:
    """The name of the store of panes that replaces window store ``store_name``.

    >>> panes_store_name("mean-amount-store")
    'mean-amount-store-panes'
    """
    return f"{store_name}-panes"


def panes_apply(aggregator: Aggregator, *, size_ms: int, step_ms: int) -> bool:
    """Whether hopping windows of ``size_ms`` every ``step_ms`` fold ``aggregator``
    into panes (:class:`PanedWindowAggregate`, or ``FinalPanedWindowAggregate``
    for final results) rather than into every window."""
    return (
        step_ms < size_ms
        and size_ms % step_ms == 0
        and getattr(aggregator, "order_insensitive", False) is True
    )


class PanedWindowAggregate(FixedWindowAggregate):
    """Hopping windows, emitted on every update, with state per pane (see the
    module). Each record updates one pane, then emits each of its open windows,
    latest first, as the merge of that window's panes.

    Panes read or written are kept decoded per key, mirroring the store (the
    store is the only truth: a restart begins with none, and reads them back on
    first use). Unhashable keys (lists, dicts) are not kept: their panes are
    read from the store for each record. Panes that no open window holds are
    dropped as keys are touched. Since they are live objects, ``merge`` must
    return a new accumulator and leave its arguments alone, and results that
    could be changed downstream (lists, dicts, sets) are emitted as copies.
    """

    def __init__(self, aggregator: Aggregator, *, size_ms: int, step_ms: int, grace_ms: int,
                 store_name: str, emit_final: bool, idle_timeout_ms: int | None = None) -> None:
        if emit_final or not panes_apply(aggregator, size_ms=size_ms, step_ms=step_ms):
            raise ValueError("panes need hopping windows whose size is a multiple of their "
                             "step, updates, and an order-insensitive aggregation")
        super().__init__(aggregator, size_ms=size_ms, step_ms=step_ms, grace_ms=grace_ms,
                         store_name=store_name, emit_final=False, idle_timeout_ms=idle_timeout_ms)
        self._panes_per_window = size_ms // step_ms
        self._panes: KeyCache[dict[int, Any]] = KeyCache()  # key -> pane start -> accumulator or None

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        timestamp = message.timestamp
        size, step = self._size_ms, self._step_ms
        pane = timestamp - timestamp % step
        lowest = self._lowest_start(timestamp, stream_time)
        if pane <= lowest:  # the latest window holding the record starts at its pane
            return False
        key = message.key
        try:
            panes = self._panes.get(key)
        except TypeError:  # an unhashable key (a list, a dict): its panes are read each time
            panes = {}
        else:
            if panes is None:
                panes = {}
                self._panes.remember(key, panes)
        aggregator = self._aggregator
        accumulator = panes.get(pane, _UNKNOWN)
        if accumulator is _UNKNOWN:
            accumulator = self._load(key, panes, pane)
        accumulator = aggregator.add(
            aggregator.initialize() if accumulator is None else accumulator, message.value)
        if accumulator is None:
            raise NoneAccumulator(aggregator, "add")
        panes[pane] = accumulator
        self._store.put(key, pane, pane + step, accumulator)
        self._emit_windows(key, panes, pane, lowest, accumulator, message)
        if len(panes) > 2 * self._panes_per_window:  # drop panes no open window holds
            closed_up_to = stream_time - size - self._close_delay_ms
            for start in [start for start in panes if start <= closed_up_to]:
                del panes[start]
        return True

    def _load(self, key: Any, panes: dict[int, Any], start: int) -> Any:
        """Read ``key``'s pane at ``start`` from the store into ``panes``: its
        accumulator, ``None`` if it has none."""
        accumulator = panes[start] = self._store.get(key, start, start + self._step_ms)
        return accumulator

    def _emit_windows(self, key: Any, panes: dict[int, Any], pane: int, lowest: int,
                      accumulator: Any, message: Message) -> None:
        """Emit every open window holding ``pane``, latest first. The window
        starting ``j`` steps before ``pane`` is the panes from its start up to
        ``pane`` (grown backwards, one merge per step) merged with the ``n - 1 - j``
        panes after ``pane`` (prefix merges, computed once). Pane look-ups are
        inlined: this is the per-record cost of the operator."""
        step = self._step_ms
        merge, result = self._aggregator.merge, self._aggregator.result
        get = panes.get
        after: list[Any] = [None]  # after[k]: the merge of the k panes after `pane`
        merged = None
        start = pane
        for _ in range(self._panes_per_window - 1):
            start += step
            later = get(start, _UNKNOWN)
            if later is _UNKNOWN:
                later = self._load(key, panes, start)
            if later is not None:
                merged = later if merged is None else merge(merged, later)
            after.append(merged)
        forward, headers, size = self._forward, message.headers, self._size_ms
        start, upto = pane, accumulator  # upto: the panes from start to `pane`
        while start > lowest:
            rest = after.pop()
            end = start + size
            value = result(upto if rest is None else merge(upto, rest))
            if type(value) in MUTABLE_RESULTS:  # it may be a pane's own accumulator: hand out a copy
                value = copy.deepcopy(value)
            forward(key, WindowResult(key, start, end, value), end - 1, headers)
            start -= step
            if start <= lowest:
                break
            earlier = get(start, _UNKNOWN)
            if earlier is _UNKNOWN:
                earlier = self._load(key, panes, start)
            if earlier is not None:
                upto = merge(earlier, upto)
