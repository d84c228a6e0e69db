"""The state a task owns, as the runtime sees it (implemented by
:class:`streamkit.state.TaskStateManager`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from streamkit.log.broker import Broker, Producer
from streamkit.log.records import TopicPartition
from streamkit.processor import StoreSpec, TaskId


class TaskState(Protocol):
    """The stores of one task and their changelogs."""

    def restore(self) -> int:
        """Replay the changelogs' tails into the stores; the number of records replayed."""

    def get_store(self, name: str) -> Any: ...

    def write_changelog(self, producer: Producer) -> None:
        """Send the dirty entries since the last commit to the changelog topics."""

    def pending_changelogs(self) -> list[TopicPartition]:
        """The changelog partitions whose end offsets :meth:`commit` needs."""

    def commit(self, changelog_ends: Mapping[TopicPartition, int] | None = None) -> None:
        """Apply the checkpoint's writes locally, after the offsets committed;
        ``changelog_ends`` are the end offsets of :meth:`pending_changelogs`."""

    def abort(self) -> None:
        """Forget the writes since the last commit."""

    def close(self) -> None: ...


StateFactory = Callable[[TaskId, Sequence[StoreSpec]], TaskState]


def task_state_factory(app_name: str, state_dir: Path, broker: Broker) -> StateFactory:
    """Makes each task's :class:`streamkit.state.TaskStateManager`."""
    from streamkit.state import TaskStateManager

    def make(task_id: TaskId, specs: Sequence[StoreSpec]) -> TaskState:
        return TaskStateManager(app_name, task_id, specs, state_dir, broker)

    return make
