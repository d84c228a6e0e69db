"""Micro-measurement of the windowed aggregate hot paths through the operator
harness (not a test: no timing is asserted anywhere).

* B2-style: keyed by page, tumbling 10 s windows (2 s grace), count, emit final;
* B3-style: keyed by user, hopping 60 s / 10 s, mean of amount, emit on update;
* W1-style: keyed by user, sessions (30 s gap), count, emit on update;
* W2-style: keyed by user, sliding windows (10 s difference), count, emit on update;

each on the in-memory and on the RocksDB window store, with a checkpoint every
``CHECKPOINT_EVERY`` records (about one 1 s commit interval's worth). Inputs are
the benchmark's clickstream, decoded once up front (the operator sees dicts),
as one task of the benchmark's four partitions sees it: a quarter of the keys.

Run::

    python tests/operators/measure_windowed_aggregate.py            # rates, median of 3
    python tests/operators/measure_windowed_aggregate.py --profile B3 rocksdb [--sampling]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from window_harness import Harness

from operators import agg, windows
from tests.benchmarks.clickstream import iter_clickstream

CHECKPOINT_EVERY = 5_000
TASKS = 4
Records = list[tuple[Any, Any, int]]


def task_records(count: int, field: str) -> Records:
    """The first ``count`` clicks, keyed by ``field``, of one task of ``TASKS``
    (keys spread over tasks by their number, as a partitioner would)."""
    out: Records = []
    for event in iter_clickstream(count * TASKS * 2):
        value = orjson.loads(event.value)
        key = value[field]
        if int(key.rsplit("/", 1)[-1].lstrip("u")) % TASKS == 0:
            out.append((key, value, event.timestamp))
            if len(out) == count:
                break
    return out


def b2_records(count: int) -> Records:
    """Clicks re-keyed by page."""
    return task_records(count, "page")


def b3_records(count: int) -> Records:
    """Clicks keyed by user."""
    return task_records(count, "user")


def b2_harness(store: str, state_dir: Path) -> Harness:
    spec = windows.tumbling(10_000, grace=2_000)
    plan = spec.aggregate_plan(agg.count(), store_name="b2", emit_final=True)
    return Harness(plan, store=store, state_dir=state_dir)


def b3_harness(store: str, state_dir: Path) -> Harness:
    spec = windows.hopping(60_000, 10_000)
    plan = spec.aggregate_plan(agg.mean("amount"), store_name="b3", emit_final=False)
    return Harness(plan, store=store, state_dir=state_dir)


def w1_harness(store: str, state_dir: Path) -> Harness:
    plan = windows.session(30_000).aggregate_plan(agg.count(), store_name="w1", emit_final=False)
    return Harness(plan, store=store, state_dir=state_dir)


def w2_harness(store: str, state_dir: Path) -> Harness:
    plan = windows.sliding(10_000).aggregate_plan(agg.count(), store_name="w2", emit_final=False)
    return Harness(plan, store=store, state_dir=state_dir)


WORKLOADS: dict[str, tuple[Callable[[int], Records], Callable[[str, Path], Harness], int]] = {
    "B2": (b2_records, b2_harness, 300_000),
    "B3": (b3_records, b3_harness, 100_000),
    "W1": (b3_records, w1_harness, 100_000),
    "W2": (b3_records, w2_harness, 100_000),
}


def drive(harness: Harness, records: Records) -> None:
    send = harness.send
    for index, (key, value, timestamp) in enumerate(records, 1):
        send(key, value, timestamp)
        if index % CHECKPOINT_EVERY == 0:
            harness.checkpoint()
            harness.context.forwarded.clear()  # the runtime hands outputs on
    harness.checkpoint()


def run_once(workload: str, store: str, records: Records) -> float:
    """Records per CPU second for one run on a fresh store (CPU time of this
    process: the machines are shared, and wall time mostly measures the others)."""
    _, make_harness, _ = WORKLOADS[workload]
    with tempfile.TemporaryDirectory() as tmp:
        harness = make_harness(store, Path(tmp))
        started = time.process_time()
        drive(harness, records)
        elapsed = time.process_time() - started
        harness.close()
    return len(records) / elapsed


def measure(repeats: int, count: int | None, workloads: list[str]) -> None:
    for workload in workloads:
        make_records, _, default_count = WORKLOADS[workload]
        records = make_records(count or default_count)
        gc.freeze()  # the runtime holds no list of decoded inputs for the GC to walk
        rates: dict[str, list[float]] = {"memory": [], "rocksdb": []}
        for _ in range(repeats):  # A B A B ...: noise hits both alike
            for store, runs in rates.items():
                runs.append(run_once(workload, store, records))
        for store, values in rates.items():
            print(f"{workload} {store:8} {statistics.median(values):>10,.0f} records/CPU s "
                  f"(runs: {', '.join(f'{v:,.0f}' for v in values)}; {len(records):,} records)")


def profile(workload: str, store: str, count: int | None, limit: int, sampling: bool) -> None:
    """cProfile (exact call counts, inflated call costs) or, with ``sampling``,
    pyinstrument (``pip install pyinstrument``: wall time as the code runs)."""
    make_records, make_harness, default_count = WORKLOADS[workload]
    records = make_records(count or default_count)
    gc.freeze()
    with tempfile.TemporaryDirectory() as tmp:
        harness = make_harness(store, Path(tmp))
        if sampling:
            from pyinstrument import Profiler

            sampler = Profiler(interval=0.0002)
            sampler.start()
            drive(harness, records)
            sampler.stop()
            print(sampler.output_text(show_all=True))
        else:
            profiler = cProfile.Profile()
            profiler.enable()
            drive(harness, records)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(limit)
        harness.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, of {','.join(WORKLOADS)} (default all)")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--profile", nargs=2, metavar=("WORKLOAD", "STORE"))
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--sampling", action="store_true", help="profile with pyinstrument")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile[0], args.profile[1], args.count, args.limit, args.sampling)
    else:
        measure(args.repeats, args.count, args.workloads.split(","))


if __name__ == "__main__":
    main()
