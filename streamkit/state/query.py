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

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rocksdict import Options, Rdict

from streamkit.processor import StoreSpec, TaskId
from streamkit.state.backend import DATA
from streamkit.state.layout import DEFAULT_STATE_ROOT, app_state_dir, parse_task_dir, store_dir
from streamkit.state.rocksdb_backend import META, open_rdict, read_offset, scan_rdict
from streamkit.state.store import serialize_key, serialize_prefix, store_serdes
from streamkit.state.window import BY_END, WINDOW_TABLES
from streamkit.state.window_keys import decode_primary_key, key_prefix, prefix_upper_bound


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
    its serdes (a bare name assumes json)."""
    spec = store if isinstance(store, StoreSpec) else StoreSpec(store)
    keys, values = store_serdes(spec)
    raw_prefix = None if prefix is None else serialize_prefix(keys, prefix, spec.name)
    for task_id, path in store_task_dirs(Path(state_root), app_name, spec.name):
        db = _open_read_only(path)
        try:
            if BY_END in Rdict.list_cf(str(path), Options(raw_mode=True)):
                yield from _windows(db, task_id, keys, values, raw_prefix)
            else:
                low = raw_prefix
                high = None if raw_prefix is None else prefix_upper_bound(raw_prefix)
                for key, value in scan_rdict(db, low, high):
                    yield StoredEntry(task_id, keys.deserialize(key), values.deserialize(value))
        finally:
            db.close()


def get_value(
    state_root: Path, app_name: str, store: StoreSpec | str, key: Any,
) -> list[StoredEntry]:
    """The committed entries of ``key``: at most one for a key-value store, one
    per window for a window store; empty if the key is absent."""
    spec = store if isinstance(store, StoreSpec) else StoreSpec(store)
    keys, values = store_serdes(spec)
    raw_key = serialize_key(keys, key, spec.name)
    found = []
    for task_id, path in store_task_dirs(Path(state_root), app_name, spec.name):
        db = _open_read_only(path)
        try:
            if BY_END in Rdict.list_cf(str(path), Options(raw_mode=True)):
                prefix = key_prefix(raw_key)
                for data, value in scan_rdict(db, prefix, prefix_upper_bound(prefix)):
                    _, start, end = decode_primary_key(data)
                    found.append(StoredEntry(task_id, key, values.deserialize(value), start, end))
            else:
                stored = db.get(raw_key)
                if stored is not None:
                    found.append(StoredEntry(task_id, key, values.deserialize(stored)))
        finally:
            db.close()
    return found


def changelog_offsets(state_root: Path, app_name: str, store_name: str) -> dict[TaskId, int | None]:
    """Per task, the changelog offset the store's committed state corresponds to."""
    offsets = {}
    for task_id, path in store_task_dirs(Path(state_root), app_name, store_name):
        db = _open_read_only(path)
        try:
            meta = db.get_column_family(META)
            offsets[task_id] = read_offset(meta)
            meta.close()
        finally:
            db.close()
    return offsets


def _open_read_only(path: Path) -> Rdict:
    families = Rdict.list_cf(str(path), Options(raw_mode=True))
    tables = WINDOW_TABLES if BY_END in families else (DATA,)
    return open_rdict(path, tables, read_only=True)


def _windows(db: Rdict, task_id: TaskId, keys: Any, values: Any, raw_prefix: bytes | None) -> Iterator[StoredEntry]:
    for data, value in scan_rdict(db, None, None):
        raw_key, start, end = decode_primary_key(data)
        if raw_prefix is None or raw_key.startswith(raw_prefix):
            yield StoredEntry(task_id, keys.deserialize(raw_key), values.deserialize(value), start, end)


__all__ = ["DEFAULT_STATE_ROOT", "StoredEntry", "changelog_offsets", "get_value", "read_store",
           "store_task_dirs"]
