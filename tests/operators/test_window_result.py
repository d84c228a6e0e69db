"""WindowResult is a plain dataclass with a hash: what the window operators emit."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import orjson
import pytest

from operators import WindowResult


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
