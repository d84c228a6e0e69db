"""A worker that stops waiting for a lagging partition says so: a warning naming
the partition, and the ``order_waits_expired`` counter. Records of the lagging
partition may come late afterwards, and a user seeing late drops needs to know
why. One that holds too many records back pauses the partitions holding them
instead of handing them on, and says so too (the ``order_held_limit_reached``
counter).

Partition 1 of the page-views app's clicks is made to report records it never
delivers (a broker slow to serve them looks the same to the worker)."""

from __future__ import annotations

import logging
import runpy
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamkit.log import Broker
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.metrics import ORDER_HELD_LIMIT_REACHED, ORDER_WAITS_EXPIRED
from tests.runtime.logs import json_values, read_all
from tests.runtime.test_backlog_order import PAGE_VIEWS, START_MS, page_views_topics
from tests.runtime.threads import WrappingBroker


class LaggingPartition:
    """A consumer whose partition ``partition`` of ``topic`` always has 5 records
    left to read, however many it has."""

    def __init__(self, consumer: Any, topic: str, partition: int) -> None:
        self._consumer, self._lagging = consumer, (topic, partition)

    def fetch_lag(self, tp: Any) -> int | None:
        if (tp[0], tp[1]) == self._lagging:
            return 5
        return self._consumer.fetch_lag(tp)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


def run_with_partition_1_lagging(broker: Broker, tmp_path: Path, label: str,
                                 **ordering: int) -> tuple[dict[str, int], int, str]:
    """Run the page-views app over 300 clicks (30 s), all in partition 0, with
    partition 1 reporting records it never delivers, and the worker's
    ``ordering`` options; its counters, the clicks the windows it closed
    counted, and the clicks topic."""
    names = page_views_topics(broker, label)
    producer = broker.producer()
    for i in range(300):
        ts = START_MS + i * 100
        producer.send(names["clicks"], orjson.dumps({"page": "/a", "ts": ts}), None, 0, ts)
    producer.flush()
    producer.close()
    wrapped = WrappingBroker(broker, consumer=lambda c: LaggingPartition(c, names["clicks"], 1))
    app = runpy.run_path(str(PAGE_VIEWS))["build"](**names, commit_interval_ms=200)
    options = WorkerOptions(state_dir=tmp_path / "state", commit_interval_ms=200, **ordering)
    metrics = Worker(app, wrapped, options).run(threading.Event(), until_idle_s=3.0)
    counted = sum(v["count"] for v in json_values(read_all(broker, names["page_views"])))  # type: ignore[index]
    return metrics, counted, names["clicks"]


def test_a_partition_waited_on_in_vain_is_reported(
        broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="streamkit"):
        metrics, counted, clicks = run_with_partition_1_lagging(broker, tmp_path, "waited",
                                                                order_wait_ms=300)

    # The clicks were held for partition 1, then handed on: the first windows close.
    assert counted == 200
    assert metrics[ORDER_WAITS_EXPIRED] >= 1
    warnings = [r.getMessage() for r in caplog.records if "waited 300 ms in vain" in r.getMessage()]
    assert warnings, [r.getMessage() for r in caplog.records]
    assert f"records of {clicks}[1] (lag 5)" in warnings[0]


def test_holding_too_many_records_back_is_reported(
        broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With room for 8 held records, partition 0 is paused holding the clicks
    that wait for partition 1: they are handed on when the order wait ends,
    not before, so it ends once."""
    with caplog.at_level(logging.INFO, logger="streamkit"):
        metrics, counted, _ = run_with_partition_1_lagging(
            broker, tmp_path, "overflow", order_wait_ms=2_000, max_held_records=8)

    assert counted == 200
    assert metrics[ORDER_WAITS_EXPIRED] == 1
    assert metrics[ORDER_HELD_LIMIT_REACHED] >= 1
    said = [r.getMessage() for r in caplog.records
            if "held more than 8 records back" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in caplog.records]  # then only counted
    assert "pausing every partition of it that holds any" in said[0]
