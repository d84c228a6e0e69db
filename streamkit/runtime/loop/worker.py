"""A worker: one consumer (a member of group ``<app>``), one producer, the tasks
of the partitions assigned to it, and the loop that drives them.

Loop: ``poll_batch`` → the records released in event-time order across the
partitions a task merges (:mod:`~streamkit.runtime.loop.ordered_input`) → each
to its task → wall-clock punctuations → the producer's ``poll`` (outputs leave)
→ a checkpoint every commit interval, after which the repartition records below
the committed offsets are purged now and then.
Rebalances create and close tasks (checkpointing first); broker outages are retried
with backoff; a failed commit rewinds to the committed offsets; a fenced producer
makes the worker drop its tasks and rejoin.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from streamkit.log.broker import Broker, Consumer, Producer
from streamkit.log.errors import (
    BrokerUnavailable,
    CommitFailed,
    DeliveryFailed,
    ProducerFenced,
    TransactionAborted,
)
from streamkit.log.records import TopicPartition
from streamkit.runtime.checkpoint import Checkpointer
from streamkit.runtime.loop.activity import Activity, LocalActivity
from streamkit.runtime.loop.input_order import (
    MAX_HELD_RECORDS,
    ORDER_WAIT_MS,
    PAUSE_ABOVE_RECORDS,
)
from streamkit.runtime.loop.ordered_input import OrderedInput
from streamkit.runtime.metrics import format_counters, merge
from streamkit.runtime.purge import RepartitionPurger
from streamkit.runtime.rebalance import TaskRegistry
from streamkit.runtime.stream_time import committed_stream_time
from streamkit.runtime.task_state import StateFactory, task_state_factory
from streamkit.runtime.topics import prepare_topics

log = logging.getLogger("streamkit.worker")
T = TypeVar("T")


UNREAD_GRACE_S = 60.0  # how long --until-idle waits on input it sees but cannot read


def _no_producer_yet(*_args: object) -> None:
    """Where tasks would send before the worker's clients start: none exist then."""
    raise RuntimeError("the worker has no producer yet")


class StopSignal(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How a worker runs."""

    worker_id: str = "0"
    exactly_once: bool = False
    commit_interval_ms: int = 1000
    state_dir: Path = Path(".streamkit-state")
    max_poll_records: int = 500
    poll_timeout_s: float = 0.2
    metrics_interval_s: float = 30.0
    max_backoff_s: float = 10.0
    repartition_purge_interval_s: float = 30.0  # Kafka Streams' repartition.purge.interval.ms
    # How long records wait for a partition with more to read, so that tasks get
    # them in event-time order across partitions (input_order); 0: as fetched.
    order_wait_ms: int = ORDER_WAIT_MS
    # Records held back for one partition past which it is paused (input_order).
    buffered_records_per_partition: int = PAUSE_ABOVE_RECORDS
    # Records held back at most per group of merged partitions (input_order).
    max_held_records: int = MAX_HELD_RECORDS

    @property
    def transaction_timeout_ms(self) -> int:
        """How long an exactly-once transaction may stay open: ten commit
        intervals, at least 10 s (Kafka Streams' choice for the default 100 ms
        interval), at most 15 min (Kafka's default transaction.max.timeout.ms).

        >>> WorkerOptions(commit_interval_ms=100).transaction_timeout_ms
        10000
        >>> WorkerOptions(commit_interval_ms=5000).transaction_timeout_ms
        50000
        """
        return min(max(10_000, 10 * self.commit_interval_ms), 900_000)


class Worker:
    """Runs an app's tasks for the partitions the group assigns to this member."""

    def __init__(self, app: Any, broker: Broker, options: WorkerOptions,
                 *, state_factory: StateFactory | None = None) -> None:
        self.app = app
        self.broker = broker
        self.options = options
        self.subtopologies = app.topology.subtopologies()
        self._state_factory = state_factory or task_state_factory(
            app.name, options.state_dir, broker)
        self.producer: Producer | None = None
        self.consumer: Consumer | None = None
        self.checkpointer: Checkpointer | None = None
        self.registry = TaskRegistry(app.name, self.subtopologies, self._state_factory,
                                     _no_producer_yet, app.error_policy, self.retrying,
                                     self._committed_stream_time)
        self.purger = RepartitionPurger(
            broker, {t.name for sub in self.subtopologies for t in sub.source_topics if t.internal},
            options.repartition_purge_interval_s)
        self._activity: Activity | None = None
        self._stopping: StopSignal = threading.Event()
        self.final_metrics: dict[str, int] = {}
        self._closed_metrics: list[dict[str, int]] = []
        self._own_metrics: Counter[str] = Counter()  # the worker's, not a task's
        # A checkpoint failed inside a rebalance callback: the tasks kept hold
        # work whose transaction was aborted; rewind them once the poll returns.
        self._rewind_pending = False
        self._input = OrderedInput(self.subtopologies, order_wait_ms=options.order_wait_ms,
                                   pause_above=options.buffered_records_per_partition,
                                   max_held=options.max_held_records,
                                   worker_id=options.worker_id, counters=self._own_metrics)

    # -- public ---------------------------------------------------------------------

    def run(self, stop: StopSignal, activity: Activity | None = None,
            until_idle_s: float | None = None) -> dict[str, int]:
        """Process until ``stop`` is set (or, with ``until_idle_s``, until no record
        arrived for that long after joining); checkpoint, leave the group and
        return the counters."""
        self._stopping = stop
        local = LocalActivity(activity)
        self._activity = local
        admin = self.broker.admin()
        try:
            self.retrying("creating topics", lambda: prepare_topics(
                admin, self.app.topology, dead_letter_topic=self.app.dead_letter_topic))
        finally:
            admin.close()
        self._start_clients()
        interval_s = self.options.commit_interval_ms / 1000
        next_checkpoint = time.monotonic() + interval_s
        next_metrics = time.monotonic() + self.options.metrics_interval_s
        try:
            while not stop.is_set():
                if until_idle_s is not None and self._idle_enough(local.idle_for(),
                                                                  until_idle_s):
                    break
                try:
                    self._poll_and_process()
                    now = time.monotonic()
                    if now >= next_checkpoint:
                        self._checkpoint()
                        self.purger.after_commit(self.checkpointer.committed)  # type: ignore[union-attr]
                        next_checkpoint = now + interval_s
                except (TransactionAborted, DeliveryFailed, CommitFailed) as error:
                    log.warning("checkpoint failed (%s): rewinding to committed offsets", error)
                    self._rewind()
                except ProducerFenced as error:
                    log.warning("producer fenced (%s): dropping tasks and rejoining", error)
                    self._restart_clients()
                if time.monotonic() >= next_metrics:
                    self._log_metrics("running")
                    next_metrics = time.monotonic() + self.options.metrics_interval_s
            self.retrying("final checkpoint", self._checkpoint_or_rewind)
        finally:
            self._shutdown()
        return self.final_metrics

    # -- loop pieces ----------------------------------------------------------------

    def _idle_enough(self, idle_s: float, until_idle_s: float) -> bool:
        """Whether ``--until-idle`` may stop now: no record for ``until_idle_s`` and
        nothing left unread in the assigned partitions (on a loaded machine a
        quiet spell does not mean the input is read), or still records unread
        after a further grace (e.g. behind a transaction nobody will finish)."""
        if idle_s < until_idle_s:
            return False
        unread = self.retrying("checking for unread input", self._unread_records)
        if unread and idle_s < until_idle_s + UNREAD_GRACE_S:
            return False
        if unread:
            log.warning("worker %s: stopping with %d records unread, none arrived for %.0fs",
                        self.options.worker_id, unread, idle_s)
        log.info("worker %s: idle for %.1fs, stopping", self.options.worker_id, idle_s)
        return True

    def _unread_records(self) -> int:
        """Records in this worker's partitions past its current positions."""
        assert self.consumer is not None
        assigned = self.consumer.assignment()
        if not assigned:
            return 0
        admin = self.broker.admin()
        try:
            ends = admin.end_offsets(assigned)
        finally:
            admin.close()
        return len(self._input) + sum(max(0, ends[tp] - self.consumer.position(tp)) for tp in assigned)

    def _poll_and_process(self) -> None:
        assert self.consumer is not None and self.checkpointer is not None
        records = self.retrying("polling", lambda: self.consumer.poll_batch(  # type: ignore[union-attr]
            self.options.max_poll_records, self.options.poll_timeout_s))
        if self._rewind_pending:
            self._rewind()  # drops this batch: every position goes back to its commit
            return
        records = self._input.release(records, time.monotonic())
        if records:
            self.checkpointer.begin()
            tasks = self.registry.by_partition
            for record in records:
                task = tasks.get((record.topic, record.partition))
                if task is not None:  # None: revoked while the batch was in flight
                    task.process(record)
            self._activity.active()  # type: ignore[union-attr]
        now_ms = int(time.time() * 1000)
        for task in list(self.registry.tasks.values()):
            if task.punctuator.wall:
                self.checkpointer.begin()
                task.punctuate_wall_clock(now_ms)
        # Outputs leave now rather than at the checkpoint (the embedded log
        # writes nothing before a poll; Kafka's client sends on its own).
        self.producer.poll()  # type: ignore[union-attr]

    def _checkpoint(self) -> None:
        assert self.checkpointer is not None
        tasks = list(self.registry.tasks.values())
        if self.retrying("checkpoint", lambda: self.checkpointer.checkpoint(  # type: ignore[union-attr]
                tasks, self.registry.offsets())):
            self._activity.active()  # type: ignore[union-attr]

    def _checkpoint_or_rewind(self) -> None:
        assert self.checkpointer is not None
        if self._rewind_pending:
            log.warning("stopping with uncommitted work aborted by a failed checkpoint: "
                        "it will be redone on restart")
        else:
            try:
                self._checkpoint()
                return
            except (TransactionAborted, DeliveryFailed, CommitFailed) as error:
                log.warning("final checkpoint failed (%s): uncommitted work will be redone "
                            "on restart", error)
        self.checkpointer.abort()
        for task in self.registry.tasks.values():
            task.state.abort()

    # -- rebalance ------------------------------------------------------------------

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        self._input.track(partitions)
        created = self.registry.assign(partitions)
        if created:
            log.info("worker %s: assigned %s", self.options.worker_id,
                     sorted(str(t) for t in created))
        if self.registry.tasks:  # an empty assignment is no sign of being caught up
            self._activity.joined()  # type: ignore[union-attr]

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        revoked = self.registry.tasks_of(partitions)
        if not revoked:
            self._input.drop(partitions)
            return
        try:
            self._checkpoint()
            abort = False
        except Exception as error:  # noqa: BLE001 - the new owner redoes uncommitted work
            # The aborted work includes that of the tasks this worker keeps:
            # they must not go on from state and positions nobody committed.
            log.warning("checkpoint before revocation failed (%s): rewinding the remaining "
                        "tasks to committed offsets", error)
            assert self.checkpointer is not None
            self.checkpointer.abort()
            abort = True
            self._rewind_pending = True
        self._closed_metrics.extend(t.metrics_snapshot() for t in revoked)
        self.registry.close(revoked, abort=abort)
        self._input.drop(partitions)
        assert self.checkpointer is not None
        self.checkpointer.forget(partitions)
        self._activity.active()  # type: ignore[union-attr]

    def _committed_stream_time(self, partitions: list[TopicPartition]) -> int:
        """The stream time a task reading ``partitions`` resumes from, as its last
        checkpoint stored it with their committed offsets."""
        assert self.consumer is not None
        metadata = self.retrying("reading committed stream time",
                                 lambda: self.consumer.committed_metadata(partitions))  # type: ignore[union-attr]
        return committed_stream_time(metadata.values())

    # -- failure handling -----------------------------------------------------------

    def _rewind(self) -> None:
        """Drop uncommitted work: abort, recreate tasks from committed state and
        re-read every assigned partition from its committed offset."""
        assert self.consumer is not None and self.checkpointer is not None
        self._rewind_pending = False
        self.checkpointer.abort()
        assigned = self.consumer.assignment()
        self._input.restart(assigned)
        self.registry.close_all(abort=True)
        self.registry.assign(assigned)
        committed = self.retrying("reading committed offsets",
                                  lambda: self.consumer.committed(assigned))  # type: ignore[union-attr]
        admin = self.broker.admin()
        try:
            begins = admin.begin_offsets(assigned)
        finally:
            admin.close()
        for tp in assigned:
            offset = committed.get(tp)
            self.consumer.seek(tp, offset if offset is not None else begins[tp])
        self.checkpointer.forget(assigned)

    def _start_clients(self) -> None:
        opts = self.options
        transactional_id = f"{self.app.name}-{opts.worker_id}" if opts.exactly_once else None
        self.producer = self.broker.producer(
            transactional_id=transactional_id, transaction_timeout_ms=opts.transaction_timeout_ms)
        if opts.exactly_once:
            self.retrying("initializing transactions", self.producer.init_transactions)
        # Tasks send straight to the producer. Every task is closed before the
        # producer is replaced (_restart_clients), and new ones take the new one.
        self.registry.send = self.producer.send
        # A task that reads several topics needs partition n of each on one member.
        co_partitioned = any(len(sub.source_topics) > 1 for sub in self.subtopologies)
        self.consumer = self.broker.consumer(group_id=self.app.name,
                                             isolation_level="read_committed",
                                             co_partitioned=co_partitioned)
        self.checkpointer = Checkpointer(self.producer, self.consumer,
                                         exactly_once=opts.exactly_once, admin=self.broker.admin,
                                         next_offset=self._input.next_offset)
        self._input.attach(self.consumer)
        self.consumer.subscribe(self.registry.source_topics(), on_assign=self._on_assign,
                                on_revoke=self._on_revoke)

    def _restart_clients(self) -> None:
        self.registry.close_all(abort=True)
        self._input.clear()
        self._close_clients()
        self._start_clients()

    def _close_clients(self) -> None:
        for client in (self.consumer, self.producer):
            if client is not None:
                try:
                    client.close()
                except Exception as error:  # noqa: BLE001 - closing goes on regardless
                    log.warning("closing %s failed: %s", type(client).__name__, error)
        self.consumer = self.producer = None
        if self.checkpointer is not None:
            self.checkpointer.close()

    def _shutdown(self) -> None:
        self.purger.close()
        snapshots = [t.metrics_snapshot() for t in self.registry.tasks.values()]
        if self.checkpointer is not None:
            self.checkpointer.abort()  # after a successful final checkpoint: nothing open
        self.registry.close_all(abort=True)
        self._close_clients()  # leaves the group; the revoke callback finds no tasks
        self.final_metrics = self._counters(snapshots)
        self._log_metrics("stopped", self.final_metrics)

    def _counters(self, snapshots: list[dict[str, int]]) -> dict[str, int]:
        """The worker's counters: its own, its closed tasks' and ``snapshots`` of
        the others'."""
        return merge([*self._closed_metrics, *snapshots, self._own_metrics])

    def _log_metrics(self, phase: str, counters: dict[str, int] | None = None) -> None:
        if counters is None:
            counters = self._counters([t.metrics_snapshot() for t in self.registry.tasks.values()])
        log.info("worker %s %s: %s", self.options.worker_id, phase, format_counters(counters))

    def retrying(self, what: str, step: Callable[[], T]) -> T:
        """Run ``step``, retrying with exponential backoff and jitter while the broker
        is unavailable (and saying so in the log); gives up only when stopping."""
        delay = 0.1
        while True:
            try:
                return step()
            except BrokerUnavailable as error:
                log.warning("%s: broker unavailable (%s); retrying in %.1fs", what, error, delay)
                time.sleep(delay * (1 + random.random() / 2))
                delay = min(delay * 2, self.options.max_backoff_s)

