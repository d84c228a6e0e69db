"""W2's hand-written floor does the sliding windowing streamkit's operator does:
the same results, in the same order, on random out-of-order streams, without a
broker."""

import doctest

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from operators import agg, windows
from streamkit import App
from streamkit.testing import TestDriver
from tests.benchmarks import sliding_floor
from tests.benchmarks.sliding_floor import sliding_count

DIFFERENCE = 1_000


def click(ts: int, user: str = "u1") -> bytes:
    return orjson.dumps({"user": user, "page": "/p/1", "amount": 1, "ts": ts})


def results(outputs) -> list[dict]:
    return [orjson.loads(value) for _key, value in outputs]


def test_a_late_click_opens_the_right_window_of_an_earlier_one():
    count = sliding_count(difference_ms=DIFFERENCE, grace_ms=0)
    count(b"u1", click(5_000), 0)
    count(b"u2", click(6_000, user="u2"), 0)  # stream time 6,000: [4,000, 5,001) has closed
    # 5,500's left window [4,500, 5,501) has closed too; 5,000's right window has not
    assert results(count(b"u1", click(5_500), 0)) == [
        {"user": "u1", "start": 5_001, "end": 6_002, "count": 1}]
    count(b"u2", click(7_100, user="u2"), 0)
    assert count(b"u1", click(6_000), 0) == ()  # its last window [6,000, 7,001) has closed


def sliding_app(grace: int) -> App:
    app = App("sliding-floor-check")
    clicks = app.topic("clicks", value="json")
    out = app.topic("out", value="json")
    (app.stream(clicks).window(windows.sliding(DIFFERENCE, grace)).aggregate(agg.count(), name="c")
     .updates().map(lambda w: {"user": w.key, "start": w.start, "end": w.end, "count": w.value})
     .to(out))
    return app


streams = st.lists(st.tuples(st.integers(0, 4_000), st.sampled_from(["u1", "u2", "u3"])),
                   max_size=40)


@settings(max_examples=150, deadline=None)
@given(streams, st.sampled_from([0, 500, 2_000]))
def test_the_floor_writes_what_streamkit_writes_for_any_stream(stream, grace):
    count = sliding_count(difference_ms=DIFFERENCE, grace_ms=grace)
    floor = [result for ts, user in stream for result in results(count(user.encode(), click(ts, user), 0))]
    with TestDriver(sliding_app(grace)) as driver:
        for ts, user in stream:
            driver.pipe_bytes("clicks", click(ts, user), user.encode(), timestamp=ts)
        streamkit = [value for _key, value, _ts in driver.read("out")]
    assert floor == streamkit


def test_the_docstring_examples_hold():
    assert doctest.testmod(sliding_floor).failed == 0
