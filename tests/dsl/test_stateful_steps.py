"""Aggregations, tables, joins, user processors and windows through the TestDriver."""

from __future__ import annotations

from typing import Any

import pytest

from streamkit import App, Message, OperatorPlan, ProcessorContext, Punctuation, StoreSpec
from streamkit.runtime.topics import CoPartitioningError, plan_topics
from streamkit.runtime.topology import TopologyError
from streamkit.testing import TestDriver


def test_reduce_and_aggregate_keep_one_value_per_key() -> None:
    app = App("t")
    grouped = app.stream(app.topic("in")).group_by_key()
    grouped.reduce(max, name="biggest").to_stream().to(app.topic("max"))

    class Sum:
        def initialize(self) -> int: return 0
        def add(self, acc: int, v: int) -> int: return acc + v
        def result(self, acc: int) -> int: return acc
        def merge(self, a: int, b: int) -> int: return a + b

    app.stream(app.topic("in2")).group_by_key().aggregate(Sum(), name="total").to_stream() \
        .to(app.topic("sum"))
    with TestDriver(app) as d:
        for v in (3, 9, 4):
            d.pipe("in", v, key="k", timestamp=0)
            d.pipe("in2", v, key="k", timestamp=0)
        assert [v for _, v, _ in d.read("max")] == [3, 9, 9]
        assert [v for _, v, _ in d.read("sum")] == [3, 12, 16]


def test_aggregating_a_null_key_is_counted_not_silent() -> None:
    app = App("t")
    app.stream(app.topic("in")).group_by_key().count(name="c")
    with TestDriver(app) as d:
        d.pipe("in", 1, key=None, timestamp=0)
        assert d.metrics()["null_key_dropped"] == 1


def test_stream_table_join_inner_and_left() -> None:
    app = App("t")
    customers = app.table(app.topic("customers"))
    orders = app.stream(app.topic("orders"))
    orders.join_table(customers, lambda order, c: {**order, "name": c["name"]}) \
        .to(app.topic("inner"))
    orders.join_table(customers, how="left").to(app.topic("left"))
    with TestDriver(app) as d:
        d.pipe("customers", {"name": "Ann"}, key="c1", timestamp=0)
        d.pipe("orders", {"id": 1}, key="c1", timestamp=1)
        d.pipe("orders", {"id": 2}, key="c2", timestamp=2)
        d.pipe("customers", None, key="c1", timestamp=3)  # tombstone deletes
        d.pipe("orders", {"id": 3}, key="c1", timestamp=4)
        assert d.read("inner") == [("c1", {"id": 1, "name": "Ann"}, 1)]
        assert [v for _, v, _ in d.read("left")] == [
            [{"id": 1}, {"name": "Ann"}], [{"id": 2}, None], [{"id": 3}, None]]
        assert d.metrics()["join_misses"] == 2


def test_a_join_of_topics_with_different_partition_counts_is_explained() -> None:
    app = App("t")
    customers = app.table(app.topic("customers", partitions=3))
    app.stream(app.topic("orders", partitions=4)).join_table(customers).to(app.topic("out"))
    with pytest.raises(CoPartitioningError, match="topic 'orders' has 4 partitions but "
                       "'customers' has 3: a join needs co-partitioned topics"):
        plan_topics("t", app.topology, app.topology.subtopologies(), {})


class CountAndFlush:
    """A user processor: counts per key in a store, emits totals every 10 ms of
    stream time and on the wall clock, and sends odd values to an extra output."""

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store = context.get_store("seen")
        context.schedule(10, Punctuation.STREAM_TIME, self.flush)
        context.schedule(1000, Punctuation.WALL_CLOCK, self.tick)

    def process(self, message: Message) -> None:
        self.store.put(message.key, (self.store.get(message.key) or 0) + 1)
        if message.value % 2:
            self.context.forward(message.key, message.value, to="odd")

    def flush(self, now: int) -> None:
        for key, n in self.store.all():
            self.context.forward(key, n, timestamp=now)

    def tick(self, now: int) -> None:
        self.context.forward("tick", now, timestamp=now)

    def close(self) -> None:
        pass


def test_user_processors_plug_in_like_built_ins() -> None:
    app = App("t")
    plan = OperatorPlan(CountAndFlush, stores=(StoreSpec("seen"),), outputs=("odd",))
    out = app.stream(app.topic("in")).process(plan, name="counter")
    out.to(app.topic("totals"))
    out.output("odd").to(app.topic("odd"))
    with TestDriver(app) as d:
        d.pipe("in", 1, key="a", timestamp=0)   # stream time starts at 0: first flush at 10
        d.pipe("in", 2, key="a", timestamp=5)
        assert d.read("totals") == []
        d.pipe("in", 3, key="b", timestamp=12)
        assert d.read("totals") == [("a", 2, 12), ("b", 1, 12)]
        assert [v for _, v, _ in d.read("odd")] == [1, 3]
        d.advance_wall_clock(1000)  # the first wall-clock period starts at registration
        d.advance_wall_clock(1000)
        assert ("tick", 2000, 2000) in d.read("totals")


class TumblingCount:
    """A minimal window spec implementing the WindowedAggregation protocol (the real
    ones live in operators.windows): counts per 10 ms window, final or on update."""

    def aggregate_plan(self, aggregator: Any, *, store_name: str, emit_final: bool) -> OperatorPlan:
        def supplier() -> Any:
            return _Tumbling(aggregator, store_name, emit_final)
        return OperatorPlan(supplier, stores=(StoreSpec(store_name),), outputs=("late",))


class _Tumbling:
    def __init__(self, agg: Any, store: str, emit_final: bool) -> None:
        self.agg, self.store_name, self.emit_final = agg, store, emit_final

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store = context.get_store(self.store_name)

    def process(self, m: Message) -> None:
        start = m.timestamp - m.timestamp % 10
        if start + 10 <= self.context.stream_time:  # the window closed already
            self.context.forward(m.key, m.value, to="late")
            return
        key = [m.key, start]
        acc = self.agg.add(self.store.get(key) or self.agg.initialize(), m.value)
        self.store.put(key, acc)
        if not self.emit_final:
            self.context.forward(m.key, {"start": start, "value": self.agg.result(acc)})
        else:
            for (k, s), value in list(self.store.all()):
                if s + 10 <= self.context.stream_time:
                    self.context.forward(k, {"start": s, "value": self.agg.result(value)})
                    self.store.delete([k, s])

    def close(self) -> None:
        pass


def test_window_aggregate_uses_the_spec_plan_with_final_updates_and_late() -> None:
    app = App("t")
    src = app.stream(app.topic("in"))
    final = src.window(TumblingCount()).count(name="final-w")
    final.final().to(app.topic("final"))
    final.late().to(app.topic("late"))
    src.window(TumblingCount()).count(name="upd-w").updates().to(app.topic("updates"))
    with TestDriver(app) as d:
        for ts in (1, 2, 11, 30, 3):
            d.pipe("in", "x", key="k", timestamp=ts)
        assert [v for _, v, _ in d.read("updates")][:3] == [
            {"start": 0, "value": 1}, {"start": 0, "value": 2}, {"start": 10, "value": 1}]
        assert [v for _, v, _ in d.read("final")] == [{"start": 0, "value": 2},
                                                       {"start": 10, "value": 1}]
        assert [v for _, v, _ in d.read("late")] == ["x"]


def test_two_aggregations_of_one_grouped_stream_need_names_and_get_their_own_state() -> None:
    from operators import agg, windows

    app = App("t")
    grouped = app.stream(app.topic("in", value="json")).group_by_key()
    grouped.window(windows.tumbling(1_000)).count().updates()
    with pytest.raises(TopologyError, match=(
            r"two steps are named 'group-2-window': give one of them another name= "
            r"\(two aggregations .* the state store 'group-2-window-store' and its "
            r"changelog, .* a renamed step starts from empty state\)")):
        grouped.window(windows.tumbling(10_000)).count().updates()

    app = App("t")
    grouped = app.stream(app.topic("in", value="json")).group_by_key()
    out = app.topic("out", value="json")
    (grouped.window(windows.tumbling(1_000)).count(name="per-second").updates()
        .map(lambda w: ["s", w.start, w.value]).to(out))
    (grouped.window(windows.tumbling(10_000)).aggregate(agg.sum(), name="per-10s").updates()
        .map(lambda w: ["10s", w.start, w.value]).to(out))
    with TestDriver(app) as driver:
        for value, timestamp in [(1, 0), (2, 1_500)]:
            driver.pipe("in", value, key="k", timestamp=timestamp)
        assert [v for _k, v, _ts in driver.read("out")] == [
            ["s", 0, 1], ["10s", 0, 1], ["s", 1_000, 1], ["10s", 0, 3]]
