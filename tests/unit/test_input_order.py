"""The worker's input buffer hands records on in event-time order across
partitions, never reordering one partition's records (no broker: pure logic)."""

from __future__ import annotations

import runpy
from pathlib import Path

import orjson
from hypothesis import given
from hypothesis import strategies as st

from streamkit import App
from streamkit.log.records import Record
from streamkit.runtime.loop.input_order import InputBuffer, InputOrder, event_times, merge_groups

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def record(partition: int, offset: int, timestamp: int, topic: str = "in") -> Record:
    return Record(topic, partition, offset, timestamp, None, b"")


def lags(**by_partition: int):
    return lambda key: by_partition.get(f"p{key[1]}")


def stamps(records: list[Record]) -> list[tuple[int, int]]:
    return [(r.partition, r.timestamp) for r in records]


def test_records_of_several_partitions_go_in_time_order_once_none_lags() -> None:
    buffer = InputBuffer(max_wait_s=1.0)
    buffer.add([record(0, 0, 10), record(0, 1, 40), record(1, 0, 20), record(1, 1, 30)])

    assert stamps(buffer.release(lags(p0=0, p1=0), now=0.0)) == [(0, 10), (1, 20), (1, 30), (0, 40)]
    assert len(buffer) == 0


def test_a_partition_with_more_to_read_holds_back_later_records_of_the_others() -> None:
    buffer = InputBuffer(max_wait_s=1.0)
    buffer.add([record(0, 0, 10), record(0, 1, 50), record(1, 0, 20)])

    assert stamps(buffer.release(lags(p0=0, p1=7), now=0.0)) == [(0, 10), (1, 20)]
    assert buffer.first(("in", 0)) == record(0, 1, 50)

    buffer.add([record(1, 1, 60)])  # partition 1's own records wait for nothing
    assert stamps(buffer.release(lags(p0=0, p1=6), now=0.1)) == [(0, 50), (1, 60)]


def test_one_partitions_records_keep_their_order_even_when_time_goes_back() -> None:
    buffer = InputBuffer(max_wait_s=1.0)
    buffer.add([record(0, 0, 30), record(0, 1, 10), record(0, 2, 35), record(1, 0, 20),
                record(1, 1, 32)])

    released = buffer.release(lags(p0=0, p1=0), now=0.0)

    # Offset 1 (time 10) goes by its partition's time then (30), after offset 0.
    assert [(r.partition, r.offset) for r in released] == [(1, 0), (0, 0), (0, 1), (1, 1), (0, 2)]


def test_a_new_partition_holds_records_back_until_its_lag_is_known() -> None:
    buffer = InputBuffer(max_wait_s=1.0)
    buffer.track([("in", 0), ("in", 1)])
    buffer.add([record(0, 0, 10)])

    assert buffer.release(lags(p0=0), now=0.0) == []  # partition 1: not fetched yet
    assert stamps(buffer.release(lags(p0=0, p1=0), now=0.1)) == [(0, 10)]  # it is empty


def test_records_waiting_too_long_for_a_lagging_partition_are_released() -> None:
    buffer = InputBuffer(max_wait_s=0.5)
    buffer.add([record(0, 0, 10), record(1, 0, 5)])
    assert stamps(buffer.release(lags(p0=0, p1=3), now=0.0)) == [(1, 5)]

    assert buffer.release(lags(p0=0, p1=3), now=0.1) == []  # the wait starts
    assert buffer.release(lags(p0=0, p1=3), now=0.5) == []
    assert buffer.gave_up == []
    assert stamps(buffer.release(lags(p0=0, p1=3), now=0.6)) == [(0, 10)]
    assert buffer.gave_up == [("in", 1)]  # for the worker to report
    buffer.gave_up.clear()

    # Partition 1 is not waited for again until it delivers.
    buffer.add([record(0, 1, 20)])
    assert stamps(buffer.release(lags(p0=0, p1=3), now=0.7)) == [(0, 20)]
    buffer.add([record(1, 1, 15), record(0, 2, 30)])
    assert stamps(buffer.release(lags(p0=0, p1=3), now=0.8)) == [(1, 15)]
    assert buffer.release(lags(p0=0, p1=3), now=1.4) == []
    assert stamps(buffer.release(lags(p0=0, p1=3), now=1.9)) == [(0, 30)]  # and again
    assert buffer.gave_up == [("in", 1)]


def test_the_worker_learns_each_partition_waited_on_in_vain_once_per_wait() -> None:
    order = InputOrder({"in": (0, False)}, max_wait_s=0.5)
    assert stamps(order.release([record(0, 0, 10), record(1, 0, 5)], lags(p0=0, p1=3),
                                now=0.0)) == [(1, 5)]
    order.release([], lags(p0=0, p1=3), now=0.1)
    assert order.gave_up() == []
    assert stamps(order.release([], lags(p0=0, p1=3), now=0.6)) == [(0, 10)]

    assert order.gave_up() == [("in", 1)]
    assert order.gave_up() == []


def test_past_the_limit_every_partition_holding_records_is_paused_none_handed_on_early() -> None:
    """A group may hold 4 records; partition 2 has not been fetched yet, so it
    holds everything back. Past the limit, the partitions holding records are
    paused and only those holding none are fetched, until half are handed on."""
    buffer = InputBuffer(max_wait_s=60.0, max_held=4)
    buffer.track([("in", 2)])
    buffer.add([record(0, i, 100 + i) for i in range(5)] + [record(1, 0, 50)])
    assert buffer.release(lags(p0=0, p1=9), now=0.0) == []
    assert buffer.flow() == ([("in", 0), ("in", 1)], [])
    assert buffer.limits_reached == 1

    buffer.add([record(2, 0, 60)])  # partition 1 (time 50) now holds back the rest
    assert stamps(buffer.release(lags(p0=0, p1=9, p2=0), now=0.1)) == [(1, 50)]
    assert buffer.flow() == ([("in", 2)], [("in", 1)])  # 6 held: still over

    buffer.add([record(1, 1, 120)])
    assert stamps(buffer.release(lags(p0=0, p1=0, p2=0), now=0.2)) == [
        (2, 60), (0, 100), (0, 101), (0, 102), (0, 103), (0, 104), (1, 120)]
    assert buffer.flow() == ([], [("in", 2), ("in", 0)])
    assert buffer.limits_reached == 1  # once per time over


def test_dropped_partitions_are_forgotten() -> None:
    buffer = InputBuffer(max_wait_s=1.0)
    buffer.add([record(0, 0, 10), record(1, 0, 20)])

    buffer.drop([("in", 1)])

    assert len(buffer) == 1
    assert buffer.first(("in", 1)) is None
    assert stamps(buffer.release(lags(p0=0), now=0.0)) == [(0, 10)]


def test_a_partition_holding_too_many_records_is_paused_until_half_are_handed_on() -> None:
    buffer = InputBuffer(max_wait_s=60.0, pause_above=4)
    buffer.add([record(0, i, 100 + i) for i in range(6)] + [record(1, 0, 50)])

    # Partition 1 (time 50) has more to read: partition 0's records wait for it.
    assert stamps(buffer.release(lags(p0=3, p1=9), now=0.0)) == [(1, 50)]
    assert buffer.flow() == ([("in", 0)], [])
    assert buffer.flow() == ([], [])  # told once

    buffer.add([record(1, 1, 101)])  # partition 1 catches up to 101
    assert stamps(buffer.release(lags(p0=3, p1=9), now=0.1)) == [(0, 100), (0, 101), (1, 101)]
    assert buffer.flow() == ([], [])  # 4 held: more than half of 4
    buffer.add([record(1, 2, 103)])
    assert stamps(buffer.release(lags(p0=3, p1=9), now=0.2)) == [(0, 102), (0, 103), (1, 103)]
    assert buffer.held(("in", 0)) == 2
    assert buffer.flow() == ([], [("in", 0)])


def test_dropping_or_clearing_paused_partitions_returns_them_to_resume() -> None:
    buffer = InputBuffer(max_wait_s=60.0, pause_above=1)
    buffer.track([("in", 2)])  # never fetched: holds everything back
    buffer.add([record(0, 0, 10), record(0, 1, 11), record(1, 0, 12), record(1, 1, 13)])
    assert buffer.release(lags(p0=0, p1=0), now=0.0) == []
    assert buffer.flow() == ([("in", 0), ("in", 1)], [])

    assert buffer.drop([("in", 1), ("in", 2)]) == [("in", 1)]
    assert buffer.clear() == [("in", 0)]
    assert len(buffer) == 0

    order = InputOrder({"in": (0, False)}, max_wait_s=60.0, pause_above=1)
    order.track([("in", 2)])
    assert order.release([record(0, 0, 10), record(0, 1, 11)], lags(p0=0), now=0.0) == []
    assert order.flow() == ([("in", 0)], [])
    assert order.clear() == [("in", 0)]


partition_times = st.lists(st.integers(0, 1_000), min_size=0, max_size=40)


def assert_merged_by_partition_time(partitions: list[list[Record]], out: list[Record]) -> None:
    """``out`` holds every partition's records in offset order, merged by partition time."""
    for p, records in enumerate(partitions):
        assert [r for r in out if r.partition == p] == records
    latest: dict[int, int] = {}
    released_times = []
    for r in out:
        latest[r.partition] = max(latest.get(r.partition, -1), r.timestamp)
        released_times.append(latest[r.partition])
    assert released_times == sorted(released_times)


@given(st.lists(partition_times, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_fetched_in_any_runs_records_come_out_merged_by_partition_time(
        times: list[list[int]], random) -> None:
    partitions = [[record(p, o, t) for o, t in enumerate(ts)] for p, ts in enumerate(times)]
    fetched = [0] * len(partitions)
    buffer = InputBuffer(max_wait_s=60.0)
    buffer.track([("in", p) for p in range(len(partitions))])
    out: list[Record] = []

    def lag(key: tuple[str, int]) -> int:
        return len(partitions[key[1]]) - fetched[key[1]]

    while any(lag(("in", p)) for p in range(len(partitions))) or len(buffer):
        p = random.randrange(len(partitions))
        run = random.randint(0, 10)
        buffer.add(partitions[p][fetched[p]:fetched[p] + run])
        fetched[p] = min(len(partitions[p]), fetched[p] + run)
        out += buffer.release(lag, now=0.0)

    assert_merged_by_partition_time(partitions, out)


def test_merge_groups_cover_what_feeds_a_repartition_and_each_task_of_a_join() -> None:
    page_views = runpy.run_path(str(EXAMPLES / "page_views.py"))["build"]()
    # group_by: every clicks partition feeds every repartition partition; the
    # repartition topic itself is read one partition per task.
    assert merge_groups(page_views.topology.subtopologies()) == {"clicks": (0, False)}

    joined = App("joined")
    customers = joined.table(joined.topic("customers"))
    joined.stream(joined.topic("orders")).join_table(customers).to(joined.topic("out"))
    assert merge_groups(joined.topology.subtopologies()) == {
        "customers": (0, True), "orders": (0, True)}  # partition n of each, per task

    plain = App("plain")
    plain.stream(plain.topic("in")).map(str.upper).to(plain.topic("out"))
    assert merge_groups(plain.topology.subtopologies()) == {}


def test_records_are_merged_within_their_group_only() -> None:
    order = InputOrder({"orders": (0, True), "customers": (0, True)}, max_wait_s=1.0)
    order.track([(topic, p) for topic in ("orders", "customers", "other") for p in (0, 1)])
    polled = [record(0, 0, 50, "orders"), record(1, 0, 10, "orders"),
              record(0, 0, 40, "customers"), record(0, 0, 99, "other")]

    lag = {("customers", 0): 0, ("customers", 1): 4}
    released = order.release(polled, lambda key: lag.get(key, 0), now=0.0)

    # "other" passes straight on; task 0 merges its two partitions; task 1's
    # orders wait for its customers partition, which has more to read.
    assert [(r.topic, r.timestamp) for r in released] == [
        ("other", 99), ("customers", 40), ("orders", 50)]
    assert len(order) == 1
    assert order.first(("orders", 1)) == record(1, 0, 10, "orders")


def test_records_read_with_an_extractor_merge_by_the_time_it_extracts() -> None:
    subtopologies = runpy.run_path(str(EXAMPLES / "page_views.py"))["build"]().topology \
        .subtopologies()
    times = event_times(subtopologies)
    # The repartition topic's records carry their event time as their timestamp.
    assert set(times) == {"clicks"}

    def click(partition: int, offset: int, ts: int) -> Record:
        """Written at 5_000 + offset, whatever its event time."""
        return Record("clicks", partition, offset, 5_000 + offset, None,
                      orjson.dumps({"page": "/", "ts": ts}))

    assert times["clicks"](click(0, 0, 1_234)) == 1_234
    # Undecodable: ordered by its log time; its task dead-letters it.
    assert times["clicks"](Record("clicks", 0, 0, 77, None, b"not json")) == 77
    order = InputOrder(merge_groups(subtopologies), max_wait_s=1.0, times=times)
    order.track([("clicks", 0), ("clicks", 1)])
    polled = [click(0, 0, 30_000), click(0, 1, 31_000), click(1, 0, 1_000), click(1, 1, 2_000)]

    released = order.release(polled, lambda key: 0, now=0.0)

    # By log time it would be 30_000, 1_000, 31_000, 2_000: the first two windows late.
    assert [orjson.loads(r.value)["ts"] for r in released] == [1_000, 2_000, 30_000, 31_000]


def fetch_honouring_pauses(partitions: list[list[Record]], buffer: InputBuffer, random,
                           most_run: int, most_held: int, most_in_group: int) -> list[Record]:
    """Feed ``partitions`` to ``buffer`` in random runs of at most ``most_run``
    records, as a consumer would: a paused partition is not fetched. Checks that
    the loop never stalls (a paused partition that holds everything back has all
    its own records handed on), that no partition holds more than ``most_held``
    and the group no more than ``most_in_group``; returns what was released."""
    fetched = [0] * len(partitions)
    paused: set[int] = set()
    buffer.track([("in", p) for p in range(len(partitions))])
    out: list[Record] = []

    def lag(key: tuple[str, int]) -> int:
        return len(partitions[key[1]]) - fetched[key[1]]

    for _ in range(10_000):
        if not (any(lag(("in", p)) for p in range(len(partitions))) or len(buffer)):
            break
        fetchable = [p for p in range(len(partitions)) if p not in paused]
        if fetchable:
            p = random.choice(fetchable)
            run = random.randint(0, most_run)
            buffer.add(partitions[p][fetched[p]:fetched[p] + run])
            fetched[p] = min(len(partitions[p]), fetched[p] + run)
        out += buffer.release(lag, now=0.0)
        pause, resume = buffer.flow()
        assert not paused & {k[1] for k in pause}
        assert {k[1] for k in resume} <= paused
        paused |= {k[1] for k in pause}
        paused -= {k[1] for k in resume}
        for p in range(len(partitions)):
            assert buffer.held(("in", p)) <= most_held
        assert len(buffer) <= most_in_group
    else:
        raise AssertionError(f"stalled: paused {paused}, {len(buffer)} held")
    return out


@given(st.lists(partition_times, min_size=1, max_size=4), st.integers(1, 8),
       st.randoms(use_true_random=False))
def test_with_partitions_paused_records_still_merge_and_no_partition_holds_too_many(
        times: list[list[int]], pause_above: int, random) -> None:
    partitions = [[record(p, o, t) for o, t in enumerate(ts)] for p, ts in enumerate(times)]
    buffer = InputBuffer(max_wait_s=60.0, pause_above=pause_above)
    most_run = 10
    out = fetch_honouring_pauses(partitions, buffer, random, most_run,
                                 pause_above + most_run, 4 * (pause_above + most_run))
    assert_merged_by_partition_time(partitions, out)


@given(st.lists(partition_times, min_size=1, max_size=10), st.integers(1, 12),
       st.integers(1, 60), st.randoms(use_true_random=False))
def test_a_group_never_holds_much_more_than_its_limit_nor_hands_anything_on_early(
        times: list[list[int]], most_run: int, max_held: int, random) -> None:
    """Whatever the limit and the runs fetched, a group of ``n`` partitions
    holds at most its limit and one run per partition, and still merges every
    record by partition time: none is handed on before a partition that may
    precede it has caught up."""
    partitions = [[record(p, o, t) for o, t in enumerate(ts)] for p, ts in enumerate(times)]
    n = len(partitions)
    buffer = InputBuffer(max_wait_s=60.0, max_held=max_held, pause_above=1_000_000)
    out = fetch_honouring_pauses(partitions, buffer, random, most_run,
                                 max_held + most_run, max_held + n * most_run)
    assert_merged_by_partition_time(partitions, out)


@given(st.lists(partition_times, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_a_group_of_many_partitions_pauses_each_at_its_share_before_the_limit(
        times: list[list[int]], random) -> None:
    """Each of ``n`` partitions is paused at its share of ``max_held``, so a
    group that delivers less than ``max_held / n**2`` records per fetch never
    reaches the limit, and never pauses them all."""
    partitions = [[record(p, o, t) for o, t in enumerate(ts)] for p, ts in enumerate(times)]
    n, most_run = len(partitions), 3
    max_held = n * n * most_run
    buffer = InputBuffer(max_wait_s=60.0, max_held=max_held, pause_above=1_000_000)
    out = fetch_honouring_pauses(partitions, buffer, random, most_run,
                                 max_held // n + most_run, max_held)
    assert buffer.limits_reached == 0
    assert_merged_by_partition_time(partitions, out)


def test_past_their_shares_of_the_limit_partitions_are_paused_not_handed_on_early() -> None:
    """Eight partitions and a limit of 80 held records: each is paused past 10,
    far below ``pause_above``. One that has delivered nothing holds the others
    back; its record, older than theirs, then still comes first."""
    buffer = InputBuffer(max_wait_s=60.0, max_held=80, pause_above=25)
    buffer.track([("in", p) for p in range(8)])
    lag = lags(p0=1, **{f"p{p}": 100 for p in range(1, 8)})
    offsets = dict.fromkeys(range(1, 8), 0)
    paused: set[int] = set()
    while len(paused) < 7:  # one record per fetch, each unpaused partition in turn
        for p in sorted(set(offsets) - paused):
            buffer.add([record(p, offsets[p], 100 + offsets[p])])
            offsets[p] += 1
            assert buffer.release(lag, now=0.0) == []
            paused |= {key[1] for key in buffer.flow()[0]}

    assert offsets == dict.fromkeys(range(1, 8), 11)
    assert len(buffer) == 77
    assert buffer.limits_reached == 0

    buffer.add([record(0, 0, 50)])
    released = buffer.release(lags(p0=0, **{f"p{p}": 0 for p in range(1, 8)}), now=0.0)
    assert stamps(released)[0] == (0, 50)
    assert len(released) == 78


def test_the_worker_learns_how_often_a_group_held_too_many() -> None:
    order = InputOrder({"in": (0, False)}, max_wait_s=60.0, max_held=4)
    polled = [record(0, i, 100 + i) for i in range(4)] + [record(1, 0, 50)]

    order.release(polled, lags(p0=0, p1=9), now=0.0)
    assert order.limits_reached() == 0  # 4 held: at the limit
    order.release([record(0, 4, 104)], lags(p0=0, p1=9), now=0.1)
    assert order.flow() == ([("in", 0)], [])

    assert order.limits_reached() == 1
    assert order.limits_reached() == 0
