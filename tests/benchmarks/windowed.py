"""B2 and B3, windowed aggregations over RocksDB state with changelogs.

* B2: re-key by page (repartition), tumbling 10 s windows with 2 s grace, count,
  one final result per window;
* B3: hopping 60 s windows every 10 s per user, mean of amount, a result on every
  update.

Throughput is inputs per second from the first input to the final checkpoint. The
number of outputs is recorded but not checked against a reference: which windows have
closed when the input ends depends on each partition's stream time.

The floors are :mod:`tests.benchmarks.windowed_floor`'s transforms run by
:func:`tests.benchmarks.floor.run_floor`; B2 has a second one, ``floor-repartition``,
which re-keys through a topic as the frameworks do.
"""

from __future__ import annotations

from tests.benchmarks.floor import repartition_topic, run_floor
from tests.benchmarks.measurement import CaseResult, CaseSpec, Stopwatch, peak_rss_bytes
from tests.benchmarks.passthrough import check_counts
from tests.benchmarks.topics import count_committed, create_topics, delete_case_topics
from tests.benchmarks.windowed_floor import hopping_mean, page_key, tumbling_count


def run(spec: CaseSpec) -> CaseResult:
    """Measure B2 or B3 for ``spec.system``."""
    output = spec.name
    create_topics(spec.broker_url, [output])
    try:
        clock = Stopwatch()
        if spec.system == "floor":
            transform = tumbling_count() if spec.workload == "B2" else hopping_mean()
            consumed = run_floor(spec, output, transform, clock)
        elif spec.system == "floor-repartition":  # B2 only
            create_topics(spec.broker_url, [repartition_topic(spec)])
            consumed = run_floor(spec, output, tumbling_count(), clock, rekey=page_key)
        elif spec.system == "quix":
            from tests.benchmarks import quix_peer

            quix_run = quix_peer.run_tumbling_count if spec.workload == "B2" else quix_peer.run_hopping_mean
            consumed = quix_run(spec, output, clock)
        elif spec.system == "streamkit":
            from tests.benchmarks import streamkit_apps

            consumed = streamkit_apps.run_windows(spec, output, clock)
        else:
            raise ValueError(f"no {spec.system!r} implementation of {spec.workload}")
        rss = peak_rss_bytes()
        written = count_committed(spec.broker_url, output)
    finally:
        delete_case_topics(spec.broker_url, spec.name)
    result = CaseResult(
        spec,
        metrics={"events_per_s": clock.rate(consumed)},
        counts={"consumed": consumed, "written": written},
        peak_rss_bytes=rss,
    )
    check_counts(result, consumed, written)
    return result
