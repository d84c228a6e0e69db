"""Hopping windows folded into panes (operators.pane_aggregate): when they apply,
what the store then holds, and that keys dropped from the processor's decoded
panes are read back from the store. The results themselves are checked against
the brute-force reference in test_windowed_aggregate_reference."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from test_windowed_aggregate_reference import BAG, paned_specs, panes_match_reference, streams
from window_harness import Harness

from operators import agg, pane_aggregate, windows
from operators.errors import InvalidAggregation
from operators.pane_aggregate import PanedWindowAggregate, panes_apply


@pytest.mark.parametrize(("aggregation", "expected"), [
    (agg.count(), True), (agg.sum(), True), (agg.min(), True), (agg.max(), True),
    (agg.mean(), True), (BAG, True),
    (agg.collect(), False), (agg.first(), False), (agg.last(), False),
    (agg.reduce(max), False), (agg.aggregator(initialize=list, add=list.__add__), False),
])
def test_panes_apply_to_order_insensitive_aggregations(aggregation: Any, expected: bool) -> None:
    assert panes_apply(aggregation, size_ms=60, step_ms=10, emit_final=False) is expected


@pytest.mark.parametrize(("size", "step", "emit_final"), [
    (60, 60, False),  # tumbling: a pane is the window
    (60, 25, False),  # the step does not divide the size
    (60, 10, True),  # final results close windows from the per-window store
])
def test_panes_do_not_apply_to(size: int, step: int, emit_final: bool) -> None:
    assert not panes_apply(agg.mean(), size_ms=size, step_ms=step, emit_final=emit_final)
    plan = windows.hopping(size, step).aggregate_plan(agg.mean(), store_name="w",
                                                      emit_final=emit_final)
    assert not isinstance(plan.supplier(), PanedWindowAggregate)
    assert [store.name for store in plan.stores] == ["w"]


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
@given(paned_specs(), streams)
def test_keys_dropped_from_memory_are_read_back_from_the_store(
    spec: tuple[int, int, int], records: list[Any]
) -> None:
    # Three keys, room for two: keys are dropped and read back all the time.
    with mock.patch.object(pane_aggregate, "CACHED_KEYS_LIMIT", 2):
        panes_match_reference(spec, records, restarts=set(), crashes=set(), store="memory")


def test_changing_an_emitted_result_changes_no_pane() -> None:
    pages = agg.aggregator(  # clicks per page: the result is the accumulator itself
        initialize=dict,
        add=lambda counts, page: {**counts, page: counts.get(page, 0) + 1},
        merge=lambda a, b: {p: a.get(p, 0) + b.get(p, 0) for p in {*a, *b}},
        order_insensitive=True,
    )
    plan = windows.hopping(20, 10).aggregate_plan(pages, store_name="w", emit_final=False)
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


@settings(max_examples=200, deadline=None)
@given(paned_specs(), streams)
def test_unhashable_keys_give_the_results_of_their_hashable_twins(
    spec: tuple[int, int, int], records: list[Any]
) -> None:
    # A composite key (a list, or a dict) cannot key the decoded panes; its
    # results must be those of the same stream keyed by strings.
    size, step, grace_ms = spec
    results = []
    for wrap in (lambda key: key, lambda key: [key, 1], lambda key: {"user": key}):
        plan = windows.hopping(size, step, grace_ms).aggregate_plan(BAG, store_name="w",
                                                                   emit_final=False)
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
    assert [(k[0], s, e, v) for k, s, e, v in listed] == plain
    assert [(k["user"], s, e, v) for k, s, e, v in mapped] == plain
