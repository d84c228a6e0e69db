"""Run the ``counter`` app while feeding it and killing it, and read what it did."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamkit.log import Broker
from streamkit.processor import StoreSpec
from streamkit.state.query import read_store
from tests.faults.apps import COUNTS_STORE, PARTITIONS
from tests.faults.checks import counts_by_key
from tests.faults.inputs import Feeder, expected_counts, keyed_inputs
from tests.faults.killing import KillRun
from tests.faults.processes import write_app_file
from tests.runtime.logs import unique


@dataclass
class CounterOutcome:
    run: KillRun
    expected: dict[str, int]  # the reference: final count per key
    sequences: dict[str, list[int]]  # per key, the counts a read_committed reader saw
    state: dict[Any, Any]  # the final committed store, read from RocksDB


def kill_counter(broker: Broker, tmp_path: Path, *, guarantee: str, seed: int, kills: int,
                 inputs: int, keys: int) -> CounterOutcome:
    """Feed ``inputs`` seeded inputs while SIGKILLing the app ``kills`` times, then
    let a last run finish."""
    names = {"name": unique("cnt"), "inputs": unique("in"), "counts": unique("counts")}
    admin = broker.admin()
    admin.create_topic(names["inputs"], PARTITIONS)
    admin.close()
    values = keyed_inputs(seed, inputs, keys)
    (tmp_path / "logs").mkdir()
    run = KillRun(write_app_file(tmp_path, "counter", **names), broker.url,
                  tmp_path / "state", tmp_path / "logs", guarantee, seed)
    feeder = Feeder(broker.url, names["inputs"], values, batch=max(1, inputs // 60),
                    pause_s=0.3)
    feeder.start()
    run.kill_repeatedly(kills)
    feeder.finish()
    run.finish()
    state = {e.key: e.value for e in read_store(run.state_root, names["name"],
                                                 StoreSpec(COUNTS_STORE))}
    return CounterOutcome(run, expected_counts(values), counts_by_key(broker, names["counts"]),
                          state)
