"""Checkpoints: make a worker's progress durable, atomically under exactly-once.

At-least-once::

    producer.flush()                outputs and repartition records acked first
    changelogs ← dirty state        (each task)
    producer.flush()                changelog records acked
    consumer.commit(offsets)        only now: never past unacknowledged outputs,
                                    each with its task's stream time as metadata
    state.commit()                  (each task) write the batch to the local store

Exactly-once (one transaction per worker and commit interval)::

    changelogs ← dirty state        inside the open transaction
    send_offsets_to_transaction(offsets, consumer.group_metadata(), stream times)
    commit_transaction()            outputs + state + offsets, all or nothing
    state.commit()

If the commit fails (:class:`TransactionAborted`, :class:`DeliveryFailed`) the
caller rewinds: state is aborted and the partitions re-read from the committed offsets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from streamkit.log.broker import Admin, Consumer, Producer
from streamkit.log.records import TopicPartition
from streamkit.runtime.stream_time import stream_time_metadata
from streamkit.runtime.task import StreamTask

log = logging.getLogger("streamkit.checkpoint")


class Checkpointer:
    """Runs the checkpoint sequence for the tasks of one worker."""

    def __init__(self, producer: Producer, consumer: Consumer, *, exactly_once: bool,
                 admin: Callable[[], Admin],
                 next_offset: Callable[[TopicPartition], int] | None = None) -> None:
        self.producer = producer
        self.consumer = consumer
        # The next offset to process of a partition whose task processed nothing
        # yet: the consumer's position, unless records read are still held back.
        self._next_offset = next_offset or consumer.position
        self.exactly_once = exactly_once
        self.in_transaction = False
        self._committed: dict[TopicPartition, int] = {}
        self._committed_times: dict[TopicPartition, int] = {}  # stream time committed with each
        self._make_admin = admin
        self._admin: Admin | None = None

    @property
    def committed(self) -> Mapping[TopicPartition, int]:
        """The offsets this worker has committed for the partitions it owns."""
        return self._committed

    def begin(self) -> None:
        """Open the worker's transaction if none is open (exactly-once only)."""
        if self.exactly_once and not self.in_transaction:
            self.producer.begin_transaction()
            self.in_transaction = True

    def checkpoint(self, tasks: list[StreamTask], offsets: dict[TopicPartition, int]) -> bool:
        """Commit state, outputs and ``offsets``; returns whether anything was committed.

        A partition is committed when its offset moved, or when its task's stream
        time did (an idle timeout advances it without input, even in a task that
        has read nothing since it started): the stream time goes with the
        offsets, as their metadata."""
        owners = {tp: task for task in tasks for tp in task.source_partitions()}
        changed = {tp: o for tp, o in offsets.items() if self._committed.get(tp) != o}
        for tp, task in owners.items():
            if tp not in changed and task.stream_time != self._committed_times.get(
                    tp, task.restored_stream_time):
                changed[tp] = offsets[tp] if tp in offsets else self._next_offset(tp)
        if not changed and not self.in_transaction and not any(
                t.checkpoint_callbacks for t in tasks):
            return False
        self.begin()
        for task in tasks:
            task.before_checkpoint()
        if not self.exactly_once:
            # A changelog record must never be durable while an output it reflects
            # is not: librdkafka delivers partitions in any order, and a crash
            # would restore state past an output that was lost.
            self.producer.flush()
        for task in tasks:
            task.state.write_changelog(self.producer)
        metadata = {tp: stream_time_metadata(owners[tp].stream_time)
                    for tp in changed if tp in owners}
        if self.exactly_once:
            if changed:
                self.producer.send_offsets_to_transaction(
                    changed, self.consumer.group_metadata(), metadata)
            self.producer.commit_transaction()
            self.in_transaction = False
        else:
            self.producer.flush()
            if changed:
                self.consumer.commit(changed, metadata)
        self._committed.update(changed)
        self._committed_times.update(
            (tp, owners[tp].stream_time) for tp in changed if tp in owners)
        self._commit_state(tasks)
        return bool(changed)

    def _commit_state(self, tasks: list[StreamTask]) -> None:
        """Write each task's sealed state to its backend, stamped with its
        changelogs' end offsets: one request for all the tasks."""
        changelogs = [tp for task in tasks for tp in task.state.pending_changelogs()]
        if changelogs and self._admin is None:
            self._admin = self._make_admin()
        # The end offsets cover every record of this checkpoint (they are committed),
        # and maybe records of no concern (transaction markers): harmless.
        ends = self._admin.end_offsets(changelogs) if self._admin and changelogs else {}
        for task in tasks:
            task.state.commit(ends)

    def abort(self) -> None:
        """Abort the open transaction, if any (its records are never visible)."""
        if self.in_transaction:
            self.in_transaction = False
            try:
                self.producer.abort_transaction()
            except Exception as error:  # noqa: BLE001 - already aborted by the broker, or fenced
                log.warning("abort_transaction failed: %s", error)

    def close(self) -> None:
        """Close the admin client, if one was opened."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def forget(self, partitions: list[TopicPartition]) -> None:
        """Stop tracking revoked partitions."""
        for tp in partitions:
            self._committed.pop(tp, None)
            self._committed_times.pop(tp, None)
