"""An aggregation whose ``add`` (or ``merge``) returns ``None`` - the common slip
of returning ``list.append(...)`` - sends each record to the dead letters saying
so, in every window kind and emit mode. A window store reads ``None`` as "no
window": before, final windows silently came out empty or never, with nothing
dead-lettered."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

from operators import agg, errors, windows
from operators.errors import none_accumulator
from streamkit import App
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
    """What the app emitted, and the dead letters' error messages."""
    app = App("none-acc")
    windowed = app.stream(app.topic("in", value="json")).window(spec).aggregate(aggregation)
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
    message = str(none_accumulator(agg.aggregator(initialize=list, add=appends), "add"))
    assert message.startswith("aggregator(add=appends).add() returned None")
    assert "list.append()" in message
    result = doctest.testmod(errors)
    assert (result.attempted, result.failed) == (1, 0)
