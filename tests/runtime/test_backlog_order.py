"""A worker reading a backlog hands records to its tasks in event-time order
across partitions, so that re-keyed records reach the windows in time.

Each partition of the input holds 200 s of clicks, in order, written one
partition after the other: consumers return such a backlog in long runs per
partition (librdkafka a fetch's worth of one partition, the embedded log an even
share of each batch). Handed on in that order, the page-views app's repartition
topic mixes clicks seconds apart, and its 10 s windows, with 2 s of grace, drop
many as late. Held back and merged by time, none is late (with ``order_wait_ms=0``
this test fails on both backends: hundreds of clicks are dropped on the
embedded log, thousands on Kafka).
"""

from __future__ import annotations

import runpy
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamkit.log import Broker
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.metrics import ORDER_HELD_LIMIT_REACHED
from tests.runtime.logs import json_values, read_all, unique
from tests.runtime.threads import WrappingBroker

PAGE_VIEWS = Path(__file__).resolve().parents[2] / "examples" / "page_views.py"
PARTITIONS = 4  # page_views.py's clicks topic
CLICKS_PER_PARTITION = 2_000
SPACING_MS = 100  # within a partition: 200 s of event time
START_MS = 1_700_000_000_000


def page_views_topics(broker: Broker, prefix: str = "order") -> dict[str, str]:
    """Unique topic names for examples/page_views.py, its clicks topic created."""
    name = unique(prefix)
    names = {"name": name, "clicks": f"{name}-clicks", "page_views": f"{name}-views",
             "late": f"{name}-late"}
    admin = broker.admin()
    admin.create_topic(names["clicks"], PARTITIONS)
    admin.close()
    return names


def _load_backlog(broker: Broker, topic: str, lead_ms: int = 0, *,
                  stamped: bool = True) -> int:
    """Write each partition's clicks in turn; partition 0's ``lead_ms`` ahead.
    ``stamped``: each record's timestamp is its click's ``ts``; else the time
    of writing (so partition 0's records are the oldest by log time, whatever
    their clicks' times)."""
    producer = broker.producer(linger_ms=50)
    try:
        for partition in range(PARTITIONS):
            for i in range(CLICKS_PER_PARTITION):
                ts = START_MS + i * SPACING_MS + partition * 10 + (lead_ms if partition == 0 else 0)
                click = {"user": f"u{i % 7}", "page": f"/p/{(i + partition) % 5}", "ts": ts}
                producer.send(topic, orjson.dumps(click), None, partition,
                              ts if stamped else None)
        producer.flush()
    finally:
        producer.close()
    return PARTITIONS * CLICKS_PER_PARTITION


@pytest.mark.parametrize(("guarantee", "stamped"), [
    ("at-least-once", True), ("exactly-once", True), ("exactly-once", False)],
    ids=["at-least-once", "exactly-once", "log-time-of-writing"])
def test_a_re_keyed_backlog_reaches_its_windows_in_time(
        broker: Broker, tmp_path: Path, guarantee: str, stamped: bool) -> None:
    """Also when the records' log timestamps are the time they were written and
    only the app's ``timestamp=`` extractor knows the clicks' times: records
    are merged by the time the extractor gives them, as Kafka Streams does."""
    names = page_views_topics(broker)
    clicks = _load_backlog(broker, names["clicks"], stamped=stamped)
    app = runpy.run_path(str(PAGE_VIEWS))["build"](**names, commit_interval_ms=200)
    options = WorkerOptions(exactly_once=guarantee == "exactly-once",
                            state_dir=tmp_path / "state", commit_interval_ms=200)

    metrics = Worker(app, broker, options).run(threading.Event(), until_idle_s=3.0)

    assert metrics.get("late_records_dropped", 0) == 0
    assert read_all(broker, names["late"]) == []
    # Every window that closed counted all its clicks: those of the last two
    # 10 s windows (stream time stops at the last click) stay open.
    views = json_values(read_all(broker, names["page_views"]))
    counted = sum(v["count"] for v in views)  # type: ignore[index]
    closed_before = max(v["window_end"] for v in views)  # type: ignore[index]
    expected = Counter(
        START_MS + i * SPACING_MS + p * 10 < closed_before
        for p in range(PARTITIONS) for i in range(CLICKS_PER_PARTITION))
    assert counted == expected[True]
    assert clicks - counted < clicks // 4  # most windows closed


class IgnoringPauses:
    """A consumer that goes on fetching the partitions it is told to pause."""

    def __init__(self, consumer: Any) -> None:
        self._consumer = consumer

    def pause(self, _partitions: Any) -> None:
        pass

    def resume(self, _partitions: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


@pytest.mark.parametrize(("case", "poll", "group_limit"), [
    ("paused at its share", 100, 1_000),
    ("paused past the group's limit", 500, 100),
    ("pauses ignored", 100, 1_000),
])
def test_a_partition_far_ahead_is_paused_rather_than_handed_on_early(
        broker: Broker, tmp_path: Path, case: str, poll: int, group_limit: int) -> None:
    """Partition 0's clicks are 100 s ahead of the others': all of them wait for
    the others, far more than the records a group may hold here.

    - Paused past 100 records held (with polls of at most 100), no partition
      holds more than 200: partition 0 stops being fetched while the others
      catch up, and the group never reaches its limit of 1,000.
    - With a limit of 100 and polls of 500, the first poll takes the group past
      it (a partition's share is 25, but a poll brings more), and every
      partition holding records is paused until half are handed on.
    - With a consumer that ignores pausing (the control), the group goes past
      its limit of 1,000.

    In every case no click is late: nothing is handed on early."""
    names = page_views_topics(broker)
    _load_backlog(broker, names["clicks"], lead_ms=100_000)
    app = runpy.run_path(str(PAGE_VIEWS))["build"](**names, commit_interval_ms=200)
    options = WorkerOptions(state_dir=tmp_path / "state", commit_interval_ms=200,
                            max_poll_records=poll, buffered_records_per_partition=100,
                            max_held_records=group_limit)
    ignoring = case == "pauses ignored"
    worker_broker = WrappingBroker(broker, consumer=IgnoringPauses) if ignoring else broker

    metrics = Worker(app, worker_broker, options).run(threading.Event(), until_idle_s=3.0)

    assert metrics.get("late_records_dropped", 0) == 0
    assert read_all(broker, names["late"]) == []
    limits_reached = metrics.get(ORDER_HELD_LIMIT_REACHED, 0)
    if case == "paused at its share":
        assert limits_reached == 0
    else:
        assert limits_reached >= 1, "the group stayed below its limit: the case shows nothing"
