"""kill -9 at random moments under exactly-once: a read_committed reader of the
outputs sees every input's effect exactly once, and the state after recovery is
the reference state.

The app (tests/faults/apps.py ``counter``) counts inputs per key through a
repartition topic and a logged RocksDB store, emitting every running count. So
"exactly once" is checkable per key: the outputs are exactly 1, 2, ..., n.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamkit.log import Broker
from tests.faults.checks import exactly_once_problems
from tests.faults.counter_run import kill_counter


def check_exactly_once(broker: Broker, tmp_path: Path, *, seed: int, kills: int, inputs: int,
                       keys: int) -> None:
    outcome = kill_counter(broker, tmp_path, guarantee="exactly-once", seed=seed, kills=kills,
                           inputs=inputs, keys=keys)
    problems = exactly_once_problems(outcome.sequences, outcome.expected)
    assert not problems, f"{len(problems)} keys wrong {outcome.run.describe()}: {problems[:10]}"
    assert outcome.state == outcome.expected, (
        f"final state differs from the reference {outcome.run.describe()}")
    assert outcome.run.kills == kills


def test_every_input_counts_exactly_once_across_kill_9(broker: Broker, tmp_path: Path) -> None:
    check_exactly_once(broker, tmp_path, seed=20240611, kills=10, inputs=6_000, keys=50)


@pytest.mark.soak
def test_every_input_counts_exactly_once_across_many_kill_9(broker: Broker,
                                                            tmp_path: Path) -> None:
    check_exactly_once(broker, tmp_path, seed=int(time.time()), kills=40, inputs=40_000,
                       keys=200)
