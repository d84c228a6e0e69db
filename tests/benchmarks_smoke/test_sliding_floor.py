"""W2's hand-written floor does the sliding windowing streamkit's operator does:
the same results, in the same order, on random out-of-order streams, without a
broker."""

import doctest

from floor_check import click, floor_and_streamkit, results, streams, windowed_count_app
from hypothesis import given, settings
from hypothesis import strategies as st

from operators import agg, windows
from tests.benchmarks import sliding_floor
from tests.benchmarks.sliding_floor import sliding_count

DIFFERENCE = 1_000


def test_a_late_click_opens_the_right_window_of_an_earlier_one():
    count = sliding_count(difference_ms=DIFFERENCE, grace_ms=0)
    count(b"u1", click(5_000), 0)
    count(b"u2", click(6_000, user="u2"), 0)  # stream time 6,000: [4,000, 5,001) has closed
    # 5,500's left window [4,500, 5,501) has closed too; 5,000's right window has not
    assert results(count(b"u1", click(5_500), 0)) == [
        {"user": "u1", "start": 5_001, "end": 6_002, "count": 1}]
    count(b"u2", click(7_100, user="u2"), 0)
    assert count(b"u1", click(6_000), 0) == ()  # its last window [6,000, 7,001) has closed


@settings(max_examples=150, deadline=None)
@given(streams, st.sampled_from([0, 500, 2_000]))
def test_the_floor_writes_what_streamkit_writes_for_any_stream(stream, grace):
    app = windowed_count_app("sliding-floor-check", lambda clicks: clicks.window(
        windows.sliding(DIFFERENCE, grace)).aggregate(agg.count(), name="c"))
    floor, streamkit = floor_and_streamkit(sliding_count(DIFFERENCE, grace), app, stream)
    assert floor == streamkit


def test_the_docstring_examples_hold():
    assert doctest.testmod(sliding_floor).failed == 0
