"""SIGTERM stops `streamkit run` cleanly: exit 0, committed work neither lost nor
duplicated when the app is started again."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from streamkit.log import Broker, TopicPartition
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from tests.runtime.logs import json_values, produce_json, read_all, unique

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clicks_enrich.py"
COUNT = 3000


def test_sigterm_checkpoints_and_a_restart_finishes_without_duplicates(
        broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The restart's assignments and idle decision, shown if it fails (how a
    # failure on Kafka was traced to the broker's time retention deleting the
    # first run's outputs, stamped in 1970; deploy/kafka/kafka now keeps them).
    caplog.set_level(logging.INFO, logger="streamkit")
    names = {"name": unique("ce"), "clicks": unique("clicks"), "enriched": unique("enriched")}
    admin = broker.admin()
    admin.create_topic(names["clicks"], 2)
    clicks = [{"user": f"u{i}", "page": "/a/b", "amount": 1, "ts": i} for i in range(COUNT)]
    produce_json(broker, names["clicks"], clicks)
    app_file = tmp_path / "app.py"
    app_file.write_text(f"import runpy\napp = runpy.run_path({str(EXAMPLE)!r})['build'](**{names!r})\n")

    proc = subprocess.Popen(
        [sys.executable, "-m", "streamkit.cli", "run", str(app_file), "--broker", broker.url,
         "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while names["enriched"] not in admin.list_topics() or sum(admin.end_offsets(
                [TopicPartition(names["enriched"], p) for p in range(2)]).values()) == 0:
            assert time.monotonic() < deadline, "the app produced nothing within 60 s"
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert "received SIGTERM" in output

    committed = admin.group_offsets(names["name"])
    outputs_at_stop = json_values(read_all(broker, names["enriched"]))
    admin.close()
    # Graceful: everything committed was output exactly once, nothing beyond it.
    assert len(outputs_at_stop) == sum(o for tp, o in committed.items()
                                       if tp.topic == names["clicks"])

    app = __import__("runpy").run_path(str(EXAMPLE))["build"](**names)
    counters = Worker(app, broker, WorkerOptions(state_dir=tmp_path / "state")).run(
        threading.Event(), until_idle_s=2.0)
    users = Counter(v["user"] for v in json_values(read_all(broker, names["enriched"])))  # type: ignore[index]
    assert len(users) == COUNT, (
        f"restart counters {counters}; committed before it {committed}, after it "
        f"{broker.admin().group_offsets(names['name'])}")
    assert max(users.values()) == 1
