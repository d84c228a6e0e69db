"""kill -9 at random moments under at-least-once: nothing is lost. Every key's
outputs cover every count 1..n and its state reaches at least n (an input redone
after a crash may count twice: that is what at-least-once allows)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamkit.log import Broker
from tests.faults.checks import at_least_once_problems
from tests.faults.counter_run import kill_counter


def check_at_least_once(broker: Broker, tmp_path: Path, *, seed: int, kills: int, inputs: int,
                        keys: int) -> None:
    outcome = kill_counter(broker, tmp_path, guarantee="at-least-once", seed=seed, kills=kills,
                           inputs=inputs, keys=keys)
    problems = at_least_once_problems(outcome.sequences, outcome.expected)
    assert not problems, f"{len(problems)} keys lost inputs {outcome.run.describe()}: {problems[:10]}"
    short = {k: (outcome.state.get(k), n) for k, n in outcome.expected.items()
             if outcome.state.get(k, 0) < n}
    assert not short, f"state lost inputs {outcome.run.describe()}: {short}"
    assert set(outcome.state) == set(outcome.expected)


def test_no_input_is_lost_across_kill_9(broker: Broker, tmp_path: Path) -> None:
    check_at_least_once(broker, tmp_path, seed=1105, kills=10, inputs=6_000, keys=50)


@pytest.mark.soak
def test_no_input_is_lost_across_many_kill_9(broker: Broker, tmp_path: Path) -> None:
    check_at_least_once(broker, tmp_path, seed=int(time.time()), kills=40, inputs=40_000,
                        keys=200)
