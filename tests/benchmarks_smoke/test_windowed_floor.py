"""The hand-written B2/B3 floors do the windowing streamkit's apps do, without a broker."""

import doctest

import orjson

from operators.windows import hopping
from tests.benchmarks import windowed, windowed_floor
from tests.benchmarks.windowed import window_count
from tests.benchmarks.windowed_floor import hopping_mean, tumbling_count


def click(ts: int, *, page: str = "/p/1", user: str = "u1", amount: int = 10) -> bytes:
    return orjson.dumps({"user": user, "page": page, "amount": amount, "ts": ts})


def results(outputs) -> list[tuple[bytes, dict]]:
    return [(key, orjson.loads(value)) for key, value in outputs]


def test_a_tumbling_window_is_counted_per_page_and_written_once_after_its_grace():
    count = tumbling_count(size_ms=10_000, grace_ms=2_000)
    for ts, page in [(1_000, "/p/1"), (5_000, "/p/1"), (9_000, "/p/2"), (11_999, "/p/1")]:
        assert count(b"u1", click(ts, page=page), 0) == ()
    closed = results(count(b"u2", click(12_000, page="/p/3"), 3))
    assert sorted(closed) == [
        (b"/p/1", {"page": "/p/1", "start": 0, "end": 10_000, "count": 2}),
        (b"/p/2", {"page": "/p/2", "start": 0, "end": 10_000, "count": 1}),
    ]
    assert count(b"u1", click(30_000), 0) != ()  # closes [10 s, 20 s) with its 2 clicks
    assert count(b"u1", click(30_001), 0) == ()


def test_a_tumbling_click_within_grace_counts_and_one_after_it_is_dropped():
    count = tumbling_count(size_ms=10_000, grace_ms=2_000)
    count(b"u1", click(5_000), 0)
    count(b"u1", click(11_000), 1)
    assert count(b"u1", click(9_999), 2) == ()  # late, within grace: counted
    [(_, result)] = results(count(b"u1", click(12_500), 0))
    assert result["count"] == 2
    count(b"u1", click(9_000), 0)  # its window has closed: dropped
    closing = results(count(b"u1", click(30_000), 0))
    assert [r["start"] for _, r in closing] == [10_000]


def test_every_click_writes_the_current_mean_of_each_hopping_window_it_falls_in():
    mean = hopping_mean(size_ms=60_000, step_ms=10_000, grace_ms=0)
    mean(b"u1", click(65_000, amount=4), 0)
    written = results(mean(b"u1", click(66_000, amount=1), 0))
    assert [(r["start"], r["end"]) for _, r in written] == hopping(60_000, 10_000).windows_for(66_000)
    assert written[0] == (b"u1", {"user": "u1", "start": 60_000, "end": 120_000, "mean": 2.5})
    assert {r["mean"] for _, r in written} == {2.5}
    other = results(mean(b"u2", click(66_000, user="u2", amount=7), 0))
    assert {r["mean"] for _, r in other} == {7.0}


def test_hopping_windows_close_per_partition_and_late_clicks_update_only_open_ones():
    mean = hopping_mean(size_ms=60_000, step_ms=10_000, grace_ms=0)
    mean(b"u1", click(115_000), 0)  # on partition 0, the windows ending by 115 s close
    late = results(mean(b"u1", click(62_000), 0))
    assert [r["start"] for _, r in late] == [60_000]
    on_another_partition = results(mean(b"u9", click(62_000, user="u9"), 1))
    assert len(on_another_partition) == 6


def test_the_docstring_examples_hold():
    assert doctest.testmod(windowed_floor).failed == 0


def test_b2s_counted_share_adds_up_the_counts_written_not_the_late_clicks():
    count = tumbling_count(size_ms=10_000, grace_ms=2_000)
    written = [*count(b"u1", click(1_000), 0), *count(b"u1", click(2_000, page="/p/2"), 0),
               *count(b"u1", click(5_000), 0), *count(b"u1", click(15_000), 0),
               *count(b"u1", click(3_000), 0),  # [0 s, 10 s) closed at 12 s: late
               *count(b"u1", click(40_000), 0)]  # closes [10 s, 20 s)
    assert len(written) == 3  # /p/1 and /p/2 in [0 s, 10 s), /p/1 in [10 s, 20 s)
    assert sum(window_count(value) for _key, value in written) == 4
    assert window_count(b'{"start": 0, "end": 10000, "value": 7}') == 7  # Quix's shape
    assert doctest.testmod(windowed).failed == 0
