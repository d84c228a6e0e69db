"""Reading an app's stores from outside the app (``streamkit state get/scan``).

Stores are opened read-only, so this works on a stopped app and also beside a
running one (which it does not disturb; it then sees the last committed state as
of opening). Only persistent stores can be read: in-memory ones live in their
process. A key lives in one task's store (the task of its partition), so lookups
search every task directory of the store.

>>> from pathlib import Path
>>> list(read_store(Path("/nonexistent"), "app", "counts"))
[]
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocksdict import Options, Rdict

from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state.backend import DATA, StoreBackend
from streamkit.state.layout import DEFAULT_STATE_ROOT, app_state_dir, parse_task_dir, store_dir
from streamkit.state.rocksdb_backend import RocksDBBackend
from streamkit.state.store import serialize_key, serialize_prefix, store_serdes
from streamkit.state.window import BY_END, WINDOW_TABLES
from streamkit.state.window_keys import (
    TIME_MIN,
    decode_index_key,
    decode_primary_key,
    key_prefix,
    prefix_upper_bound,
)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One committed entry of a store: ``start``/``end`` are set for windows."""

    task_id: TaskId
    key: Any
    value: Any
    start: int | None = None
    end: int | None = None


def store_task_dirs(state_root: Path, app_name: str, store_name: str) -> list[tuple[TaskId, Path]]:
    """Every task directory holding store ``store_name`` of the app, by task."""
    app_dir = app_state_dir(app_name, state_root)
    if not app_dir.is_dir():
        return []
    found = []
    for child in sorted(app_dir.iterdir()):
        task_id = parse_task_dir(child.name)
        if task_id is not None and store_dir(app_dir, task_id, store_name).is_dir():
            found.append((task_id, store_dir(app_dir, task_id, store_name)))
    return sorted(found)


def read_store(
    state_root: Path, app_name: str, store: StoreSpec | str, *, prefix: Any = None,
) -> Iterator[StoredEntry]:
    """Every committed entry of the store, task by task in key order; with
    ``prefix``, only keys whose serialized form starts with the serialized prefix
    (string prefixes under the json serde: keys starting with that string).

    ``state_root`` is the directory holding all apps' state (``.streamkit-state``
    by default); pass the app's :class:`StoreSpec` so keys and values decode with
    its serdes, and windows show through its view (a bare name assumes json)."""
    spec = store if isinstance(store, StoreSpec) else StoreSpec(store)
    for task_id, path in store_task_dirs(Path(state_root), app_name, spec.name):
        backend = _open_read_only(path)
        try:
            yield from scan_committed(_as_stored(spec, backend), backend, task_id, prefix)
        finally:
            backend.close()


def get_value(
    state_root: Path, app_name: str, store: StoreSpec | str, key: Any,
) -> list[StoredEntry]:
    """The committed entries of ``key``: at most one for a key-value store, one
    per window for a window store; empty if the key is absent."""
    spec = store if isinstance(store, StoreSpec) else StoreSpec(store)
    found = []
    for task_id, path in store_task_dirs(Path(state_root), app_name, spec.name):
        backend = _open_read_only(path)
        try:
            found.extend(get_committed(_as_stored(spec, backend), backend, task_id, key))
        finally:
            backend.close()
    return found


def get_committed(spec: StoreSpec, backend: StoreBackend, task_id: TaskId, key: Any) -> list[StoredEntry]:
    """The committed entries of ``key`` in one task's store: at most one for a
    key-value store, one per window shown for a window store."""
    keys, values = store_serdes(spec)
    raw_key = serialize_key(keys, key, spec.name)
    if spec.kind is StoreKind.WINDOW:
        prefix = key_prefix(raw_key)
        stored = [(start, end, values.deserialize(value)) for data, value
                  in backend.scan(DATA, prefix, prefix_upper_bound(prefix))
                  for _, start, end in (decode_primary_key(data),)]
        if spec.view is not None and stored:
            stored = spec.view(stored, _latest_end(backend))
        return [StoredEntry(task_id, key, value, start, end) for start, end, value in stored]
    raw_value = backend.get(DATA, raw_key)
    return [] if raw_value is None else [StoredEntry(task_id, key, values.deserialize(raw_value))]


def scan_committed(spec: StoreSpec, backend: StoreBackend, task_id: TaskId,
                   prefix: Any = None) -> Iterator[StoredEntry]:
    """Committed entries of one task's store in key order; with ``prefix``, those
    whose serialized key starts with the serialized prefix (for string keys:
    keys that start with it)."""
    keys, values = store_serdes(spec)
    raw_prefix = None if prefix is None else serialize_prefix(keys, prefix, spec.name)
    if spec.kind is StoreKind.WINDOW:
        yield from _scan_windows(spec, backend, task_id, raw_prefix)
        return
    high = None if raw_prefix is None else prefix_upper_bound(raw_prefix)
    for data, value in backend.scan(DATA, raw_prefix, high):
        yield StoredEntry(task_id, keys.deserialize(data), values.deserialize(value))


def _scan_windows(spec: StoreSpec, backend: StoreBackend, task_id: TaskId,
                  raw_prefix: bytes | None) -> Iterator[StoredEntry]:
    """Window entries, a key at a time (a key's windows are contiguous)."""
    keys, values = store_serdes(spec)
    # Primary keys start with the key's length, so a key prefix is no byte prefix.
    entries = ((decode_primary_key(data), value) for data, value in backend.scan(DATA, None, None))
    matching = ((raw_key, start, end, value) for (raw_key, start, end), value in entries
                if raw_prefix is None or raw_key.startswith(raw_prefix))
    latest_end: int | None = None  # the store's, looked up once for every key
    for raw_key, windows in itertools.groupby(matching, key=lambda entry: entry[0]):
        key = keys.deserialize(raw_key)
        stored = [(start, end, values.deserialize(value)) for _, start, end, value in windows]
        if spec.view is not None:
            if latest_end is None:
                latest_end = _latest_end(backend)
            stored = spec.view(stored, latest_end)
        for start, end, value in stored:
            yield StoredEntry(task_id, key, value, start, end)


def _latest_end(backend: StoreBackend) -> int:
    """The latest end of any window in the store (``TIME_MIN`` if it is empty)."""
    last = backend.last_key(BY_END)
    return TIME_MIN if last is None else decode_index_key(last)[2]



def changelog_offsets(state_root: Path, app_name: str, store_name: str) -> dict[TaskId, int | None]:
    """Per task, the changelog offset the store's committed state corresponds to."""
    offsets = {}
    for task_id, path in store_task_dirs(Path(state_root), app_name, store_name):
        backend = _open_read_only(path)
        try:
            offsets[task_id] = backend.changelog_offset()
        finally:
            backend.close()
    return offsets


def _open_read_only(path: Path) -> RocksDBBackend:
    families = Rdict.list_cf(str(path), Options(raw_mode=True))
    return RocksDBBackend(path, WINDOW_TABLES if BY_END in families else (DATA,), read_only=True)


def _as_stored(spec: StoreSpec, backend: RocksDBBackend) -> StoreSpec:
    """``spec``, a window store's if ``backend`` has a window index (a spec made
    from a bare name assumes a key-value store)."""
    if BY_END in backend.tables and spec.kind is not StoreKind.WINDOW:
        return dataclasses.replace(spec, kind=StoreKind.WINDOW)
    return spec


__all__ = ["DEFAULT_STATE_ROOT", "StoredEntry", "changelog_offsets", "get_committed", "get_value",
           "read_store", "scan_committed", "store_task_dirs"]
