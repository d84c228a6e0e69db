"""W1's hand-written floor does the session windowing streamkit's operator does:
the same result for every click, on random out-of-order streams, without a broker."""

import doctest

from floor_check import click, floor_and_streamkit, results, streams, windowed_count_app
from hypothesis import given, settings
from hypothesis import strategies as st

from operators import agg, windows
from tests.benchmarks import session_floor
from tests.benchmarks.session_floor import session_count

GAP = 1_000


def test_a_click_within_the_gap_extends_the_session_and_one_past_it_starts_another():
    count = session_count(gap_ms=GAP)
    count(b"u1", click(0), 0)
    assert results(count(b"u1", click(1_000), 0)) == [
        {"user": "u1", "start": 0, "end": 1_001, "count": 2}]
    assert results(count(b"u1", click(2_001), 0)) == [
        {"user": "u1", "start": 2_001, "end": 2_002, "count": 1}]


def test_a_closed_session_is_never_joined_and_its_late_clicks_drop():
    count = session_count(gap_ms=GAP)
    count(b"u1", click(0), 0)
    count(b"u2", click(1_500, user="u2"), 0)  # stream time 1,500: [0, 1) closed at 1,001
    assert results(count(b"u1", click(1_000), 0)) == [  # within the gap, but a new session
        {"user": "u1", "start": 1_000, "end": 1_001, "count": 1}]
    count(b"u2", click(2_600, user="u2"), 0)
    assert count(b"u1", click(500), 0) == ()  # its session would close by 1,501: late


@settings(max_examples=150, deadline=None)
@given(streams, st.sampled_from([0, 500, 2_000]))
def test_the_floor_writes_what_streamkit_writes_for_any_stream(stream, grace):
    app = windowed_count_app("session-floor-check", lambda clicks: clicks.window(
        windows.session(GAP, grace)).aggregate(agg.count(), name="c"))
    floor, streamkit = floor_and_streamkit(session_count(gap_ms=GAP, grace_ms=grace), app, stream)
    assert floor == streamkit


def test_the_docstring_examples_hold():
    assert doctest.testmod(session_floor).failed == 0
