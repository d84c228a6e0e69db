"""A worker merging partitions by event time rides out broker pauses without
making records late.

The page-views app re-keys a backlog of 240,000 clicks (each partition's written
in turn, so consumers return them in long runs per partition, see
tests/runtime/test_backlog_order.py) and counts them in 10 s windows. While it
reads, the broker is paused four times for 1.5 s (commits are 10 s apart, so the
worker goes on reading what was prefetched). A partition whose next fetch was
in flight then delivers nothing while the others' prefetched records keep
coming. With the old default wait of 500 ms (``order_wait_ms``), the worker
gave up on such a partition in 2 runs of 3, and 10,000 and 24,500 clicks came
late; with the default (5 s), none did in 3 runs.

It pauses a broker of its own, so that tests running beside it (``pytest -n``)
do not stall on the shared one."""

from __future__ import annotations

import runpy
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from streamkit.log import Broker, open_broker
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.metrics import ORDER_WAITS_EXPIRED
from tests.contract.polling import wait_for
from tests.faults.broker_pause import listening_pid, pause_repeatedly
from tests.local_kafka import local_kafka
from tests.runtime.logs import json_values, read_all
from tests.runtime.test_backlog_order import PAGE_VIEWS, START_MS, page_views_topics
from tests.runtime.threads import run_worker

PARTITIONS = 4
CLICKS_PER_PARTITION = 60_000
SPACING_MS = 10  # 600 s of event time per partition


@pytest.fixture
def own_kafka(tmp_path: Path) -> Iterator[tuple[Broker, int]]:
    """A local broker for this test alone, opened, with its process id."""
    with local_kafka(tmp_path / "kafka-run") as bootstrap:
        pid = listening_pid(int(bootstrap.rsplit(":", 1)[1]))
        assert pid is not None, f"no process of this user listens at {bootstrap}"
        broker = open_broker("kafka://" + bootstrap)
        try:
            yield broker, pid
        finally:
            broker.close()


def _load_backlog(broker: Broker, topic: str) -> None:
    producer = broker.producer(linger_ms=50)
    try:
        for partition in range(PARTITIONS):
            for i in range(CLICKS_PER_PARTITION):
                ts = START_MS + i * SPACING_MS + partition
                click = {"page": f"/p/{(i + partition) % 50}", "ts": ts}
                producer.send(topic, orjson.dumps(click), None, partition, ts)
        producer.flush()
    finally:
        producer.close()


@pytest.mark.soak
@pytest.mark.kafka
def test_broker_pauses_make_no_click_late(own_kafka: tuple[Broker, int], tmp_path: Path) -> None:
    kafka_broker, pid = own_kafka
    names = page_views_topics(kafka_broker, "paused")
    _load_backlog(kafka_broker, names["clicks"])
    app = runpy.run_path(str(PAGE_VIEWS))["build"](**names, commit_interval_ms=10_000)
    options = WorkerOptions(exactly_once=True, state_dir=tmp_path / "state",
                            commit_interval_ms=10_000, order_wait_ms=app.order_wait_ms)
    worker = Worker(app, kafka_broker, options)
    failures: list[BaseException] = []
    thread = run_worker(worker, failures, until_idle_s=5.0)
    # Pause once the worker has begun reading the backlog, while it still reads
    # (commits are 10 s apart so that it goes on reading what was prefetched).
    wait_for(lambda: failures or bool(worker.registry.tasks), "the worker's tasks", 60.0)
    time.sleep(0.5)
    pause_repeatedly(pid, times=4, pause_s=1.5, between_s=1.0)
    thread.join(300)
    assert not thread.is_alive() and failures == []

    metrics = worker.final_metrics
    assert metrics.get(ORDER_WAITS_EXPIRED, 0) == 0, metrics
    assert metrics.get("late_records_dropped", 0) == 0, metrics
    assert read_all(kafka_broker, names["late"]) == []
    views = json_values(read_all(kafka_broker, names["page_views"]))
    closed_before = max(v["window_end"] for v in views)  # type: ignore[index]
    expected = Counter(START_MS + i * SPACING_MS + p < closed_before
                       for p in range(PARTITIONS) for i in range(CLICKS_PER_PARTITION))
    assert sum(v["count"] for v in views) == expected[True]  # type: ignore[index]
