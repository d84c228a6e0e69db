"""Session windows keep each key's sessions decoded in memory between records:
what leaves the processor is never that state itself."""

from operators import agg, windows
from streamkit import App
from streamkit.testing import TestDriver


def test_a_downstream_step_changing_a_result_in_place_does_not_change_the_session():
    app = App("session-cache")
    clicks = app.topic("clicks", value="json")
    out = app.topic("out", value="json")

    def vandalize(result):
        result.value.append("changed downstream")  # a list: the collect's result
        return {"start": result.start, "end": result.end, "pages": result.value}

    (app.stream(clicks).window(windows.session(1_000)).aggregate(agg.collect("page"), name="s")
     .updates().map(vandalize).to(out))
    with TestDriver(app) as driver:
        driver.pipe("clicks", {"page": "a"}, key="u1", timestamp=100)
        driver.pipe("clicks", {"page": "b"}, key="u1", timestamp=200)
        pages = [value["pages"] for _key, value, _ts in driver.read("out")]
    assert pages == [["a", "changed downstream"], ["a", "b", "changed downstream"]]


def test_sessions_of_unhashable_keys_are_read_from_the_store_each_time():
    app = App("session-unhashable")
    clicks = app.topic("clicks", key="json", value="json")
    out = app.topic("out", key="json", value="json")
    (app.stream(clicks).window(windows.session(1_000)).aggregate(agg.count(), name="s")
     .updates().map(lambda w: [w.start, w.end, w.value]).to(out))
    with TestDriver(app) as driver:
        for ts in (100, 600, 3_000):
            driver.pipe("clicks", {"n": 1}, key=["u", 1], timestamp=ts)
        results = [value for _key, value, _ts in driver.read("out")]
    assert results == [[100, 101, 1], [100, 601, 2], [3_000, 3_001, 1]]
