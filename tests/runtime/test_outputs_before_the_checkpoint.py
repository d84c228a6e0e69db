"""Outputs reach readers soon after their input, not once per commit interval:
the worker polls its producer after each batch (on the embedded log, that is
what writes them; on Kafka, its client sends them on its own)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from streamkit import App
from streamkit.log import Broker, TopicPartition
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from tests.contract.polling import wait_for
from tests.runtime.logs import WAIT_S, json_values, produce_json, read_all, unique

NO_CHECKPOINT_MS = 3_600_000  # no checkpoint while the test runs


def test_at_least_once_outputs_are_visible_long_before_the_first_checkpoint(
        broker: Broker, tmp_path: Path) -> None:
    name = unique("early")
    inputs, outputs = f"{name}-in", f"{name}-out"
    admin = broker.admin()
    admin.create_topic(inputs, 2)
    app = App(name, commit_interval_ms=NO_CHECKPOINT_MS)
    app.stream(app.topic(inputs, value="json")).map(lambda v: {"n": v["n"] * 10}).to(
        app.topic(outputs, value="json"))
    worker = Worker(app, broker, WorkerOptions(commit_interval_ms=NO_CHECKPOINT_MS,
                                               state_dir=tmp_path / "state"))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        produce_json(broker, inputs, [{"n": n} for n in range(20)])
        def between() -> None:
            assert thread.is_alive()
            time.sleep(0.05)

        wait_for(lambda: outputs in admin.list_topics() and sum(admin.end_offsets(
            [TopicPartition(outputs, p) for p in range(2)]).values()) >= 20,
            "the outputs, held for a checkpoint that does not come", between=between)
        # Nothing was committed yet: the outputs left before any checkpoint.
        assert admin.group_offsets(name) == {}
        assert sorted(v["n"] for v in json_values(read_all(broker, outputs))) == [  # type: ignore[index]
            n * 10 for n in range(20)]
    finally:
        stop.set()
        thread.join(WAIT_S)
        admin.close()
    assert not thread.is_alive()
