"""``--until-idle`` counts idle time only once a worker has tasks: an empty first
assignment (e.g. while the group still lists a member that just left) is no sign
that the input has been read."""

from __future__ import annotations

import pytest

from streamkit.runtime.loop import worker
from streamkit.runtime.loop.activity import JOIN_GRACE_S, LocalActivity


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(worker.time, "monotonic", fake)
    return fake


def test_idle_time_counts_from_the_first_tasks_and_from_the_last_record(clock: Clock) -> None:
    activity = LocalActivity()
    clock.now += 5
    assert activity.idle_for() == 0.0  # no tasks yet: not idle
    activity.joined()
    clock.now += 3
    assert activity.idle_for() == 3.0
    activity.active()
    clock.now += 1
    assert activity.idle_for() == 1.0


def test_a_worker_that_never_gets_partitions_idles_after_the_join_grace(clock: Clock) -> None:
    activity = LocalActivity()
    clock.now += JOIN_GRACE_S
    assert activity.idle_for() == 0.0
    clock.now += 2
    assert activity.idle_for() == 2.0


def test_until_idle_waits_for_unread_input_and_gives_up_after_a_grace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    idle_worker = worker.Worker.__new__(worker.Worker)  # only the idle decision is exercised
    idle_worker.options = worker.WorkerOptions()
    unread = [5]
    monkeypatch.setattr(idle_worker, "_unread_records", lambda: unread[0])
    monkeypatch.setattr(idle_worker, "retrying", lambda what, step: step())
    assert not idle_worker._idle_enough(1.0, until_idle_s=2.0)  # not quiet long enough
    assert not idle_worker._idle_enough(3.0, until_idle_s=2.0)  # quiet, but input unread
    assert idle_worker._idle_enough(2.0 + worker.UNREAD_GRACE_S, until_idle_s=2.0)
    unread[0] = 0
    assert idle_worker._idle_enough(2.5, until_idle_s=2.0)  # quiet and all read
