"""Pinned boundary cases of window assignment, lateness and emission."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from window_harness import Harness

from operators import agg, windows
from operators.errors import InvalidWindowSpec
from operators.results import WindowResult

S = 1_000  # ms per second


def harness(
    spec: windows.TimeWindows | windows.SessionWindows | windows.SlidingWindows,
    aggregation: agg.Aggregation | None = None,
    *,
    final: bool = False,
) -> Harness:
    plan = spec.aggregate_plan(aggregation or agg.count(), store_name="w", emit_final=final)
    return Harness(plan)


# -- specs --------------------------------------------------------------------------


def test_sizes_accept_timedelta_or_int_ms() -> None:
    assert windows.tumbling(timedelta(seconds=10), grace=timedelta(seconds=2)) == windows.tumbling(
        10_000, 2_000
    )
    assert windows.session(timedelta(milliseconds=1500)).gap_ms == 1500


@pytest.mark.parametrize(
    "make",
    [
        lambda: windows.hopping(10, 11),
        lambda: windows.hopping(10, 0),
        lambda: windows.tumbling(0),
        lambda: windows.tumbling(10, grace=-1),
        lambda: windows.session(0),
        lambda: windows.sliding(-5),
        lambda: windows.tumbling("10s"),  # type: ignore[arg-type]
        lambda: windows.tumbling(10, idle_timeout=0),
        lambda: windows.tumbling(timedelta(microseconds=1_500)),
        lambda: windows.hopping(timedelta(seconds=1), timedelta(microseconds=500)),
        lambda: windows.session(timedelta(seconds=30), grace=timedelta(microseconds=1)),
    ],
)
def test_impossible_specs_are_rejected_with_a_clear_error(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidWindowSpec):
        make()


def test_a_timedelta_that_is_not_whole_milliseconds_is_refused_not_rounded() -> None:
    with pytest.raises(InvalidWindowSpec, match=r"size must be whole milliseconds, got 1.5 ms"):
        windows.tumbling(timedelta(microseconds=1_500))
    assert windows.tumbling(timedelta(days=36_500, milliseconds=1)).size_ms == 3_153_600_000_001


def test_hopping_step_error_says_what_to_do() -> None:
    with pytest.raises(InvalidWindowSpec, match=r"0 < step <= size"):
        windows.hopping(10_000, 20_000)


def test_plan_declares_window_store_with_retention_size_plus_grace_and_late_output() -> None:
    plan = windows.tumbling(10 * S, 2 * S).aggregate_plan(
        agg.count(), store_name="counts", emit_final=True
    )
    (store,) = plan.stores
    assert (store.name, store.kind.value, store.retention_ms) == ("counts", "window", 12 * S)
    assert plan.outputs == ("late",)
    session_plan = windows.session(5 * S, S).aggregate_plan(
        agg.count(), store_name="s", emit_final=False
    )
    assert session_plan.stores[0].retention_ms == 6 * S


# -- tumbling / hopping -----------------------------------------------------------------


def test_record_exactly_at_window_end_belongs_to_the_next_window() -> None:
    h = harness(windows.tumbling(10 * S))
    h.send("k", "v", 10 * S)
    assert h.result_tuples() == [("k", 10 * S, 20 * S, 1)]


def test_windows_are_epoch_aligned_and_half_open() -> None:
    assert windows.tumbling(10 * S).windows_for(19_999) == [(10_000, 20_000)]
    assert windows.hopping(10 * S, 5 * S).windows_for(10_000) == [(10_000, 20_000), (5_000, 15_000)]


@pytest.mark.parametrize("aggregation", [agg.count(), agg.collect()])  # panes, and not
@pytest.mark.parametrize("final", [False, True])
def test_no_hopping_window_starts_before_the_epoch(aggregation: agg.Aggregation,
                                                   final: bool) -> None:
    assert windows.hopping(10 * S, 5 * S).windows_for(3_000) == [(0, 10 * S)]
    h = harness(windows.hopping(10 * S, 5 * S), aggregation, final=final)
    h.send("k", 1, 3_000)  # in [0, 10s) only: [-5s, 5s) is not a window (as in Kafka Streams)
    h.send("k", 2, -1)  # a negative timestamp is in no window: dropped as late
    h.send("k", 3, 40_000)  # closes everything
    windows_of_k = [(start, end) for _key, start, end, _value in h.result_tuples()]
    assert windows_of_k[0] == (0, 10 * S)
    assert all(start >= 0 for start, _end in windows_of_k)
    assert [f.value for f in h.late] == [2]


def test_hopping_with_step_equal_to_size_is_tumbling() -> None:
    for t in (0, 1, 9_999, 10_000, 123_456):
        assert windows.hopping(10 * S, 10 * S).windows_for(t) == windows.tumbling(
            10 * S
        ).windows_for(t)


def test_record_is_dropped_exactly_when_window_end_plus_grace_reaches_stream_time() -> None:
    h = harness(windows.tumbling(10 * S, grace=2 * S))
    h.send("k", 1, 11_999)  # stream time 11_999 < 10_000 + 2_000: [0, 10s) still open
    h.send("k", 2, 9_999)
    h.send("k", 3, 12_000)  # now 10_000 + 2_000 <= 12_000: closed
    h.send("k", 4, 9_999)
    assert ("k", 0, 10 * S, 1) in h.result_tuples()
    assert [f.value for f in h.late] == [4]
    assert h.late[0].timestamp == 9_999
    assert h.context.metrics["late_records_dropped"] == 1


def test_final_emits_each_window_once_when_end_plus_grace_is_reached() -> None:
    h = harness(windows.tumbling(10 * S, grace=2 * S), final=True)
    h.send("a", 1, 1_000)
    h.send("b", 1, 9_000)
    h.send("a", 1, 11_999)
    assert h.results == []
    h.send("a", 1, 12_000)
    assert sorted(h.result_tuples()) == [("a", 0, 10 * S, 1), ("b", 0, 10 * S, 1)]
    h.send("a", 1, 30_000)
    assert h.result_tuples()[-1] == ("a", 10 * S, 20 * S, 2)
    assert len(h.results) == 3


def test_result_message_is_keyed_by_record_key_and_stamped_at_window_end_minus_one() -> None:
    h = harness(windows.tumbling(10 * S))
    h.send("/home", {"user": "u1"}, 3_000)
    (out,) = h.results
    assert out.key == "/home"
    assert out.value == WindowResult("/home", 0, 10 * S, 1)
    assert out.timestamp == 10 * S - 1


def test_hopping_record_late_for_some_windows_updates_the_open_ones_and_is_not_late() -> None:
    h = harness(windows.hopping(10 * S, 5 * S))
    h.send("k", 1, 12_000)  # stream time 12s: [0, 10s) closed, [5s, 15s) open
    h.send("k", 2, 7_000)
    assert h.result_tuples()[-1] == ("k", 5 * S, 15 * S, 2)
    assert h.late == []


def test_update_mode_emits_every_change() -> None:
    h = harness(windows.hopping(60 * S, 10 * S), agg.mean("amount"))
    h.send("/p", {"amount": 2}, 65_000)
    h.send("/p", {"amount": 4}, 66_000)
    assert len(h.results) == 12
    assert h.result_tuples()[-6:] == [("/p", s, s + 60 * S, 3.0) for s in range(60 * S, 0, -10 * S)]


@pytest.mark.parametrize("store", ["dict", "memory", "rocksdb"])
def test_final_window_is_not_emitted_twice_across_a_restart(store: str, tmp_path: Path) -> None:
    plan = windows.tumbling(10 * S).aggregate_plan(agg.count(), store_name="w", emit_final=True)
    h = Harness(plan, store=store, state_dir=tmp_path)
    h.send("k", 1, 1_000)
    h.send("k", 1, 15_000)  # closes [0, 10s)
    h.restart()
    h.send("k", 1, 16_000)
    h.send("k", 1, 25_000)  # closes [10s, 20s), a window the new processor never opened
    assert h.result_tuples() == [("k", 0, 10 * S, 1), ("k", 10 * S, 20 * S, 2)]
    assert h.window_keys("w") == [("k", 20 * S, 30 * S)]
    h.close()


def test_idle_timeout_closes_open_windows_and_later_records_for_them_are_late() -> None:
    h = harness(windows.tumbling(10 * S, idle_timeout=timedelta(seconds=30)), final=True)
    h.send("k", 1, 1_000)
    h.context.fire_wall_clock(100_000)  # first tick: input was seen
    h.context.fire_wall_clock(120_000)
    assert h.results == []
    h.context.fire_wall_clock(130_000)  # 30 s without input
    assert h.result_tuples() == [("k", 0, 10 * S, 1)]
    h.send("k", 2, 2_000)
    assert [f.value for f in h.late] == [2]


# -- sessions ----------------------------------------------------------------------


def test_records_exactly_gap_apart_share_a_session_and_gap_plus_one_do_not() -> None:
    h = harness(windows.session(10, grace=5))
    h.send_all([("k", 1, 100), ("k", 1, 110), ("k", 1, 121)])
    assert h.result_tuples() == [("k", 100, 101, 1), ("k", 100, 111, 2), ("k", 121, 122, 1)]


def test_out_of_order_record_bridges_two_sessions_into_one() -> None:
    h = harness(windows.session(10, grace=20), agg.collect())
    h.send_all([("k", "a", 100), ("k", "c", 120), ("k", "b", 110)])
    assert h.result_tuples()[-1] == ("k", 100, 121, ["a", "c", "b"])
    assert list(h.stores["w"].windows) == [("k", 100, 121)]


def test_session_closes_at_end_plus_gap_plus_grace() -> None:
    h = harness(windows.session(10, grace=5), final=True)
    h.send("k", 1, 100)  # session [100, 101): closes at 101 + 10 + 5 = 116
    h.send("x", 1, 115)
    assert h.results == []
    h.send("x", 1, 116)
    assert h.result_tuples() == [("k", 100, 101, 1)]


def test_closed_session_is_never_extended() -> None:
    h = harness(windows.session(10), agg.collect())
    h.send_all([("k", "a", 100), ("x", "-", 200), ("k", "b", 195)])
    # [100, 101) closed at stream time 111; "b" at 195 starts its own session
    assert h.result_tuples()[-1] == ("k", 195, 196, ["b"])
    assert h.late == []


# -- sliding -----------------------------------------------------------------------


def test_sliding_windows_match_the_kafka_streams_javadoc_example() -> None:
    h = harness(windows.sliding(5 * S), agg.collect(), final=True)
    h.send_all([("A", 1, 8_000), ("A", 2, 9_200), ("A", 3, 12_400), ("B", 0, 100_000)])
    assert sorted(h.result_tuples()) == [
        ("A", 3_000, 8_001, [1]),
        ("A", 4_200, 9_201, [1, 2]),
        ("A", 7_400, 12_401, [1, 2, 3]),
        ("A", 8_001, 13_002, [2, 3]),
        ("A", 9_201, 14_202, [3]),
    ]


def test_sliding_records_exactly_difference_apart_share_a_window() -> None:
    h = harness(windows.sliding(100))
    h.send_all([("k", 1, 1_000), ("k", 1, 1_100)])
    assert ("k", 1_000, 1_101, 2) in h.result_tuples()
    h2 = harness(windows.sliding(100))
    h2.send_all([("k", 1, 1_000), ("k", 1, 1_101)])
    assert all(count == 1 for *_w, count in h2.result_tuples())


def test_sliding_record_is_late_when_its_last_window_closed() -> None:
    h = harness(windows.sliding(100, grace=10))
    h.send("k", 1, 1_000)
    h.send("x", 1, 1_110)  # window [999, 1_100) of a record at 999 closes at 1_110
    h.send("k", 2, 999)
    h.send("k", 3, 1_000)  # [1_000, 1_101) is still open
    assert [f.value for f in h.late] == [2]


def test_sliding_late_record_opens_the_right_window_of_a_record_whose_windows_closed() -> None:
    # Found by the reference test (then at 0, 43, 1, 44): record 1's own window
    # [78, 101) closes at 121, but its right window [101, 124) stays open until
    # 144; a late record at 101 falls in it. Final mode forgot record 1 at 143
    # and so never opened that window.
    h = harness(windows.sliding(22, grace=20), agg.collect(), final=True)
    h.send_all([("a", 1, 100), ("a", 2, 143), ("a", 3, 101), ("a", 4, 144)])
    assert sorted(h.result_tuples()) == [("a", 78, 101, [1]), ("a", 101, 124, [3])]
    assert h.late == []


def test_sliding_windows_near_the_epoch_start_at_it_as_in_kafka_streams() -> None:
    # Kafka Streams gives a record at t < difference the window [0, difference]
    # rather than [t - difference, t]; all such records share it.
    h = harness(windows.sliding(5 * S), agg.collect(), final=True)
    h.send_all([("A", 1, 1_000), ("A", 2, 3_000), ("A", 3, -1), ("B", 0, 100_000)])
    assert sorted(h.result_tuples()) == [
        ("A", 0, 5_001, [1, 2]),
        ("A", 1_001, 6_002, [2]),  # the right window of the record at 1000
    ]
    assert [f.value for f in h.late] == [3]  # a negative timestamp is in no window
