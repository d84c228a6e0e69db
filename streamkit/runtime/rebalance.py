"""The tasks of one worker: created when their partitions are assigned (state
and stream time restored first), closed when they are revoked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from streamkit.log.records import TopicPartition
from streamkit.processor import TaskId
from streamkit.runtime.errors.dead_letter import SendFn
from streamkit.runtime.errors.policy import ErrorPolicy
from streamkit.runtime.task import StreamTask
from streamkit.runtime.task_state import StateFactory
from streamkit.runtime.topology import SubTopology

log = logging.getLogger("streamkit.rebalance")


class TaskRegistry:
    """Maps assigned partitions to tasks; task *n* of a sub-topology serves
    partition *n* of each of its source topics."""

    def __init__(self, app_name: str, subtopologies: list[SubTopology], state_factory: StateFactory,
                 send: SendFn, error_policy: ErrorPolicy,
                 retry: Callable[[str, Callable[[], int]], int],
                 committed_stream_time: Callable[[list[TopicPartition]], int]) -> None:
        self.app_name = app_name
        self._subs = {s.id: s for s in subtopologies}
        self._sub_of_topic = {t.name: s.id for s in subtopologies for t in s.source_topics}
        self._state_factory = state_factory
        self.send = send  # what new tasks send their outputs with
        self._error_policy = error_policy
        self._retry = retry
        self._committed_stream_time = committed_stream_time
        self.tasks: dict[TaskId, StreamTask] = {}
        self.by_partition: dict[tuple[str, int], StreamTask] = {}

    def source_topics(self) -> list[str]:
        return sorted(self._sub_of_topic)

    def assign(self, partitions: Iterable[TopicPartition]) -> list[TaskId]:
        """Create (and restore) the tasks of newly assigned partitions."""
        created = []
        for tp in partitions:
            sub_id = self._sub_of_topic.get(tp.topic)
            if sub_id is None:
                continue
            task_id = TaskId(sub_id, tp.partition)
            task = self.tasks.get(task_id)
            if task is None:
                task = self._create(task_id)
                created.append(task_id)
            self.by_partition[(tp.topic, tp.partition)] = task
        return created

    def _create(self, task_id: TaskId) -> StreamTask:
        sub = self._subs[task_id.subtopology]
        state = self._state_factory(task_id, list(sub.stores.values()))
        try:
            replayed = self._retry(f"restoring task {task_id}", state.restore)
            task = StreamTask(self.app_name, task_id, sub, state, self.send,
                              error_policy=self._error_policy)
            # Before init(): processors read it there, and stream-time schedules start from it.
            task.stream_time = task.restored_stream_time = self._committed_stream_time(
                task.source_partitions())
            task.init()
        except BaseException:
            state.close()
            raise
        self.tasks[task_id] = task
        log.info("task %s started (%d changelog records restored)", task_id, replayed)
        return task

    def tasks_of(self, partitions: Iterable[TopicPartition]) -> list[StreamTask]:
        found: dict[TaskId, StreamTask] = {}
        for tp in partitions:
            task = self.by_partition.get((tp.topic, tp.partition))
            if task is not None:
                found[task.task_id] = task
        return list(found.values())

    def close(self, tasks: Iterable[StreamTask], *, abort: bool) -> None:
        """Close tasks and their state (dropping uncommitted writes when ``abort``)."""
        for task in list(tasks):
            if self.tasks.pop(task.task_id, None) is None:
                continue
            for key in [k for k, t in self.by_partition.items() if t is task]:
                del self.by_partition[key]
            task.close()
            try:
                if abort:
                    task.state.abort()
            finally:
                task.state.close()
            log.info("task %s closed", task.task_id)

    def close_all(self, *, abort: bool) -> None:
        self.close(list(self.tasks.values()), abort=abort)

    def offsets(self) -> dict[TopicPartition, int]:
        """Next offsets to read of every partition processed by the current tasks."""
        result: dict[TopicPartition, int] = {}
        for task in self.tasks.values():
            result.update(task.offsets())
        return result
