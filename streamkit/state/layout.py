"""Where state lives on disk and what its changelog topics are called: the one
place that defines names, so the runtime, the CLI and queries agree.

>>> changelog_topic("page-views", "counts")
'page-views-counts-changelog'
>>> from streamkit.processor import TaskId
>>> store_dir(Path("/s/page-views"), TaskId(0, 3), "counts").as_posix()
'/s/page-views/0_3/counts'
"""

from __future__ import annotations

from pathlib import Path

from streamkit.processor import TaskId

DEFAULT_STATE_ROOT = Path(".streamkit-state")
"""The directory, relative to where ``streamkit run`` starts, that holds every app's state."""


def changelog_topic(app_name: str, store_name: str) -> str:
    """The compacted topic that backs store ``store_name`` of app ``app_name``."""
    return f"{app_name}-{store_name}-changelog"


def app_state_dir(app_name: str, root: Path = DEFAULT_STATE_ROOT) -> Path:
    """The ``state_dir`` the runtime gives each :class:`TaskStateManager` of an app."""
    return Path(root) / app_name


def store_dir(state_dir: Path, task_id: TaskId, store_name: str) -> Path:
    """The RocksDB directory of one store of one task: ``state_dir/<task_id>/<store>/``."""
    return Path(state_dir) / str(task_id) / store_name


def parse_task_dir(name: str) -> TaskId | None:
    """The :class:`TaskId` a task directory is named after, or ``None`` if it is not one.

    >>> parse_task_dir("1_7")
    TaskId(subtopology=1, partition=7)
    >>> parse_task_dir("notes") is None
    True
    """
    left, sep, right = name.partition("_")
    if not sep or not left.isdigit() or not right.isdigit():
        return None
    return TaskId(int(left), int(right))
