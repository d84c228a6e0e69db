"""What queries show of windowed aggregation stores (operators.window_views),
read through the real query path (``get_committed``) from the real window store
after random out-of-order streams with restarts and crashes: each window the
app last emitted, as it emitted it; for panes, every window still open."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
from test_windowed_aggregate_reference import (
    BAG,
    KEYS,
    crash_points,
    grace,
    paned_specs,
    restart_points,
    run,
    searched,
    streams,
)
from window_harness import Harness

from operators import agg, windows
from operators.pane_aggregate import PanedWindowAggregate
from streamkit.processor import TaskId
from streamkit.state.query import get_committed

EXAMPLES = 300


def _last_emitted(harness: Harness) -> dict[tuple[Any, int, int], Any]:
    last = {}
    for key, start, end, value in harness.result_tuples():
        last[(key, start, end)] = value
    return last


def _shown(harness: Harness) -> dict[tuple[Any, int, int], Any]:
    """Every key's windows as a query shows them, from committed state."""
    harness.checkpoint()
    store = harness.stores[harness.plan.stores[0].name]  # sliding's by-time store is internal
    return {(entry.key, entry.start, entry.end): entry.value for key in KEYS
            for entry in get_committed(store.spec, store.backend, TaskId(0, 0), key)}


def _panes_show_the_open_windows(spec: tuple[int, int, int], records: list[Any],
                                 restarts: set[int], crashes: set[int]) -> None:
    size, step, grace_ms = spec
    harness = run(windows.hopping(size, step, grace_ms), records, emit_final=False,
                  restarts=restarts, crashes=crashes, store="memory", aggregation=BAG)
    try:
        assert isinstance(harness.processor, PanedWindowAggregate)
        shown, emitted = _shown(harness), _last_emitted(harness)
        stream_time = harness.context.stream_time_ms
        for (key, start, end), value in shown.items():
            assert end + grace_ms > stream_time, f"closed window {(key, start, end)} shown"
            assert value == emitted[(key, start, end)]
        # The oldest open window may be left out: stream time is known to a step.
        surely_open = {window for window in emitted if window[2] + grace_ms >= stream_time + step}
        assert surely_open <= shown.keys()
    finally:
        harness.close()


test_panes_show_the_open_windows = searched(
    _panes_show_the_open_windows, paned_specs(), streams, restart_points, crash_points,
    examples=EXAMPLES)


WINDOW_KINDS = st.one_of(
    st.builds(windows.tumbling, st.integers(1, 40), grace),
    st.builds(lambda size, step, g: windows.hopping(size, min(step, size), g),
              st.integers(2, 40), st.integers(1, 40), grace),
    st.builds(windows.session, st.integers(1, 30), grace),
    st.builds(windows.sliding, st.integers(1, 30), grace),
)


def _windows_show_their_results(spec: Any, records: list[Any], restarts: set[int],
                                crashes: set[int]) -> None:
    harness = run(spec, records, emit_final=False, restarts=restarts, crashes=crashes,
                  store="memory", aggregation=agg.mean())
    try:
        shown, emitted = _shown(harness), _last_emitted(harness)
        for window, value in shown.items():
            assert value == emitted[window], window
        if any(timestamp >= 0 for _key, _id, timestamp in records):  # before the epoch: late
            assert shown, "no window shown"
    finally:
        harness.close()


test_windows_show_their_results = searched(
    _windows_show_their_results, WINDOW_KINDS, streams, restart_points, crash_points,
    examples=EXAMPLES)
