"""An aggregation that cannot work where it is used is refused when the app is
built, with a message that says what to give it, rather than failing on records
(each of which would go to the dead letters). And the DSL's own ``count()`` is
folded into panes on hopping windows, as ``agg.count()`` is."""

from __future__ import annotations

from typing import Any

import pytest

from operators import agg, windows
from operators.errors import InvalidAggregation
from operators.pane_aggregate import panes_store_name
from streamkit import App
from streamkit.log.errors import StreamkitError
from streamkit.testing import TestDriver


class Mean:
    """An aggregator by the protocol alone, with no merge."""

    def initialize(self) -> list[int]:
        return [0, 0]

    def add(self, accumulator: list[int], value: dict[str, int]) -> list[int]:
        return [accumulator[0] + value["x"], accumulator[1] + 1]

    def result(self, accumulator: list[int]) -> float:
        return accumulator[0] / accumulator[1]


class UnmergedCount(agg.Aggregation):
    """Says it is order-insensitive, but does not override merge."""

    order_insensitive = True

    def initialize(self) -> int:
        return 0

    def add(self, accumulator: int, value: Any) -> int:
        return accumulator + 1


def build(spec: Any, aggregation: Any, *, final: bool = False) -> App:
    app = App("checks")
    stream = app.stream(app.topic("in", value="json"), timestamp=lambda v: v["ts"])
    windowed = stream.window(spec).aggregate(aggregation, name="agg")
    (windowed.final() if final else windowed.updates()).map(
        lambda w: [w.start, w.end, w.value]).to(app.topic("out", value="json"))
    return app


NO_MERGE = agg.aggregator(initialize=lambda: 0, add=lambda acc, v: acc + 1)


@pytest.mark.parametrize(("spec", "aggregation", "why"), [
    (windows.session(10), Mean(), "between two sessions"),
    (windows.session(10), NO_MERGE, "between two sessions"),
    (windows.sliding(10), Mean(), "opened by a late record"),
    (windows.sliding(10), NO_MERGE, "opened by a late record"),
    (windows.hopping(30, 10), UnmergedCount(), "merged from its panes"),
])
@pytest.mark.parametrize("final", [False, True])
def test_windows_that_merge_refuse_an_aggregation_without_merge(
        spec: Any, aggregation: Any, why: str, final: bool) -> None:
    with pytest.raises(InvalidAggregation, match=rf"has no merge\(\).*{why}.*merge\(left, right\)"):
        build(spec, aggregation, final=final)


@pytest.mark.parametrize("spec", [windows.tumbling(10), windows.hopping(30, 10)])
def test_windows_that_never_merge_take_an_aggregation_without_merge(spec: Any) -> None:
    """Tumbling windows, and hopping windows of an aggregation not marked
    order-insensitive (folded into every window), never merge."""
    with TestDriver(build(spec, Mean())) as driver:
        driver.pipe("in", {"x": 2, "ts": 5}, key="k")
        driver.pipe("in", {"x": 4, "ts": 6}, key="k")
        assert [value for _key, value, _ts in driver.read("out")][-1][2] == 3.0


@pytest.mark.parametrize("not_an_aggregator", [agg.count, len, "count", None])
def test_something_that_is_not_an_aggregator_is_refused_with_what_to_pass(
        not_an_aggregator: Any) -> None:
    app = App("checks")
    grouped = app.stream(app.topic("in", value="json")).group_by(lambda v: v["k"])
    for aggregate in (grouped.aggregate, grouped.window(windows.tumbling(10)).aggregate):
        with pytest.raises(StreamkitError, match=r"is not an aggregator.*agg\.count\(\)"):
            aggregate(not_an_aggregator)


def test_an_aggregator_missing_a_method_is_told_which() -> None:
    class NoResult:
        def initialize(self) -> int:
            return 0

        def add(self, accumulator: int, value: Any) -> int:
            return accumulator + 1

    app = App("checks")
    grouped = app.stream(app.topic("in", value="json")).group_by_key()
    with pytest.raises(StreamkitError, match=r"it has no result\(\)\."):
        grouped.aggregate(NoResult())


def test_the_dsl_count_of_hopping_windows_is_folded_into_panes_like_agg_count() -> None:
    """``window(hopping).count()`` keeps one count per pane, not per window, and
    emits what ``aggregate(agg.count())`` emits."""
    results = []
    for use_dsl_count in (True, False):
        app = App("counts")
        windowed = app.stream(app.topic("in", value="json"), timestamp=lambda v: v["ts"]) \
            .window(windows.hopping(30, 10))
        counted = windowed.count(name="n") if use_dsl_count else windowed.aggregate(
            agg.count(), name="n")
        counted.updates().map(lambda w: [w.start, w.end, w.value]).to(
            app.topic("out", value="json"))
        stores = {name for sub in app.topology.subtopologies() for name in sub.stores}
        assert stores == {panes_store_name("n-store")}
        with TestDriver(app) as driver:
            for ts in (5, 12, 25, 31, 18):
                driver.pipe("in", {"ts": ts}, key="k")
            results.append(driver.read("out"))
    assert results[0] == results[1]
    # ts 5, 12, 25, 31 update 1, 2, 3, 3 windows (none starts before the epoch);
    # 18 comes after 31 closed [0, 30) and updates [10, 40) only.
    assert len(results[0]) == 10
    assert results[0][-1][1] == [10, 40, 4]
