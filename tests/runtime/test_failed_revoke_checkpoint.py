"""A checkpoint that fails while partitions are being revoked aborts the work of
every task of the worker, including the tasks it keeps. Those must go back to
their committed state and offsets; going on from the aborted state would lose
outputs under exactly-once (the soak run of final windows lost windows so).

Two in-process workers share a group on a real broker. When the second joins,
the first's checkpoint in its revoke callback is made to fail (the transaction
is really aborted, as a broker does when it rejects a commit mid-rebalance).
Every key must still count 1, 2, ..., n exactly once.

On Kafka the first worker's periodic checkpoint can itself be rejected by the
rebalance (ILLEGAL_GENERATION) just before the revocation; it then rewinds, and
the revocation finds nothing to commit, so nothing can be injected. Such an
attempt is still checked for exactly-once, and the scenario runs again."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from streamkit.log import Broker, TopicPartition
from streamkit.log.errors import TransactionAborted
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from tests.faults.apps import counter
from tests.faults.checks import counts_by_key, exactly_once_problems
from tests.faults.inputs import expected_counts, keyed_inputs, send_values
from tests.runtime.logs import unique
from tests.runtime.threads import WrappingBroker, run_worker

MAX_INPUTS = 20_000
AFTER_REVOCATION = 1_000  # inputs fed after the first revocation, for the kept tasks to redo
ATTEMPTS = 3
BATCH, PAUSE_S = 20, 0.05
IDLE_S = 3.0


class _FailingCommits:
    """A producer whose next ``commit_transaction`` aborts instead, once armed."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer
        self.armed = False
        self.failed = 0

    def commit_transaction(self) -> None:
        if self.armed:
            self.armed = False
            self.failed += 1
            self._producer.abort_transaction()
            raise TransactionAborted("injected: the commit before a revocation failed")
        self._producer.commit_transaction()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)


class _FailsOnRevoke(Worker):
    """Fails the checkpoint of its first revocation that has work to commit."""

    revoked = False

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        self.revoked = self.revoked or bool(self.registry.tasks_of(partitions))
        producer = self.broker.producers[-1]  # type: ignore[attr-defined]
        assert self.checkpointer is not None
        has_work = self.checkpointer.in_transaction and self.registry.tasks_of(partitions)
        producer.armed = bool(has_work) and not any(p.failed for p in self.broker.producers)  # type: ignore[attr-defined]
        try:
            super()._on_revoke(partitions)
        finally:
            producer.armed = False


def test_a_failed_checkpoint_on_revoke_rewinds_the_kept_tasks(broker: Broker,
                                                              tmp_path: Path) -> None:
    injected = 0
    for attempt in range(ATTEMPTS):
        injected = _attempt(broker, tmp_path / str(attempt))
        if injected:
            break
    assert injected == 1, \
        f"in {ATTEMPTS} attempts no revocation found work to commit: the test tested nothing"


def _attempt(broker: Broker, state_dir: Path) -> int:
    """Runs the scenario once, checks it, and returns how many commits failed."""
    name, inputs, counts = unique("revoke"), unique("inputs"), unique("counts")
    app = counter(name, inputs, counts)
    admin = broker.admin()
    admin.create_topic(inputs, 4)
    admin.close()
    values = keyed_inputs(seed=7, count=MAX_INPUTS, keys=40)
    failing = WrappingBroker(broker, producer=_FailingCommits)
    failures: list[BaseException] = []

    def options(worker_id: str, commit_interval_ms: int) -> WorkerOptions:
        return WorkerOptions(worker_id=worker_id, exactly_once=True,
                             commit_interval_ms=commit_interval_ms, state_dir=state_dir / worker_id)

    # Fed steadily, with a long commit interval for the first worker: when the
    # second joins (a rebalance takes seconds on Kafka), the first has
    # uncommitted work in the partitions it keeps. Feeding goes on until then.
    failing_worker = _FailsOnRevoke(app, failing, options("a", 3_000))  # type: ignore[arg-type]
    first = run_worker(failing_worker, failures, until_idle_s=IDLE_S)
    second: threading.Thread | None = None
    fed, stop_at = 0, MAX_INPUTS
    feed = broker.producer()
    try:
        while fed < stop_at:
            send_values(feed, inputs, values[fed:fed + BATCH])
            fed += BATCH
            if second is None and fed >= 1_000:
                second = run_worker(
                    Worker(counter(name, inputs, counts), broker, options("b", 200)), failures,
                    until_idle_s=IDLE_S)
            if stop_at == MAX_INPUTS and failing_worker.revoked:
                stop_at = min(MAX_INPUTS, fed + AFTER_REVOCATION)
            threading.Event().wait(PAUSE_S)
    finally:
        feed.close()
    values = values[:fed]
    assert second is not None
    for thread in (first, second):
        thread.join(180)
        assert not thread.is_alive(), "a worker did not stop"
    assert not failures, failures

    problems = exactly_once_problems(counts_by_key(broker, counts), expected_counts(values))
    assert not problems, problems[:10]
    return sum(p.failed for p in failing.producers)
