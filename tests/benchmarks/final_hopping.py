"""Final hopping windows, state per window against state per pane, in one run.

B3's input and window (the mean amount per user, 60 s windows every 10 s) with
``.final()`` (``apps/hopping_mean.py`` with ``STREAMKIT_BENCH_EMIT=final``), streamkit
only. It is not a
workload of BENCHMARKS.md, which has no final hopping one (and so no floor or
peer for it): it measures what panes change. The per-window cases use a mean not
marked order-insensitive, as every final hopping aggregation was kept before.

    python -m tests.benchmarks.final_hopping --backends embedded,kafka --events 200000

Prints, per backend and state, the median of the repeats in inputs per second.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import uuid
from pathlib import Path

from tests.benchmarks.datasets import clickstream_dataset
from tests.benchmarks.measurement import CaseSpec
from tests.benchmarks.runner import run_case_in_child
from tests.benchmarks.topics import create_topics, delete_topics, load

STATES = {"per window": "off", "panes": "on"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="embedded,kafka")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--guarantee", default="exactly-once")
    parser.add_argument("--kafka", default=os.environ.get("STREAMKIT_KAFKA_BOOTSTRAP")
                        or Path("/tmp/streamkit-dev-kafka").read_text().strip())
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="final-hopping-"))
    run_id = uuid.uuid4().hex[:8]
    data = clickstream_dataset(args.events, 42)
    os.environ["STREAMKIT_BENCH_EMIT"] = "final"
    print("| backend | state | inputs/s (median) | outputs |")
    print("|---|---|---:|---:|")
    try:
        for backend in args.backends.split(","):
            url = f"embedded://{scratch}/log" if backend == "embedded" else f"kafka://{args.kafka}"
            topic = f"bench-{run_id}-final-hopping-clicks"
            create_topics(url, [topic])
            load(url, topic, data)
            for state, panes in STATES.items():
                os.environ["STREAMKIT_BENCH_PANES"] = panes
                rates, written = [], set()
                for repeat in range(args.repeats):
                    # Each state its own run id: case names (groups, apps) must differ.
                    spec = CaseSpec("B3", "streamkit", backend, args.guarantee, args.events, 42,
                                    url, f"{run_id}{panes}", repeat=repeat, input_topic=topic,
                                    scratch_dir=str(scratch / f"{backend}-{panes}-{repeat}"))
                    result = run_case_in_child(spec, 120 + args.events / 500)
                    if not result.ok:
                        raise SystemExit(f"{spec.label} ({state}) failed: {result.error}")
                    rates.append(result.metrics["events_per_s"])
                    written.add(result.counts["written"])
                print(f"| {backend} | {state} | {statistics.median(rates):,.0f} "
                      f"({', '.join(f'{r:,.0f}' for r in rates)}) | "
                      f"{', '.join(f'{w:,}' for w in sorted(written))} |", flush=True)
            delete_topics(url, [topic])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
