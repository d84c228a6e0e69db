"""An aggregation whose ``add`` (or ``merge``) returns ``None`` - the common slip
of returning ``list.append(...)`` - sends each record to the dead letters saying
so, in every window kind and emit mode, and in the DSL's non-windowed
aggregate. A store reads ``None`` as absent: before, final windows silently came
out empty or never, and a table was emptied on every update, with nothing
dead-lettered."""

from __future__ import annotations

from typing import Any

import pytest

from operators import agg, windows
from streamkit import App
from streamkit.processor import NoneAccumulator
from streamkit.testing import TestDriver

SPECS = {
    "tumbling": windows.tumbling(1_000),
    "hopping": windows.hopping(1_000, 500),
    "session": windows.session(100),
    "sliding": windows.sliding(100),
}


def appends(tags: list[Any], value: Any) -> None:
    tags.append(value)  # returns None: the slip under test


def dead_letters(spec: Any, aggregation: Any, *, final: bool) -> tuple[list[Any], list[Any]]:
    """What the app emitted, and the dead letters' error messages (``spec``
    None: the non-windowed aggregate)."""
    app = App("none-acc")
    grouped = app.stream(app.topic("in", value="json")).group_by_key()
    if spec is None:
        grouped.aggregate(aggregation).to_stream().to(app.topic("out", value="json"))
    else:
        windowed = grouped.window(spec).aggregate(aggregation)
        (windowed.final() if final else windowed.updates()) \
            .map(lambda w: [w.start, w.value]).to(app.topic("out", value="json"))
    with TestDriver(app) as driver:
        for value, timestamp in ((1, 10), (2, 20), (3, 5_000)):
            driver.pipe("in", value, key="k", timestamp=timestamp)
        reasons = [dict(record.headers)["streamkit.error.message"].decode()
                   for record in driver.read_records("none-acc-dlq")]
        return [value for _key, value, _ts in driver.read("out")], reasons


@pytest.mark.parametrize("final", [False, True], ids=["updates", "final"])
@pytest.mark.parametrize("kind", SPECS)
@pytest.mark.parametrize("order_insensitive", [False, True], ids=["per-window", "panes"])
def test_add_returning_none_dead_letters_every_record_saying_why(kind, final,
                                                                 order_insensitive) -> None:
    tags = agg.aggregator(initialize=list, add=appends, merge=lambda a, b: [*a, *b],
                          order_insensitive=order_insensitive)
    emitted, reasons = dead_letters(SPECS[kind], tags, final=final)
    assert emitted == []
    assert len(reasons) == 3
    assert all("aggregator(add=appends).add() returned None" in reason for reason in reasons)
    assert all("return [*accumulator, value]" in reason for reason in reasons)


def test_add_returning_none_in_a_table_dead_letters_every_record() -> None:
    emitted, reasons = dead_letters(None, agg.aggregator(initialize=list, add=appends),
                                    final=False)
    assert emitted == []
    assert len(reasons) == 3
    assert all("aggregator(add=appends).add() returned None" in reason for reason in reasons)


def test_a_reduce_whose_function_returns_none_dead_letters_the_record() -> None:
    app = App("none-reduce")
    (app.stream(app.topic("in", value="json")).group_by_key()
        .reduce(lambda total, value: None if value == 0 else total + value, name="sums")
        .to_stream().to(app.topic("out", value="json")))
    with TestDriver(app) as driver:
        for value in (1, 2, 0, 3):
            driver.pipe("in", value, key="k", timestamp=10)
        assert [value for _key, value, _ts in driver.read("out")] == [1, 3, 6]
        [dead] = driver.read_records("none-reduce-dlq")
        assert dead.value == b"0"
        assert dict(dead.headers)["streamkit.error.message"].startswith(
            b"reduce(<lambda>).add() returned None")


def test_merge_returning_none_in_sliding_windows_dead_letters_the_record() -> None:
    # the record at 90 opens the window [-10, 90] over both records: merged, not added
    broken_merge = agg.aggregator(initialize=list, add=lambda tags, v: [*tags, v],
                                  merge=lambda left, right: None)
    app = App("none-merge")
    (app.stream(app.topic("in", value="json")).window(windows.sliding(100))
        .aggregate(broken_merge).updates().map(lambda w: w.value)
        .to(app.topic("out", value="json")))
    with TestDriver(app) as driver:
        driver.pipe("in", 1, key="k", timestamp=200)
        driver.pipe("in", 2, key="k", timestamp=150)
        reasons = [dict(record.headers)["streamkit.error.message"].decode()
                   for record in driver.read_records("none-merge-dlq")]
        assert reasons and all(".merge() returned None" in reason for reason in reasons)


def test_the_message_names_the_aggregation_and_the_fix() -> None:
    message = str(NoneAccumulator(agg.aggregator(initialize=list, add=appends), "add"))
    assert message.startswith("aggregator(add=appends).add() returned None")
    assert "list.append()" in message
