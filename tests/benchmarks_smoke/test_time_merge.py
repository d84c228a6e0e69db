"""B2's floors merge their input by event time the way streamkit's worker does."""

import doctest

from hypothesis import given
from hypothesis import strategies as st

from tests.benchmarks import time_merge
from tests.benchmarks.time_merge import TimeMerge


def test_the_docstring_examples_hold():
    assert doctest.testmod(time_merge).failed == 0


def test_a_partition_read_to_its_end_holds_nothing_back():
    merge = TimeMerge({0: 1, 1: 0, 2: 3})  # partition 1 is empty
    merge.add([(0, 0, 50, "a")])
    assert merge.release() == []  # partition 2 has shown nothing yet
    merge.add([(2, 0, 40, "b")])
    assert merge.release() == ["b"]  # partition 2 may still bring one before 50
    assert merge.first_held() == {0: 0}
    merge.add([(2, 1, 70, "c"), (2, 2, 10, "d")])  # "d" is older than its partition time
    assert merge.release() == ["a", "c", "d"]  # and keeps its place after "c"
    assert merge.first_held() == {}


@st.composite
def polls(draw):
    """Partitions' records (increasing timestamps with some disorder), cut into
    per-partition runs that are polled in a random interleaving."""
    partitions = draw(st.integers(1, 4))
    records = {p: [(p, offset, ts, (p, offset))
                   for offset, ts in enumerate(draw(st.lists(st.integers(0, 100), max_size=12)))]
               for p in range(partitions)}
    runs = [records[p][i:i + size] for p in records
            for i, size in _cuts(draw, len(records[p]))]
    order = draw(st.permutations(range(len(runs))))
    # A partition's runs must arrive in offset order: sort each partition's runs
    # into the slots the permutation gave that partition.
    slots: dict[int, list[int]] = {}
    for slot, run_index in enumerate(order):
        slots.setdefault(runs[run_index][0][0], []).append(slot)
    polled = [None] * len(runs)
    by_partition: dict[int, list] = {}
    for run in runs:
        by_partition.setdefault(run[0][0], []).append(run)
    for partition, partition_runs in by_partition.items():
        for slot, run in zip(sorted(slots[partition]), partition_runs, strict=True):
            polled[slot] = run
    return {p: len(r) for p, r in records.items()}, polled


def _cuts(draw, length):
    i = 0
    while i < length:
        size = draw(st.integers(1, length - i))
        yield i, size
        i += size


@given(polls())
def test_records_come_out_in_partition_time_order_with_each_partitions_order_kept(case):
    ends, polled = case
    merge = TimeMerge(ends)
    out = []
    for run in polled:
        merge.add(run)
        out += merge.release()
    assert sorted(out) == sorted(r[3] for run in polled for r in run)  # all, once each
    for p in ends:
        assert [offset for q, offset in out if q == p] == list(range(ends[p]))
    stamps = {r[3]: r[2] for run in polled for r in run}
    times, latest = {}, {}
    for p, offset in sorted(stamps):
        latest[p] = max(latest.get(p, -1), stamps[(p, offset)])
        times[(p, offset)] = latest[p]
    assert [times[r] for r in out] == sorted(times[r] for r in out)
