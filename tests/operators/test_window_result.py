"""WindowResult is a plain dataclass with a hash: what the window operators emit."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import orjson
import pytest

from operators import WindowResult, WindowResultSerde


def test_fields_equality_hash_and_repr() -> None:
    result = WindowResult("/home", 10_000, 20_000, 3)
    assert (result.key, result.start, result.end, result.value) == ("/home", 10_000, 20_000, 3)
    assert result == WindowResult(key="/home", start=10_000, end=20_000, value=3)
    assert result != WindowResult("/home", 10_000, 20_000, 4)
    assert hash(result) == hash(WindowResult("/home", 10_000, 20_000, 3))
    assert repr(result) == "WindowResult(key='/home', start=10000, end=20000, value=3)"


def test_takes_exactly_its_four_fields() -> None:
    with pytest.raises(TypeError):
        WindowResult("k", 0, 10)  # type: ignore[call-arg]


def test_dataclass_tools_copies_and_json_see_the_four_fields() -> None:
    result = WindowResult("k", 0, 10, [1, 2])
    assert dataclasses.asdict(result) == result.to_dict() == {
        "key": "k", "start": 0, "end": 10, "value": [1, 2]}
    assert dataclasses.replace(result, value=5) == WindowResult("k", 0, 10, 5)
    assert pickle.loads(pickle.dumps(result)) == result
    assert copy.deepcopy(result) == result
    assert orjson.loads(orjson.dumps(result)) == result.to_dict()


def test_an_avro_topic_takes_window_results_as_records() -> None:
    from operators import agg, windows
    from streamkit import App
    from streamkit.serde import avro
    from streamkit.testing import TestDriver

    schema = {"type": "record", "name": "PageViews", "fields": [
        {"name": "key", "type": "string"}, {"name": "start", "type": "long"},
        {"name": "end", "type": "long"}, {"name": "value", "type": "long"}]}
    app = App("avro-windows")
    views = app.topic("views", value=avro(schema))
    (app.stream(app.topic("clicks", value="json"))
        .group_by_key()
        .window(windows.tumbling(10_000))
        .aggregate(agg.count())
        .updates()
        .to(views))
    with TestDriver(app) as driver:
        for ts in (1_000, 2_000, 12_000):
            driver.pipe("clicks", {"page": "/home"}, key="/home", timestamp=ts)
        assert [value for _key, value, _ts in driver.read("views")] == [
            {"key": "/home", "start": 0, "end": 10_000, "value": 1},
            {"key": "/home", "start": 0, "end": 10_000, "value": 2},
            {"key": "/home", "start": 10_000, "end": 20_000, "value": 1},
        ]
        assert driver.metrics().get("dead_lettered", 0) == 0


def test_window_result_serde_round_trips_and_refuses_other_json() -> None:
    from streamkit.serde import SerdeError

    serde = WindowResultSerde()
    result = WindowResult("/home", 0, 10_000, {"n": 3})
    assert serde.serialize(result) == orjson.dumps(result)
    assert serde.deserialize(serde.serialize(result)) == result
    assert serde.serialize(None) is None and serde.deserialize(None) is None
    with pytest.raises(SerdeError, match="cannot decode a window result from .*read this topic "
                                         "with the json serde"):
        serde.deserialize(b'{"page": "/home"}')
    with pytest.raises(SerdeError, match="cannot decode a window result"):
        serde.deserialize(b"[1, 2]")


def two_stage_app(name: str, *, filtered: bool = True, value: Any = None) -> Any:
    """Clicks per user per minute, then each hour's busiest minute: the window
    results cross a repartition between the two aggregations."""
    from operators import agg, windows
    from streamkit import App

    app = App(name)
    per_minute = (app.stream(app.topic(f"{name}-clicks", value="json", partitions=2))
                  .window(windows.tumbling(60_000)).count(name="per-minute").final())
    if filtered:
        per_minute = per_minute.filter(lambda w: w.value > 0).peek(lambda w: None)
    options = {} if value is None else {"value": value}
    (per_minute.group_by(lambda w: "all", name="all-users", **options)
        .window(windows.tumbling(3_600_000))
        .aggregate(agg.max(lambda w: w.value), name="busiest")
        .final()
        .map(lambda w: {"hour": w.start, "busiest_minute_clicks": w.value})
        .to(app.topic(f"{name}-busiest", value="json")))
    return app


CLICKS = [("a", 5), ("a", 10), ("b", 20), ("b", 61_000), ("a", 3_700_000), ("a", 7_400_000)]


@pytest.mark.parametrize("filtered", [False, True], ids=["direct", "after-filter-and-peek"])
def test_a_repartition_after_a_windowed_aggregation_keeps_window_results(filtered) -> None:
    # before, the repartition wrote json and the steps after it got dicts:
    # AttributeError: 'dict' object has no attribute 'value', and dead letters
    from streamkit.testing import TestDriver

    with TestDriver(two_stage_app("two-stage", filtered=filtered)) as driver:
        for user, ts in CLICKS:
            driver.pipe("two-stage-clicks", {"user": user}, key=user, timestamp=ts)
        assert [value for _k, value, _ts in driver.read("two-stage-busiest")] == [
            {"hour": 0, "busiest_minute_clicks": 2}]
        assert driver.metrics().get("dead_lettered", 0) == 0


def test_an_explicit_value_serde_for_the_repartition_wins() -> None:
    from streamkit.testing import TestDriver

    with TestDriver(two_stage_app("as-json", value="json")) as driver:
        for user, ts in CLICKS:
            driver.pipe("as-json-clicks", {"user": user}, key=user, timestamp=ts)
        assert driver.read("as-json-busiest") == []  # dicts: max's w.value fails
        # every closed minute: [0, 1 min) of a and of b, [1, 2 min) of b, [61, 62 min) of a
        assert driver.metrics()["dead_lettered"] == 4


def test_fields_read_like_the_dict_json_gives_too() -> None:
    # apps written when a repartition gave dicts keep working on window results
    result = WindowResult("k", 0, 10, 3)
    assert [result[name] for name in ("key", "start", "end", "value")] == ["k", 0, 10, 3]
    with pytest.raises(KeyError):
        result["to_dict"]


def test_split_and_merge_of_window_results_keep_them_across_a_repartition() -> None:
    from operators import agg, windows
    from streamkit import App
    from streamkit.testing import TestDriver

    app = App("split-merge")
    clicks = app.stream(app.topic("clicks", value="json"))
    minutes = clicks.window(windows.tumbling(60_000)).count(name="minutes").final()
    hours = clicks.window(windows.tumbling(3_600_000)).count(name="hours").final()
    parts = minutes.split({"busy": lambda w: w.value > 1}, default="quiet")
    (parts["busy"].merge(hours)
        .group_by(lambda w: "all", name="all")
        .aggregate(agg.collect(lambda w: [w.end - w.start, w.value]), name="seen")
        .to_stream().to(app.topic("seen", value="json")))
    with TestDriver(app) as driver:
        for ts in (5, 10, 61_000, 3_700_000):
            driver.pipe("clicks", {}, key="a", timestamp=ts)
        assert [value for _k, value, _ts in driver.read("seen")][-1] == [[60_000, 2],
                                                                          [3_600_000, 3]]
        assert driver.metrics().get("dead_lettered", 0) == 0

