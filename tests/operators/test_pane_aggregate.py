"""Hopping windows folded into panes (operators.pane_aggregate): when they apply,
and what the store then holds (test_key_cache: keys dropped from the processor's
decoded panes are read back from the store). The results themselves are checked against
the brute-force reference in test_windowed_aggregate_reference."""

from __future__ import annotations

from collections import Counter
from typing import Any
from unittest import mock

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings
from test_windowed_aggregate_reference import (
    BAG,
    crash_points,
    paned_specs,
    panes_match_reference,
    restart_points,
    streams,
)
from window_harness import Harness

from operators import agg, pane_final_aggregate, windows
from operators.errors import InvalidAggregation
from operators.pane_aggregate import PanedWindowAggregate, panes_apply
from operators.pane_final_aggregate import FinalPanedWindowAggregate
from operators.windowed_aggregate import FixedWindowAggregate


@pytest.mark.parametrize(("aggregation", "expected"), [
    (agg.count(), True), (agg.sum(), True), (agg.min(), True), (agg.max(), True),
    (agg.mean(), True), (BAG, True),
    (agg.collect(), False), (agg.first(), False), (agg.last(), False),
    (agg.reduce(max), False), (agg.aggregator(initialize=list, add=list.__add__), False),
])
def test_panes_apply_to_order_insensitive_aggregations(aggregation: Any, expected: bool) -> None:
    assert panes_apply(aggregation, size_ms=60, step_ms=10) is expected


@pytest.mark.parametrize(("size", "step", "emit_final"), [
    (60, 60, False), (60, 60, True),  # tumbling: a pane is the window
    (60, 25, False), (60, 25, True),  # the step does not divide the size
])
def test_panes_do_not_apply_to(size: int, step: int, emit_final: bool) -> None:
    assert not panes_apply(agg.mean(), size_ms=size, step_ms=step)
    plan = windows.hopping(size, step).aggregate_plan(agg.mean(), store_name="w",
                                                      emit_final=emit_final)
    assert type(plan.supplier()) is FixedWindowAggregate
    assert [store.name for store in plan.stores] == ["w"]


@pytest.mark.parametrize(("emit_final", "kind", "stores"), [
    (False, PanedWindowAggregate, ["w-panes"]),
    (True, FinalPanedWindowAggregate, ["w-final-panes", "w-final-panes-emitted"]),
])
def test_each_emit_mode_has_panes_of_its_own(emit_final: bool, kind: type, stores: list[str]) -> None:
    plan = windows.hopping(60, 10).aggregate_plan(agg.mean(), store_name="w",
                                                  emit_final=emit_final)
    assert type(plan.supplier()) is kind
    assert [store.name for store in plan.stores] == stores


def test_order_insensitive_needs_merge() -> None:
    with pytest.raises(InvalidAggregation, match="merge="):
        agg.aggregator(initialize=int, add=lambda n, _v: n + 1, order_insensitive=True)


def test_a_record_writes_one_pane_not_every_window() -> None:
    plan = windows.hopping(60_000, 10_000).aggregate_plan(agg.mean(), store_name="w",
                                                          emit_final=False)
    harness = Harness(plan, store="memory")
    try:
        harness.send("u1", 4, 65_000)
        harness.send("u1", 8, 66_000)
        harness.checkpoint()
        assert harness.window_keys("w-panes") == [("u1", 60_000, 70_000)]
        assert [(r[1], r[3]) for r in harness.result_tuples()][-6:] == [
            (60_000, 6.0), (50_000, 6.0), (40_000, 6.0), (30_000, 6.0), (20_000, 6.0),
            (10_000, 6.0)]
    finally:
        harness.close()


@settings(max_examples=300, deadline=None)
@given(paned_specs(), streams, restart_points, crash_points)
def test_final_panes_past_the_mirror_limit_are_read_from_the_store(
    spec: tuple[int, int, int], records: list[Any], restarts: set[int], crashes: set[int]
) -> None:
    # Room for four panes: the mirror is dropped, and taken up again, all the time.
    with mock.patch.object(pane_final_aggregate, "MIRRORED_PANES_LIMIT", 4):
        panes_match_reference(spec, records, emit_final=True, restarts=restarts,
                              crashes=crashes, store="memory")


PAGES = agg.aggregator(  # clicks per page: the result is the accumulator itself
    initialize=dict,
    add=lambda counts, page: {**counts, page: counts.get(page, 0) + 1},
    merge=lambda a, b: {p: a.get(p, 0) + b.get(p, 0) for p in {*a, *b}},
    order_insensitive=True,
)


def test_changing_an_emitted_result_changes_no_pane() -> None:
    plan = windows.hopping(20, 10).aggregate_plan(PAGES, store_name="w", emit_final=False)
    harness = Harness(plan)
    try:
        # Pane [20, 30) alone makes both of its windows, [20, 40) and [10, 30).
        harness.send("u1", "/a", 25)
        for result in harness.results:
            result.value.value["/a"] = 100  # a downstream step changing what it got
        harness.send("u1", "/a", 26)
        assert [r[3] for r in harness.result_tuples()[-2:]] == [{"/a": 2}, {"/a": 2}]
    finally:
        harness.close()


def test_changing_an_emitted_final_result_changes_no_pane() -> None:
    plan = windows.hopping(20, 10).aggregate_plan(PAGES, store_name="w", emit_final=True)
    harness = Harness(plan)
    try:
        # Pane [20, 30) alone makes both of its windows, [10, 30) and [20, 40).
        harness.send("u1", "/a", 25)
        harness.send("u1", "/a", 26)
        harness.send("u2", "/b", 30)  # closes [10, 30)
        for result in harness.results:
            result.value.value["/a"] = 100  # a downstream step changing what it got
        harness.send("u2", "/b", 40)  # closes [20, 40)
        assert [r[1:] for r in harness.result_tuples() if r[0] == "u1"][-1] == (20, 40, {"/a": 2})
    finally:
        harness.close()


@settings(max_examples=200, deadline=None)
@given(paned_specs(), streams, st.booleans())
def test_unhashable_keys_give_the_results_of_their_hashable_twins(
    spec: tuple[int, int, int], records: list[Any], emit_final: bool
) -> None:
    # A composite key (a list, or a dict) cannot key a dict of panes; its
    # results must be those of the same stream keyed by strings.
    size, step, grace_ms = spec
    results = []
    for wrap in (lambda key: key, lambda key: [key, 1], lambda key: {"user": key}):
        plan = windows.hopping(size, step, grace_ms).aggregate_plan(BAG, store_name="w",
                                                                   emit_final=emit_final)
        harness = Harness(plan, store="memory")
        try:
            for index, (key, record_id, timestamp) in enumerate(records):
                harness.send(wrap(key), record_id, timestamp)
                if index % 5 == 4:
                    harness.checkpoint()
            results.append(harness.result_tuples())
        finally:
            harness.close()
    plain, listed, mapped = results
    assert sorted((k[0], s, e, v) for k, s, e, v in listed) == sorted(plain)
    assert sorted((k["user"], s, e, v) for k, s, e, v in mapped) == sorted(plain)


def test_final_panes_keep_keys_that_are_equal_in_python_apart() -> None:
    # 1 == 1.0 == True, but the store keeps them as three keys.
    plan = windows.hopping(20, 10).aggregate_plan(agg.count(), store_name="w", emit_final=True)
    harness = Harness(plan, store="memory")
    try:
        for key in (1, 1.0, True, True):
            harness.send(key, "click", 5)
        harness.send("other", "click", 100)  # closes every window of the keys above
        assert sorted((repr(k), s, e, n) for k, s, e, n in harness.result_tuples()) == [
            ("1", 0, 20, 1), ("1.0", 0, 20, 1), ("True", 0, 20, 2)]
    finally:
        harness.close()


PER_WINDOW_BAG = agg.aggregator(initialize=list, add=lambda bag, v: sorted([*bag, v]),
                                merge=lambda a, b: sorted(a + b))
"""BAG without order_insensitive: folded into every window, not into panes."""


@settings(max_examples=500, deadline=None)
@given(paned_specs(), st.lists(st.one_of(
    st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 150)),  # a record: key, time
    st.tuples(st.none(), st.integers(0, 40)),  # stream time moved on by another branch
), max_size=40), st.booleans())
def test_final_panes_emit_what_per_window_state_emits_when_other_branches_move_time(
    spec: tuple[int, int, int], steps: list[tuple[str | None, int]], punctuate: bool
) -> None:
    # Stream time also advances through records this processor never sees, and
    # the punctuation may lag: a record accepted by later windows must not reach
    # a closed window that has yet to be emitted.
    size, step, grace_ms = spec
    outputs = []
    for aggregation in (BAG, PER_WINDOW_BAG):
        plan = windows.hopping(size, step, grace_ms).aggregate_plan(
            aggregation, store_name="w", emit_final=True)
        harness = Harness(plan, store="memory", stream_time_punctuation=punctuate)
        try:
            for index, (key, time) in enumerate(steps):
                if key is None:
                    harness.context.stream_time_ms += time
                else:
                    harness.send(key, index, time)
            outputs.append((Counter(map(repr, harness.result_tuples())),
                            [f.value for f in harness.late]))
        finally:
            harness.close()
    paned, per_window = outputs
    assert paned == per_window


@settings(max_examples=300, deadline=None)
@given(paned_specs(), streams)
def test_the_mirror_of_final_panes_is_the_store_and_stays_bounded(
    spec: tuple[int, int, int], records: list[Any]
) -> None:
    size, step, grace_ms = spec
    plan = windows.hopping(size, step, grace_ms).aggregate_plan(BAG, store_name="w",
                                                               emit_final=True)
    with mock.patch.object(pane_final_aggregate, "MIRRORED_PANES_LIMIT", 6):
        harness = Harness(plan, store="memory")
        try:
            for key, record_id, timestamp in records:
                harness.send(key, record_id, timestamp)
                processor, mirror = harness.processor, harness.processor._mirror
                if mirror is None:
                    continue
                stored = {(k, s): v for k, s, _e, v
                          in harness.stores["w-final-panes"].windows_ending_by(2**62)}
                kept = {(k, s): v for k, starts in mirror.values() for s, v in starts.items()}
                assert kept == stored
                assert processor._mirrored == len(kept) <= 6
                assert all(starts for _key, starts in mirror.values())
        finally:
            harness.close()


@pytest.mark.parametrize("restart", [False, True])
def test_the_idle_timeout_emits_every_window_of_final_panes(restart: bool) -> None:
    spec = windows.hopping(20, 10, idle_timeout=30_000)
    harness = Harness(spec.aggregate_plan(agg.count(), store_name="w", emit_final=True),
                      store="memory")
    try:
        harness.send("k", "click", 5)
        harness.send("k", "click", 15)
        if restart:  # the windows are known from the restored panes only
            harness.restart()
        harness.context.fire_wall_clock(100_000)  # first tick: input was seen (or a restart)
        harness.context.fire_wall_clock(130_000)  # 30 s without input
        assert harness.result_tuples() == [("k", 0, 20, 2), ("k", 10, 30, 1)]
        assert harness.window_keys("w-final-panes") == []
        harness.send("k", "late", 15)  # its windows [0, 20) and [10, 30) are closed
        assert [f.value for f in harness.late] == ["late"]
    finally:
        harness.close()


@pytest.mark.parametrize("restart", [False, True])
def test_a_jump_of_stream_time_across_decades_emits_only_windows_holding_panes(
    restart: bool
) -> None:
    # A step of 1 ms and a jump of 30 years: stepping through every window end
    # between would not finish.
    harness = Harness(windows.hopping(3, 1).aggregate_plan(agg.count(), store_name="w",
                                                           emit_final=True), store="memory")
    decades = 30 * 365 * 24 * 3600 * 1000
    try:
        harness.send("k", "click", 5)
        harness.send("k", "click", 6)
        if restart:
            harness.restart()
        harness.send("k", "click", decades)
        harness.send("k", "click", decades + 10)
        assert harness.result_tuples() == [
            ("k", 3, 6, 1), ("k", 4, 7, 2), ("k", 5, 8, 2), ("k", 6, 9, 1),
            ("k", decades - 2, decades + 1, 1), ("k", decades - 1, decades + 2, 1),
            ("k", decades, decades + 3, 1)]
    finally:
        harness.close()
