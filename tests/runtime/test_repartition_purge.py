"""A worker purges the repartition topics it reads: once it has committed past
their records, it deletes them (``Admin.delete_records``), so topics kept with
``retention.ms=-1`` do not grow without bound. User topics are never purged, and
a purge that fails only logs a warning.

The repartition topic is created beforehand with a tiny ``segment.ms``: the
embedded log deletes whole closed segments only, and this makes it roll one per
checkpoint."""

from __future__ import annotations

import logging
import runpy
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Self

import pytest

from streamkit.log import Broker, BrokerError, TopicPartition
from streamkit.runtime import purge
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.purge import RepartitionPurger
from tests.contract.polling import wait_for
from tests.runtime.logs import json_values, produce_json, read_all, unique
from tests.runtime.threads import run_worker

WORDCOUNT = Path(__file__).resolve().parents[2] / "examples" / "wordcount.py"
LINES = [{"text": "the quick brown fox"}, {"text": "The lazy dog"}, {"text": "the end"}]
ROUNDS = 6  # batches of input, a few checkpoints apart
PARTITIONS = 2
WAIT_S = 90.0


class _Running:
    """The word-count app on an in-process worker thread that commits every 200 ms
    and purges after every commit."""

    def __init__(self, broker: Broker, tmp_path: Path, *, exactly_once: bool = False) -> None:
        self.names = {"name": unique("purge"), "lines": unique("lines"),
                      "word_counts": unique("counts")}
        self.repartition = f"{self.names['name']}-by-word-repartition"
        admin = broker.admin()
        admin.create_topic(self.names["lines"], PARTITIONS)
        admin.create_topic(self.repartition, PARTITIONS, {"retention.ms": "-1", "segment.ms": "100"})
        admin.close()
        app = runpy.run_path(str(WORDCOUNT))["build"](**self.names)
        options = WorkerOptions(exactly_once=exactly_once, state_dir=tmp_path / "state",
                                commit_interval_ms=200, repartition_purge_interval_s=0)
        self.worker = Worker(app, broker, options)
        self.broker = broker
        self.stop = threading.Event()
        self.failures: list[BaseException] = []

    def __enter__(self) -> Self:
        self.thread = run_worker(self.worker, self.failures, self.stop)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "the worker did not stop"
        assert not self.failures, self.failures

    def feed_and_wait_for_counts(self) -> None:
        for _ in range(ROUNDS):
            produce_json(self.broker, self.names["lines"], LINES)
            time.sleep(0.3)
        self.wait_for(lambda: len(read_all(self.broker, self.names["word_counts"])) >= ROUNDS * 9,
                      "every word to be counted")

    def wait_for(self, condition: Any, what: str) -> None:
        wait_for(condition, what, WAIT_S, self._no_failure_then_sleep)

    def _no_failure_then_sleep(self) -> None:
        assert not self.failures, self.failures
        time.sleep(0.2)

    def partitions(self, topic: str) -> list[TopicPartition]:
        return [TopicPartition(topic, p) for p in range(PARTITIONS)]

    def counts_are_right(self) -> None:
        outputs = json_values(read_all(self.broker, self.names["word_counts"]))
        expected = Counter(" ".join(line["text"] for line in LINES).lower().split())
        assert len(outputs) == ROUNDS * sum(expected.values())  # no update lost or doubled
        last = {o["word"]: o["count"] for o in outputs}  # type: ignore[index]
        assert last == {word: ROUNDS * n for word, n in expected.items()}


@pytest.mark.parametrize("guarantee", ["at-least-once", "exactly-once"])
def test_committed_repartition_records_are_purged_and_outputs_stay_right(
        broker: Broker, tmp_path: Path, guarantee: str) -> None:
    with _Running(broker, tmp_path, exactly_once=guarantee == "exactly-once") as running:
        running.feed_and_wait_for_counts()
        admin = broker.admin()
        repartition = running.partitions(running.repartition)
        running.wait_for(lambda: all(b > 0 for b in admin.begin_offsets(repartition).values()),
                         "the repartition topic's begin offsets to advance")
        begins = admin.begin_offsets(repartition)
        committed = admin.group_offsets(running.names["name"])
        assert all(begins[tp] <= committed[tp] for tp in repartition)  # only what was read
        lines = running.partitions(running.names["lines"])
        assert admin.begin_offsets(lines) == {tp: 0 for tp in lines}  # user topics: never
        admin.close()
    running.counts_are_right()


class _PurgeFails:
    """``broker``, except that its admins fail every ``delete_records``."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self.attempts = 0

    def admin(self) -> Any:
        return _FailingDeletes(self._broker.admin(), self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)


class _FailingDeletes:
    def __init__(self, admin: Any, broker: _PurgeFails) -> None:
        self._admin = admin
        self._broker = broker

    def delete_records(self, offsets: Any) -> None:
        self._broker.attempts += 1
        raise BrokerError("injected: delete_records failed")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._admin, name)


def test_a_failing_purge_only_logs_a_warning(broker: Broker, tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    failing = _PurgeFails(broker)
    caplog.set_level(logging.WARNING, logger="streamkit.purge")
    with _Running(failing, tmp_path) as running:  # type: ignore[arg-type]
        running.feed_and_wait_for_counts()
        running.wait_for(lambda: failing.attempts > 0, "a purge to be attempted")
    running.counts_are_right()
    assert "injected: delete_records failed" in caplog.text
    admin = broker.admin()
    assert admin.begin_offsets(running.partitions(running.repartition)) == {
        tp: 0 for tp in running.partitions(running.repartition)}
    admin.close()


class _RecordingAdmin:
    """A broker whose admin only records the deletions asked of it."""

    def __init__(self) -> None:
        self.deleted: list[dict[TopicPartition, int]] = []

    def admin(self) -> _RecordingAdmin:
        return self

    def delete_records(self, offsets: dict[TopicPartition, int]) -> None:
        self.deleted.append(dict(offsets))

    def close(self) -> None:
        pass


def test_only_repartition_topics_are_purged_at_most_once_per_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(purge.time, "monotonic", lambda: now[0])
    recording = _RecordingAdmin()
    purger = RepartitionPurger(recording, ["app-by-repartition"], interval_s=30.0)  # type: ignore[arg-type]
    repartition, user = TopicPartition("app-by-repartition", 0), TopicPartition("clicks", 0)

    def commit(offset: int, after_s: float) -> None:
        now[0] += after_s
        purger.after_commit({repartition: offset, user: 100})
        purger.close()  # wait for the purge thread

    commit(5, after_s=10)  # the first interval has not passed
    commit(5, after_s=20)
    commit(9, after_s=10)  # too soon after the last purge
    commit(9, after_s=30)
    commit(9, after_s=30)  # nothing new committed
    assert recording.deleted == [{repartition: 5}, {repartition: 9}]
