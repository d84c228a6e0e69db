"""What a restart replays from the changelogs (the "records restored" each task
logs when it starts): nothing after a clean stop (SIGTERM); after a SIGKILL only
the tail written since the store's last local commit, never the whole changelog."""

from __future__ import annotations

import time
from pathlib import Path

from streamkit.log import Broker, TopicPartition, open_broker
from streamkit.processor import TaskId
from streamkit.state.layout import changelog_topic
from streamkit.state.query import changelog_offsets
from tests.faults.apps import COUNTS_STORE, PARTITIONS
from tests.faults.checks import counts_by_key, exactly_once_problems
from tests.faults.inputs import Feeder, expected_counts, keyed_inputs, produce_values
from tests.faults.killing import FINAL_IDLE_S, JOINED
from tests.faults.processes import AppProcess, restored_counts, write_app_file
from tests.runtime.logs import unique

SEED = 404
COUNTING = 1  # the sub-topology after the repartition: the one with the store
GAVE_UP = "taking those offsets to be aborted or open transactions"


def wait_for_outputs(broker: Broker, topic: str, at_least: int, app: AppProcess,
                     timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while sum(map(len, counts_by_key(broker, topic).values())) < at_least:
        assert app.proc.poll() is None, app.tail()
        assert time.monotonic() < deadline, f"fewer than {at_least} outputs:\n{app.tail()}"
        time.sleep(0.5)


def test_clean_stop_replays_nothing_and_a_crash_replays_only_the_tail(
        broker: Broker, tmp_path: Path) -> None:
    names = {"name": unique("rst"), "inputs": unique("in"), "counts": unique("counts")}
    admin = broker.admin()
    admin.create_topic(names["inputs"], PARTITIONS)
    values = keyed_inputs(SEED, 4_000, keys=30)
    first, second = values[:1_000], values[1_000:]
    app_file = write_app_file(tmp_path, "counter", **names)
    state_root = tmp_path / "state"

    def start(label: str, until_idle_s: float | None = None) -> AppProcess:
        return AppProcess.start(app_file, broker.url, state_root, tmp_path / f"{label}.log",
                                guarantee="exactly-once", until_idle_s=until_idle_s)

    produce_values(broker, names["inputs"], first)
    app = start("first")
    try:
        app.wait_for_log(JOINED)  # topics created
        wait_for_outputs(broker, names["counts"], len(first), app)
        assert app.terminate() == 0, app.tail()
    finally:
        app.kill()

    app = start("after-clean-stop", until_idle_s=FINAL_IDLE_S)
    assert app.wait() == 0, app.tail()
    restored = restored_counts(app.output())
    assert len(restored) == 2 * PARTITIONS, app.tail()
    assert all(counts == [0] for counts in restored.values()), (
        f"a restart after SIGTERM replayed changelog records: {restored}")

    app = start("crashed")
    feeder = Feeder(broker.url, names["inputs"], second, batch=100, pause_s=0.2)
    try:
        app.wait_for_log(JOINED)
        feeder.start()
        wait_for_outputs(broker, names["counts"], len(first) + len(second) // 3, app)
    finally:
        app.kill()
    feeder.finish()

    changelogs = [TopicPartition(changelog_topic(names["name"], COUNTS_STORE), p)
                  for p in range(PARTITIONS)]
    admin.close()
    # The changelogs as the restarted app will find them. Opening the embedded log
    # rolls forward a commit that the killed app had made durable (its intent) but
    # not yet appended; the fixture's client, opened before the kill, would not
    # see that tail.
    reopened = open_broker(broker.url)
    try:
        admin = reopened.admin()
        begins, ends = admin.begin_offsets(changelogs), admin.end_offsets(changelogs)
        admin.close()
    finally:
        reopened.close()
    stored = changelog_offsets(state_root, names["name"], COUNTS_STORE)
    app = start("after-crash", until_idle_s=FINAL_IDLE_S)
    assert app.wait() == 0, app.tail()

    restored = restored_counts(app.output())
    for tp in changelogs:
        task = TaskId(COUNTING, tp.partition)
        [replayed] = restored[str(task)]
        offset = stored[task]
        assert offset is not None and begins[tp] < offset <= ends[tp], (
            f"task {task}: stored offset {offset} outside ({begins[tp]}, {ends[tp]}]")
        tail = ends[tp] - offset
        assert replayed <= tail < ends[tp] - begins[tp], (
            f"task {task} replayed {replayed} records: more than the tail {offset}..{ends[tp]}")
    assert GAVE_UP not in app.output(), (
        "restore waited for records in an aborted tail instead of skipping it:\n" + app.tail())
    problems = exactly_once_problems(counts_by_key(broker, names["counts"]),
                                     expected_counts(values))
    assert not problems, f"{len(problems)} keys wrong: {problems[:10]}"
