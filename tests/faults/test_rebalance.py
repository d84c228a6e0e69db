"""Two `streamkit run` processes (two hosts: separate state directories) share a
stateful app under exactly-once; one is SIGKILLed mid-run. The survivor takes its
partitions over, restores their state from the changelogs, and the outputs and
final state are exactly right."""

from __future__ import annotations

import time
from pathlib import Path

from streamkit.log import Broker
from streamkit.processor import StoreSpec
from streamkit.state.query import read_store
from tests.faults.apps import COUNTS_STORE, PARTITIONS
from tests.faults.checks import counts_by_key, exactly_once_problems
from tests.faults.inputs import Feeder, expected_counts, keyed_inputs
from tests.faults.killing import JOINED
from tests.faults.processes import AppProcess, restored_counts, write_app_file
from tests.runtime.logs import unique

SEED = 7_2024
INPUTS = 4_000
TASKS = 2 * PARTITIONS  # two sub-topologies (before and after the repartition)


def wait_for_outputs(broker: Broker, topic: str, expected: dict[str, int], survivor: AppProcess,
                     timeout_s: float = 120.0) -> dict[str, list[int]]:
    deadline = time.monotonic() + timeout_s
    while True:
        sequences = counts_by_key(broker, topic)
        if {k: max(v) for k, v in sequences.items()} == expected:
            return sequences
        assert survivor.proc.poll() is None, f"the survivor exited:\n{survivor.tail()}"
        assert time.monotonic() < deadline, (
            f"the survivor did not finish the work within {timeout_s} s:\n{survivor.tail()}")
        time.sleep(1.0)


def test_survivor_restores_a_killed_workers_partitions_exactly_once(broker: Broker,
                                                                    tmp_path: Path) -> None:
    names = {"name": unique("reb"), "inputs": unique("in"), "counts": unique("counts")}
    admin = broker.admin()
    admin.create_topic(names["inputs"], PARTITIONS)
    admin.close()
    values = keyed_inputs(SEED, INPUTS, keys=40)
    app_file = write_app_file(tmp_path, "counter", **names)
    hosts = {name: tmp_path / name / "state" for name in ("a", "b")}
    for state_root in hosts.values():
        state_root.parent.mkdir()
    doomed = AppProcess.start(app_file, broker.url, hosts["a"], tmp_path / "a.log",
                              guarantee="exactly-once")
    doomed.wait_for_log(JOINED)
    survivor = AppProcess.start(app_file, broker.url, hosts["b"], tmp_path / "b.log",
                                guarantee="exactly-once")
    feeder = Feeder(broker.url, names["inputs"], values, batch=100, pause_s=0.3)
    try:
        survivor.wait_for_log(JOINED)
        feeder.start()
        time.sleep(3.0)  # both work on their halves
        doomed.kill()
        feeder.finish()
        expected = expected_counts(values)
        sequences = wait_for_outputs(broker, names["counts"], expected, survivor)
        assert survivor.terminate() == 0, survivor.tail()
    finally:
        doomed.kill()
        survivor.kill()

    for worker in (doomed, survivor):  # separate hosts never share a transactional id
        assert "producer fenced" not in worker.output(), worker.tail()
    problems = exactly_once_problems(sequences, expected)
    assert not problems, f"{len(problems)} keys wrong (seed {SEED}): {problems[:10]}"
    restored_by_survivor = restored_counts(survivor.output())
    assert len(restored_by_survivor) == TASKS, "the survivor did not take every task over"
    moved = set(restored_counts(doomed.output())) & set(restored_by_survivor)
    assert moved, "the killed worker owned no task: the test proves nothing"
    state = {e.key: e.value for e in read_store(hosts["b"], names["name"],
                                                 StoreSpec(COUNTS_STORE))}
    assert state == expected, "the survivor's state differs from the reference"
