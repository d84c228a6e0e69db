"""The DSL's stateless steps, run through the TestDriver (no broker)."""

from __future__ import annotations

import pytest

from streamkit import App
from streamkit.dsl.functions import FunctionSignatureError, InvalidTimestamp, compile_extractor
from streamkit.testing import TestDriver


def make_app() -> tuple[App, object]:
    app = App("t")
    return app, app.stream(app.topic("in", value="json"))


def test_map_gets_the_value_or_more_when_it_asks() -> None:
    app, s = make_app()
    s.map(lambda v: v + 1).to(app.topic("plain"))
    s.map(lambda key, value: f"{key}:{value}").to(app.topic("kv", value="string"))
    s.map(lambda value, timestamp: timestamp).to(app.topic("ts"))
    with TestDriver(app) as d:
        d.pipe("in", 1, key="k", timestamp=7)
        assert d.read("plain") == [("k", 2, 7)]
        assert d.read("kv") == [("k", "k:1", 7)]
        assert d.read("ts") == [("k", 7, 7)]


def test_filter_flat_map_peek_and_foreach() -> None:
    app, s = make_app()
    seen: list[int] = []
    (s.filter(lambda v: v % 2 == 0).flat_map(lambda v: [v, v * 10]).peek(seen.append)
     .to(app.topic("out")))
    s.foreach(lambda v: seen.append(-v))
    with TestDriver(app) as d:
        for v in (1, 2):
            d.pipe("in", v, key="k", timestamp=0)
        assert [v for _, v, _ in d.read("out")] == [2, 20]
    assert seen == [-1, 2, 20, -2]


def test_split_routes_to_the_first_matching_branch_else_default() -> None:
    app, s = make_app()
    parts = s.split({"big": lambda v: v > 100, "even": lambda v: v % 2 == 0}, default="rest")
    for name, stream in parts.items():
        stream.to(app.topic(name))
    with TestDriver(app) as d:
        for v in (102, 4, 3):
            d.pipe("in", v, key="k", timestamp=0)
        assert [v for _, v, _ in d.read("big")] == [102]
        assert [v for _, v, _ in d.read("even")] == [4]
        assert [v for _, v, _ in d.read("rest")] == [3]


def test_merge_combines_streams() -> None:
    app = App("t")
    a = app.stream(app.topic("a"))
    b = app.stream(app.topic("b"))
    a.merge(b).to(app.topic("out"))
    with TestDriver(app) as d:
        d.pipe("a", 1, key="x", timestamp=0)
        d.pipe("b", 2, key="y", timestamp=0)
        assert [v for _, v, _ in d.read("out")] == [1, 2]


def test_timestamp_extractor_sets_event_time() -> None:
    app = App("t")
    app.stream(app.topic("in"), timestamp=lambda v: v["ts"]).to(app.topic("out"))
    with TestDriver(app) as d:
        d.pipe("in", {"ts": 1234}, key="k", timestamp=1)
        assert d.read("out") == [("k", {"ts": 1234}, 1234)]


@pytest.mark.parametrize("ts", [None, "2026-01-01T00:00:00Z", [5], True, 2**63, -(2**63)])
def test_an_extractor_returning_no_time_in_ms_dead_letters_the_record_saying_why(ts) -> None:
    app = App("t")
    app.stream(app.topic("in"), timestamp=lambda v: v["ts"]).to(app.topic("out"))
    with TestDriver(app) as d:
        d.pipe("in", {"ts": ts}, key="k", timestamp=1)
        d.pipe("in", {"ts": 7.9}, key="k", timestamp=1)
        assert d.read("out") == [("k", {"ts": 7.9}, 7)]
        [reason] = [dict(r.headers)["streamkit.error.message"].decode()
                    for r in d.read_records("t-dlq")]
        assert f"the timestamp extractor <lambda> returned {ts!r}" in reason
        assert "return milliseconds since the epoch as an int" in reason


@pytest.mark.parametrize("ts", [float("nan"), float("inf"), -float("inf")])
def test_an_extractor_returning_a_float_that_is_no_number_raises_invalid_timestamp(ts) -> None:
    extract = compile_extractor(lambda key, value: value)  # json would make them null
    with pytest.raises(InvalidTimestamp, match=f"returned {ts!r} \\(float\\)"):
        extract("k", ts, 0)


def test_a_function_with_too_many_parameters_is_refused_at_build_time() -> None:
    _, s = make_app()
    with pytest.raises(FunctionSignatureError, match="takes 5 parameters"):
        s.map(lambda a, b, c, d, e: a)


def test_group_by_repartitions_through_an_internal_topic() -> None:
    app = App("shop")
    orders = app.topic("orders", partitions=3)
    app.stream(orders).group_by(lambda v: v["user"], name="by-user").count(name="n") \
        .to_stream().to(app.topic("counts", partitions=3))
    subs = app.topology.subtopologies()
    assert [t.name for t in subs[1].source_topics] == ["shop-by-user-repartition"]
    with TestDriver(app) as d:
        for i, user in enumerate(["ann", "bob", "ann"]):
            d.pipe("orders", {"user": user}, key=str(i), timestamp=i)
        assert d.read("counts") == [("ann", 1, 0), ("bob", 1, 1), ("ann", 2, 2)]
        assert d.plan.partitions["shop-by-user-repartition"] == 3
        assert d.store_items("n-store") == {"ann": 2, "bob": 1}
        assert [r.key for r in d.read_records("shop-by-user-repartition")] == \
            [b'"ann"', b'"bob"', b'"ann"']


def test_to_with_a_key_writes_that_key_and_partition_without_a_repartition() -> None:
    from streamkit.log.partitioner import partition_for_key

    app = App("t")
    out = app.topic("out", partitions=4)
    app.stream(app.topic("in")).to(out, key=lambda v: v["user"])
    app.stream(app.topic("in2")).to(app.topic("out2"), key=lambda key, value: f"{key}/{value}")
    assert [t for t in app.topology.topics if "repartition" in t] == []
    with TestDriver(app) as d:
        d.pipe("in", {"user": "ann"}, key="k1", timestamp=5)
        d.pipe("in", {"user": "bob"}, key="k2", timestamp=6)
        d.pipe("in2", 7, key="k", timestamp=7)
        records = d.read_records("out")
        assert [(r.key, r.timestamp) for r in records] == [(b"ann", 5), (b"bob", 6)]
        assert [r.partition for r in records] == [partition_for_key(r.key, 4) for r in records]
        assert d.read("out2") == [("k/7", 7, 7)]


def test_to_with_a_key_that_fails_dead_letters_the_message() -> None:
    app = App("t")
    app.stream(app.topic("in")).to(app.topic("out"), key=lambda v: v["user"])
    with TestDriver(app) as d:
        d.pipe("in", {"name": "ann"}, key="k", timestamp=1)
        d.pipe("in", {"user": "bob"}, key="k", timestamp=2)
        assert d.read("out") == [("bob", {"user": "bob"}, 2)]
        [headers] = [dict(r.headers) for r in d.read_records("t-dlq")]
        assert headers["streamkit.error.step"] == b"key-for-out-2"
        assert headers["streamkit.error.type"] == b"KeyError"
