"""Every window kind and emit mode equals the brute-force reference on random,
out-of-order, multi-key streams: on the dict store and on streamkit's real
in-memory window store (with checkpoints, retention expiry and restarts)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import window_reference as reference
from hypothesis import given, settings
from hypothesis import strategies as st
from window_harness import Harness

from operators import agg, windows
from streamkit.processor import Aggregator, WindowedAggregation

KEYS = ["a", "b", "c"]

streams = st.lists(
    # a few times before the epoch, which no window holds: they go to the late output
    st.tuples(st.sampled_from(KEYS), st.integers(min_value=-3, max_value=150)),
    max_size=40,
).map(lambda rows: [(key, record_id, t) for record_id, (key, t) in enumerate(rows)])
grace = st.integers(min_value=0, max_value=20)
restart_points = st.sets(st.integers(min_value=0, max_value=40), max_size=3)
crash_points = st.sets(st.integers(min_value=0, max_value=40), max_size=3)
store_kinds = st.sampled_from(["dict", "memory"])

BAG = agg.aggregator(initialize=list, add=lambda bag, v: sorted([*bag, v]),
                     merge=lambda a, b: sorted(a + b), order_insensitive=True)
"""collect() made order-insensitive: hopping windows fold it into panes
(operators.pane_aggregate) where collect() folds into every window."""
aggregations = st.sampled_from([agg.collect(), BAG])


@st.composite
def paned_specs(draw: st.DrawFn) -> tuple[int, int, int]:
    """Hopping windows that fold order-insensitive aggregations into panes."""
    step = draw(st.integers(min_value=1, max_value=12))
    return step * draw(st.integers(min_value=2, max_value=6)), step, draw(grace)


@st.composite
def fixed_specs(draw: st.DrawFn) -> tuple[int, int, int]:
    size = draw(st.integers(min_value=1, max_value=40))
    divisors = [d for d in range(1, size) if size % d == 0] or [size]  # panes apply
    step = draw(st.one_of(st.just(size), st.integers(min_value=1, max_value=size),
                          st.sampled_from(divisors)))
    return size, step, draw(grace)


def run(
    spec: WindowedAggregation,
    records: list[tuple[Any, int, int]],
    *,
    emit_final: bool,
    restarts: set[int] = frozenset(),  # type: ignore[assignment]
    crashes: set[int] = frozenset(),  # type: ignore[assignment]
    store: str = "dict",
    aggregation: Aggregator = agg.collect(),  # noqa: B008 - immutable
) -> Harness:
    """Send ``records`` in order, checkpointing after every fifth; before the
    records at ``restarts`` restart cleanly, before those at ``crashes`` crash
    (exactly-once: back to the last checkpoint, and send again from there)."""
    plan = spec.aggregate_plan(aggregation, store_name="windows", emit_final=emit_final)
    harness = Harness(plan, store=store)
    pending_restarts, pending_crashes = set(restarts), set(crashes)
    index = committed = 0
    while index < len(records):
        if index in pending_crashes:
            pending_crashes.discard(index)
            harness.crash()
            index = committed
            continue
        if index in pending_restarts:
            pending_restarts.discard(index)
            harness.restart()
            committed = index
        key, record_id, timestamp = records[index]
        harness.send(key, record_id, timestamp)
        index += 1
        if index % 5 == 0:
            harness.checkpoint()  # the real store expires windows past retention here
            committed = index
    return harness


def emitted(harness: Harness) -> Counter[tuple[Any, int, int, tuple[int, ...]]]:
    return Counter((k, s, e, tuple(sorted(v))) for k, s, e, v in harness.result_tuples())


def check(harness: Harness, expected: reference.Outcome, *, emit_final: bool) -> None:
    want = expected.final if emit_final else expected.updates
    assert emitted(harness) == Counter(want)
    assert [f.value for f in harness.late] == expected.late
    assert harness.context.metrics["late_records_dropped"] == len(expected.late)
    for forwarded in harness.results:
        assert forwarded.key == forwarded.value.key
        assert forwarded.timestamp == forwarded.value.end - 1


EXAMPLES = 1_000
"""Examples per property in the default suite (about 2 s each)."""
LONG_EXAMPLES = 20_000
"""Examples per property in the soak suite (``-m soak``, about 45 s each). A bug
in sliding windows' final mode (fixed in 00a09d1) took about 3,000 to find."""


def searched(body: Any, *strategies: Any, long: bool = False, examples: int = EXAMPLES) -> Any:
    """``body`` as a property test over ``strategies``; the ``long`` variant is a
    soak test."""
    test = settings(max_examples=LONG_EXAMPLES if long else examples, deadline=None)(
        given(*strategies)(body))
    return pytest.mark.soak(test) if long else test


def matches_reference(
    spec: WindowedAggregation, expected: reference.Outcome, records: list[Any], *,
    emit_final: bool, restarts: set[int], crashes: set[int], store: str,
    aggregation: Aggregator = agg.collect(),  # noqa: B008 - immutable
) -> None:
    harness = run(spec, records, emit_final=emit_final, restarts=restarts, crashes=crashes,
                  store=store, aggregation=aggregation)
    try:
        check(harness, expected, emit_final=emit_final)
    finally:
        harness.close()


def tumbling_and_hopping_match_reference(
    spec: tuple[int, int, int], records: list[Any], emit_final: bool, restarts: set[int],
    crashes: set[int], aggregation: Aggregator, store: str,
) -> None:
    size, step, grace_ms = spec
    matches_reference(windows.hopping(size, step, grace_ms),
                      reference.fixed(records, size, step, grace_ms), records,
                      emit_final=emit_final, restarts=restarts, crashes=crashes, store=store,
                      aggregation=aggregation)


def panes_match_reference(
    spec: tuple[int, int, int], records: list[Any], emit_final: bool, restarts: set[int],
    crashes: set[int], store: str,
) -> None:
    tumbling_and_hopping_match_reference(spec, records, emit_final, restarts, crashes, BAG, store)


def sessions_match_reference(
    gap: int, grace_ms: int, records: list[Any], emit_final: bool, restarts: set[int],
    crashes: set[int], store: str,
) -> None:
    matches_reference(windows.session(gap, grace_ms), reference.session(records, gap, grace_ms),
                      records, emit_final=emit_final, restarts=restarts, crashes=crashes,
                      store=store)


def sliding_windows_match_reference(
    difference: int, grace_ms: int, records: list[Any], emit_final: bool, restarts: set[int],
    crashes: set[int], store: str,
) -> None:
    matches_reference(windows.sliding(difference, grace_ms),
                      reference.sliding(records, difference, grace_ms), records,
                      emit_final=emit_final, restarts=restarts, crashes=crashes, store=store)


FIXED = (fixed_specs(), streams, st.booleans(), restart_points, crash_points, aggregations)
PANED = (paned_specs(), streams, st.booleans(), restart_points, crash_points)
GAPS = (st.integers(min_value=1, max_value=30), grace, streams, st.booleans(), restart_points,
        crash_points)


def window_properties(stores: Any, **options: Any) -> tuple[Any, Any, Any, Any]:
    """The tumbling/hopping, hopping-by-panes, session and sliding properties on
    ``stores`` (``options`` as :func:`searched` takes them)."""
    return (searched(tumbling_and_hopping_match_reference, *FIXED, stores, **options),
            searched(panes_match_reference, *PANED, stores, **options),
            searched(sessions_match_reference, *GAPS, stores, **options),
            searched(sliding_windows_match_reference, *GAPS, stores, **options))


(test_tumbling_and_hopping_match_reference, test_hopping_panes_match_reference,
 test_sessions_match_reference, test_sliding_windows_match_reference,
 ) = window_properties(store_kinds)
(test_tumbling_and_hopping_match_reference_long, test_hopping_panes_match_reference_long,
 test_sessions_match_reference_long, test_sliding_windows_match_reference_long,
 ) = window_properties(store_kinds, long=True)


@settings(max_examples=50, deadline=None)
@given(fixed_specs(), streams)
def test_final_windows_are_deleted_once_emitted(
    spec: tuple[int, int, int], records: list[Any]
) -> None:
    size, step, grace_ms = spec
    harness = run(windows.hopping(size, step, grace_ms), records, emit_final=True, store="memory")
    stream_time = harness.context.stream_time_ms
    remaining = harness.window_keys("windows")
    assert all(end + grace_ms > stream_time for _key, _start, end in remaining)


@settings(max_examples=200, deadline=None)
@given(paned_specs(), streams)
def test_final_panes_are_deleted_once_every_window_holding_them_is_emitted(
    spec: tuple[int, int, int], records: list[Any]
) -> None:
    size, _step, grace_ms = spec
    harness = run(windows.hopping(size, _step, grace_ms), records, emit_final=True,
                  store="memory", aggregation=BAG)
    stream_time = harness.context.stream_time_ms
    # The last window holding pane [p, p + step) is [p, p + size).
    remaining = harness.window_keys("windows-final-panes")
    assert all(start + size + grace_ms > stream_time for _key, start, _end in remaining)
