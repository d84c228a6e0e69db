"""Session and sliding windows keep each key's windows decoded in memory between
records: what leaves the processor is never that state itself, and keys that
cannot be hashed are read from the store instead."""

from __future__ import annotations

import pytest

from operators import agg, windows
from streamkit import App
from streamkit.testing import TestDriver

KINDS = {"session": windows.session(1_000), "sliding": windows.sliding(1_000)}


def collected_pages(kind: str, clicks: list[tuple[str, int]]) -> list[list[str]]:
    """What a collect of pages per window, ``kind`` windows, emits on every update
    when a downstream step appends to each result in place."""
    app = App(f"{kind}-cache")
    source = app.topic("clicks", value="json")
    out = app.topic("out", value="json")

    def vandalize(result):  # type: ignore[no-untyped-def]
        result.value.append("changed downstream")  # a list: the collect's result
        return {"start": result.start, "end": result.end, "pages": result.value}

    (app.stream(source).window(KINDS[kind]).aggregate(agg.collect("page"), name="w")
     .updates().map(vandalize).to(out))
    with TestDriver(app) as driver:
        for page, ts in clicks:
            driver.pipe("clicks", {"page": page}, key="u1", timestamp=ts)
        return [value["pages"] for _key, value, _ts in driver.read("out")]


def test_a_downstream_step_changing_a_session_in_place_does_not_change_it() -> None:
    assert collected_pages("session", [("a", 100), ("b", 200)]) == [
        ["a", "changed downstream"], ["a", "b", "changed downstream"]]


def test_a_downstream_step_changing_a_sliding_window_in_place_does_not_change_it() -> None:
    # a@100 opens [0, 1001); b@200 joins it, opens its own [0, 1001)... which is
    # the same window near the epoch, and the right window of a, [101, 1102).
    assert collected_pages("sliding", [("a", 100), ("b", 200)]) == [
        ["a", "changed downstream"], ["a", "b", "changed downstream"],
        ["b", "changed downstream"]]


@pytest.mark.parametrize(("kind", "expected"), [
    ("session", [[100, 101, 1], [100, 601, 2], [3_000, 3_001, 1]]),
    ("sliding", [[0, 1_001, 1], [0, 1_001, 2], [101, 1_102, 1],
                 [2_000, 3_001, 1]]),
])
def test_windows_of_unhashable_keys_are_read_from_the_store_each_time(
    kind: str, expected: list[list[int]]
) -> None:
    app = App(f"{kind}-unhashable")
    clicks = app.topic("clicks", key="json", value="json")
    out = app.topic("out", key="json", value="json")
    (app.stream(clicks).window(KINDS[kind]).aggregate(agg.count(), name="w")
     .updates().map(lambda w: [w.start, w.end, w.value]).to(out))
    with TestDriver(app) as driver:
        for ts in (100, 600, 3_000):
            driver.pipe("clicks", {"n": 1}, key=["u", 1], timestamp=ts)
        results = [value for _key, value, _ts in driver.read("out")]
    assert results == expected
