"""The stores a running instance holds right now, shared by its processing thread
(which registers and unregisters them as tasks come and go) and the HTTP
server's threads (which read them).

Thread safety, and why it is this simple: queries read only a store's
*backend*, i.e. the state the last checkpoint committed, never the write-back
cache the processing thread mutates. RocksDB (and the in-memory backend's dicts
under the GIL) allow reads concurrent with the one ``WriteBatch`` per checkpoint,
so reads need no lock against processing. What they must not race is a backend
being *closed* (task revoked, worker stopping): every read runs under the
directory's lock, and the runtime calls :meth:`StoreDirectory.unregister` —
which takes that lock — before it closes a task's state. The processing thread
therefore waits for at most one in-flight query (bounded by the scan limit) on a
rebalance, and never otherwise.

>>> directory = StoreDirectory()
>>> directory.owned_tasks()
[]
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from streamkit.processor import StoreSpec, TaskId
from streamkit.state.backend import StoreBackend

T = TypeVar("T")


class QueryableStore(Protocol):
    """What the directory needs of a store: its spec and its committed backend
    (the state layer's ``CachedKeyValueStore`` and ``CachedWindowStore`` are)."""

    spec: StoreSpec
    backend: StoreBackend


class StoreDirectory:
    """Maps (store name, task) to the open store of a task this instance runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stores: dict[str, dict[TaskId, QueryableStore]] = {}
        self._version = 0
        self._listeners: list[Callable[[], None]] = []

    def register(self, task_id: TaskId, store_name: str, store: QueryableStore) -> None:
        """Make a task's store queryable: call once its state is restored."""
        with self._lock:
            self._stores.setdefault(store_name, {})[task_id] = store
            self._version += 1
        self._notify()

    def register_task(self, task_id: TaskId, state: Any, store_names: list[str]) -> None:
        """Register every store of a task's state (anything with ``get_store``)."""
        for name in store_names:
            self.register(task_id, name, state.get_store(name))

    def unregister(self, task_id: TaskId) -> None:
        """Forget every store of ``task_id``: call before closing its state. Waits
        for a query reading one of its stores to finish."""
        with self._lock:
            for by_task in self._stores.values():
                by_task.pop(task_id, None)
            self._version += 1
        self._notify()

    def clear(self) -> None:
        """Forget every store (the worker is stopping or dropping all its tasks)."""
        with self._lock:
            self._stores.clear()
            self._version += 1
        self._notify()

    @property
    def version(self) -> int:
        """Increases on every change: lets a publisher notice new assignments."""
        return self._version

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every change (from the thread that made it;
        keep it short: it runs on the processing thread)."""
        self._listeners.append(listener)

    def owned_tasks(self, store_name: str | None = None) -> list[TaskId]:
        """The tasks holding ``store_name`` here (every store's, without a name)."""
        with self._lock:
            if store_name is not None:
                return sorted(self._stores.get(store_name, {}))
            return sorted({t for by_task in self._stores.values() for t in by_task})

    def read(self, store_name: str, task_id: TaskId,
             reader: Callable[[QueryableStore], T]) -> tuple[bool, T | None]:
        """``(True, reader(store))`` if this instance holds the task's store, else
        ``(False, None)``. The store stays open while ``reader`` runs; ``reader``
        must finish its reading (no lazy iterators escaping)."""
        with self._lock:
            store = self._stores.get(store_name, {}).get(task_id)
            if store is None:
                return False, None
            return True, reader(store)

    def read_all(self, store_name: str,
                 reader: Callable[[TaskId, QueryableStore], T]) -> list[T]:
        """``reader(task, store)`` for each task holding the store here, by task."""
        with self._lock:
            by_task = self._stores.get(store_name, {})
            return [reader(task_id, by_task[task_id]) for task_id in sorted(by_task)]

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()
