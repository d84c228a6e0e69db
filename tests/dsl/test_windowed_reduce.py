"""``window(...).reduce(fn)``: the same fold as ``aggregate(agg.reduce(fn))`` for
every window kind and emit mode. Both reduces skip ``None`` values, as Kafka
Streams' do: no update, no result, and ``fn`` never sees one."""

from __future__ import annotations

import operator
import random
from typing import Any

import pytest

from operators import agg, windows
from streamkit import App
from streamkit.log.errors import StreamkitError
from streamkit.testing import TestDriver

SPECS = {
    "tumbling": windows.tumbling(1_000, grace=300),
    "hopping": windows.hopping(1_000, 250, grace=300),
    "sliding": windows.sliding(500, grace=300),
    "session": windows.session(400, grace=300),
}


def out_of_order_stream(seed: int) -> list[tuple[str, int, int]]:
    """(key, value, timestamp): two keys, timestamps up to 400 ms out of order."""
    rng = random.Random(seed)
    stream, now = [], 0
    for _ in range(40):
        now += rng.randint(0, 300)
        stream.append((rng.choice("ab"), rng.randint(1, 9), max(0, now - rng.randint(0, 400))))
    return stream


def emitted(spec: Any, fold: Any, *, final: bool, stream: list[tuple[Any, Any, int]]) -> list[Any]:
    app = App("reduce")
    out = app.topic("out", value="json")
    windowed = fold(app.stream(app.topic("in", value="json")).group_by_key().window(spec))
    (windowed.final() if final else windowed.updates()) \
        .map(lambda w: [w.key, w.start, w.end, w.value]).to(out)
    with TestDriver(app) as driver:
        for key, value, timestamp in stream:
            driver.pipe("in", value, key=key, timestamp=timestamp)
        return [value for _key, value, _ts in driver.read("out")]


@pytest.mark.parametrize("final", [False, True], ids=["updates", "final"])
@pytest.mark.parametrize("kind", SPECS)
@pytest.mark.parametrize("fn", [operator.add, max], ids=["add", "max"])
def test_windowed_reduce_emits_what_aggregate_of_agg_reduce_emits(kind, final, fn) -> None:
    for seed in range(5):
        stream = out_of_order_stream(seed)
        reduced = emitted(SPECS[kind], lambda w: w.reduce(fn), final=final, stream=stream)
        assert reduced, "the stream fills some windows"
        assert reduced == emitted(SPECS[kind], lambda w: w.aggregate(agg.reduce(fn)),
                                  final=final, stream=stream)


def test_windowed_reduce_folds_each_window_of_each_key() -> None:
    stream = [("a", 3, 100), ("a", 4, 900), ("b", 10, 950), ("a", 5, 1_100), ("a", 1, 2_500)]
    assert emitted(windows.tumbling(1_000), lambda w: w.reduce(operator.add), final=True,
                   stream=stream) == [["a", 0, 1_000, 7], ["b", 0, 1_000, 10],
                                      ["a", 1_000, 2_000, 5]]


@pytest.mark.parametrize("kind", ["grouped", "tumbling", "sliding"])
def test_reduce_skips_none_values(kind) -> None:
    # before, a leading None was emitted as a result, and sliding windows sent
    # the records after a None one to the dead letters
    def fn(total: int, value: int) -> int:
        assert value is not None, "fn never sees a None value"
        return total + value

    app = App("reduce-none")
    grouped = app.stream(app.topic("in", value="json")).group_by_key()
    if kind == "grouped":
        grouped.reduce(fn).to_stream().to(app.topic("out", value="json"))
    else:
        grouped.window(SPECS[kind]).reduce(fn).updates() \
            .map(lambda w: w.value).to(app.topic("out", value="json"))
    with TestDriver(app) as driver:
        for value in (None, 2, None, 3):
            driver.pipe("in", value, key="k", timestamp=10)
        assert [value for _k, value, _ts in driver.read("out")] == [2, 5]
        assert driver.metrics().get("dead_lettered", 0) == 0


def test_reduce_of_something_not_callable_is_refused_when_the_app_is_built() -> None:
    grouped = App("t").stream("in").group_by_key()
    with pytest.raises(StreamkitError, match=r"reduce needs a function of \(accumulated, value\)"):
        grouped.window(windows.tumbling(1_000)).reduce(5)  # type: ignore[arg-type]
    with pytest.raises(StreamkitError, match="reduce needs a function"):
        grouped.reduce("max")  # type: ignore[arg-type]
