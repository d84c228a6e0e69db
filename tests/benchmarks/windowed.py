"""B2, B3, W1 and W2, windowed aggregations over RocksDB state with changelogs.

* B2: re-key by page (repartition), tumbling 10 s windows with 2 s grace, count,
  one final result per window;
* B3: hopping 60 s windows every 10 s per user, mean of amount, a result on every
  update;
* W1 (ours, not in BENCHMARKS.md): session windows per user closed by 30 s of
  inactivity, count, a result on every update. No click is late (the data's
  disorder is under 2 s), so every system must write exactly one result per
  input with exactly-once, at least one with at-least-once;
* W2 (ours, not in BENCHMARKS.md): sliding windows per user (10 s difference, 2 s
  grace), count, a result for every window a click changes or opens. The grace
  covers the data's disorder, so no window a click belongs to has closed when it
  arrives: what is written depends only on each user's clicks in partition order,
  the same for every system that implements Kafka Streams' sliding windows, and
  checked (the runner computes it with the floor). Quix Streams' ``current()``
  emits only the windows that end at a click, not the right windows a click
  changes or opens, so it writes about one result per click where streamkit and
  the floor write about two; its count is recorded, not checked.

Throughput is inputs per second from the first input to the final checkpoint. The
number of outputs is recorded but not checked against a reference: which windows have
closed when the input ends depends on each partition's stream time. For B2 the
share of the inputs the written counts add up to is recorded too: the rest were
late (or in windows still open at the end), and a system that drops an input as
late does less work for it.

The floors are :mod:`tests.benchmarks.windowed_floor`'s and
:mod:`tests.benchmarks.session_floor`'s and :mod:`tests.benchmarks.sliding_floor`'s
transforms run by
:func:`tests.benchmarks.floor.run_floor`; B2 has a second one, ``floor-repartition``,
which re-keys through a topic as the frameworks do. B2's floors take their input in
event-time order across its partitions, as streamkit's worker does.
"""

from __future__ import annotations

from dataclasses import replace

import orjson

from tests.benchmarks.floor import repartition_topic, run_floor
from tests.benchmarks.measurement import CaseResult, CaseSpec, Stopwatch, peak_rss_bytes
from tests.benchmarks.passthrough import check_counts
from tests.benchmarks.session_floor import session_count
from tests.benchmarks.sliding_floor import sliding_count
from tests.benchmarks.topics import count_committed, create_topics, delete_case_topics
from tests.benchmarks.windowed_floor import hopping_mean, page_key, per_partition, tumbling_count


def run(spec: CaseSpec) -> CaseResult:
    """Measure B2, B3, W1 or W2 for ``spec.system``."""
    if spec.workload == "W1":  # one result per click: checked as B1's outputs are
        spec = replace(spec, expected_outputs=spec.events)
    if spec.workload == "W2" and spec.system == "quix":  # fewer results: see the module
        spec = replace(spec, expected_outputs=-1)
    output = spec.name
    create_topics(spec.broker_url, [output])
    try:
        clock = Stopwatch()
        if spec.system == "floor" and spec.workload == "B2":
            consumed = run_floor(spec, output, tumbling_count(), clock, merge=True)
        elif spec.system == "floor" and spec.workload == "W1":
            consumed = run_floor(spec, output, session_count(), clock)
        elif spec.system == "floor" and spec.workload == "W2":
            consumed = run_floor(spec, output, sliding_count(), clock)
        elif spec.system == "floor":
            consumed = run_floor(spec, output, hopping_mean(), clock)
        elif spec.system == "floor-repartition":  # B2 only
            create_topics(spec.broker_url, [repartition_topic(spec)])
            consumed = run_floor(spec, output, per_partition(tumbling_count), clock,
                                 rekey=page_key, merge=True)
        elif spec.system == "quix":
            from tests.benchmarks import quix_peer

            quix_run = {"B2": quix_peer.run_tumbling_count, "B3": quix_peer.run_hopping_mean,
                        "W1": quix_peer.run_session_count,
                        "W2": quix_peer.run_sliding_count}[spec.workload]
            consumed = quix_run(spec, output, clock)
        elif spec.system == "streamkit":
            from tests.benchmarks import streamkit_apps

            consumed = streamkit_apps.run_windows(spec, output, clock)
        else:
            raise ValueError(f"no {spec.system!r} implementation of {spec.workload}")
        rss = peak_rss_bytes()
        counted = 0

        def add_count(value: bytes | None) -> None:
            nonlocal counted
            counted += window_count(value)

        written = count_committed(spec.broker_url, output,
                                  add_count if spec.workload == "B2" else None)
    finally:
        delete_case_topics(spec.broker_url, spec.name)
    metrics = {"events_per_s": clock.rate(consumed)}
    if spec.workload == "B2" and consumed:
        metrics["counted_share"] = counted / consumed
    result = CaseResult(
        spec,
        metrics=metrics,
        counts={"consumed": consumed, "written": written},
        peak_rss_bytes=rss,
    )
    check_counts(result, consumed, written)
    return result


def window_count(value: bytes | None) -> int:
    """The count a B2 output carries: ``count`` in streamkit's and the floors'
    results, ``value`` in Quix's.

    >>> window_count(b'{"page": "/p/1", "start": 0, "end": 10000, "count": 3}')
    3
    >>> window_count(b'{"start": 0, "end": 10000, "value": 4}')
    4
    """
    result = orjson.loads(value or b"{}")
    return int(result["count"] if "count" in result else result["value"])
