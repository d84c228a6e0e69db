"""The state of one task: its stores, their changelogs, and the checkpoint protocol.

The runtime drives a :class:`TaskStateManager` through each checkpoint::

    manager.restore()                  # once, before the task processes anything
    ...process records; stores buffer writes in their write-back caches...
    manager.write_changelog(producer)  # 1. seal writes, send them to the changelogs
    # 2. the runtime flushes outputs and commits input offsets (one transaction
    #    under exactly-once); then either:
    manager.commit()                   # 3a. it succeeded: write sealed state to disk
    manager.abort()                    # 3b. it failed/aborted: forget uncommitted state

So a store's backend (RocksDB) only ever holds committed state, stamped with the
changelog offset it corresponds to, and a restart replays only the changelog's tail.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from streamkit.log.broker import Admin, Broker, Producer
from streamkit.log.records import TopicPartition
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state.backend import DATA, StoreBackend
from streamkit.state.cache import DEFAULT_CAPACITY
from streamkit.state.changelog import send_changes
from streamkit.state.errors import StateError, StoreClosed, StoreNotFound
from streamkit.state.keyvalue import CachedKeyValueStore
from streamkit.state.layout import changelog_topic, store_dir
from streamkit.state.memory_backend import MemoryBackend
from streamkit.state.restore import restore_store
from streamkit.state.rocksdb_backend import RocksDBBackend
from streamkit.state.store import ManagedStore
from streamkit.state.window import WINDOW_TABLES, CachedWindowStore

_log = logging.getLogger("streamkit.state")


def open_store(
    spec: StoreSpec, state_dir: Path, task_id: TaskId, *, cache_capacity: int = DEFAULT_CAPACITY
) -> ManagedStore:
    """The store ``spec`` describes for ``task_id``, on RocksDB or in memory."""
    tables = WINDOW_TABLES if spec.kind is StoreKind.WINDOW else (DATA,)
    backend: StoreBackend
    if spec.persistent:
        backend = RocksDBBackend(store_dir(state_dir, task_id, spec.name), tables)
    else:
        backend, cache_capacity = MemoryBackend(tables), 0  # the backend is a dict already
    if spec.kind is StoreKind.WINDOW:
        return CachedWindowStore(spec, backend, cache_capacity=cache_capacity)
    return CachedKeyValueStore(spec, backend, cache_capacity=cache_capacity)


class TaskStateManager:
    """Owns the stores of one task and takes them through checkpoints."""

    def __init__(
        self,
        app_name: str,
        task_id: TaskId,
        specs: Sequence[StoreSpec],
        state_dir: Path,
        broker: Broker,
        *,
        cache_capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        names = [spec.name for spec in specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise StateError(f"task {task_id} declares store(s) {duplicates} more than once: "
                             "give each StoreSpec a unique name")
        self.app_name = app_name
        self.task_id = task_id
        self._broker = broker
        self._admin: Admin | None = None
        self._stores: dict[str, ManagedStore] = {}
        try:
            for spec in specs:
                self._stores[spec.name] = open_store(
                    spec, Path(state_dir), task_id, cache_capacity=cache_capacity)
        except BaseException:
            self.close()
            raise
        self._changelogs = {
            spec.name: TopicPartition(changelog_topic(app_name, spec.name), task_id.partition)
            for spec in specs if spec.logged
        }
        self._closed = False

    @property
    def store_names(self) -> list[str]:
        """The names of this task's stores."""
        return list(self._stores)

    def get_store(self, name: str) -> CachedKeyValueStore | CachedWindowStore:
        """The store ``name``: a :class:`~streamkit.processor.KeyValueStore` or
        :class:`~streamkit.processor.WindowStore`."""
        store = self._stores.get(name)
        if store is None:
            raise StoreNotFound(name, list(self._stores))
        return store  # type: ignore[return-value]

    def restore(self) -> int:
        """Bring every logged store up to date from its changelog; returns the
        number of changelog records replayed (0 after a clean stop)."""
        self._check_open()
        replayed = 0
        for name, partition in self._changelogs.items():
            replayed += restore_store(self._broker, self._stores[name], partition)
        if self._changelogs:
            _log.info("task %s: state restored (%d changelog records replayed)",
                      self.task_id, replayed)
        return replayed

    def write_changelog(self, producer: Producer) -> None:
        """Seal every logged store's writes since the last commit and queue them
        to its changelog partition, one record per changed key (its latest value,
        or a tombstone). The caller flushes or commits ``producer``."""
        self._check_open()
        for name, partition in self._changelogs.items():
            changes = self._stores[name].seal()
            if changes:
                send_changes(producer, partition.topic, partition.partition, changes)

    def pending_changelogs(self) -> list[TopicPartition]:
        """The changelog partitions of the stores with sealed changes: whose end
        offsets :meth:`commit` needs."""
        return [partition for name, partition in self._changelogs.items()
                if self._stores[name].sealed_changes()]

    def commit(self, changelog_ends: Mapping[TopicPartition, int] | None = None) -> None:
        """Write the sealed changes to each store's backend, in one batch per store
        with the changelog offset they correspond to. Call only once the
        checkpoint (changelog records, outputs, input offsets) is committed.

        ``changelog_ends`` are the end offsets of :meth:`pending_changelogs` (a
        worker asks for all its tasks' at once); without them they are looked up."""
        self._check_open()
        for name, store in self._stores.items():
            if name not in self._changelogs:
                store.seal()  # nothing to log: everything written so far commits now
        pending = {name: store.sealed_changes() for name, store in self._stores.items()}
        pending = {name: changes for name, changes in pending.items() if changes}
        if changelog_ends is None:
            logged = self.pending_changelogs()
            changelog_ends = self._admin_client().end_offsets(logged) if logged else {}
        for name, changes in pending.items():
            store = self._stores[name]
            partition = self._changelogs.get(name)
            store.backend.apply(changes, None if partition is None else changelog_ends[partition])
            store.committed()

    def abort(self) -> None:
        """Forget every write since the last commit; reads return committed state."""
        self._check_open()
        for store in self._stores.values():
            store.abort()

    def close(self) -> None:
        """Close the stores (uncommitted writes are dropped) and clients."""
        for store in self._stores.values():
            store.backend.close()
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        self._closed = True

    def _admin_client(self) -> Admin:
        if self._admin is None:
            self._admin = self._broker.admin()
        return self._admin

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed(f"the state of task {self.task_id} is closed")
