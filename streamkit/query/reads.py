"""Reading committed entries out of a live store's backend, and the JSON form of
an entry that both ``streamkit state`` and the HTTP server print.

Only the backend is read (never the store's write-back cache), so a query sees
exactly what the last successful checkpoint committed: under exactly-once, never
an effect that could still be rolled back.

>>> from streamkit.processor import TaskId
>>> entry_document(StoredEntry(TaskId(1, 0), "hello", 2))
{'key': 'hello', 'value': 2, 'task': '1_0'}
>>> entry_document(StoredEntry(TaskId(0, 3), "a", 5, start=0, end=10))
{'key': 'a', 'value': 5, 'task': '0_3', 'start': 0, 'end': 10}
>>> parse_key("42", "json"), parse_key("42", "string")
(42, '42')
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson

from streamkit.log.errors import StreamkitError
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state.backend import DATA, StoreBackend
from streamkit.state.query import StoredEntry
from streamkit.state.store import serialize_key, serialize_prefix, store_serdes
from streamkit.state.window_keys import decode_primary_key, key_prefix, prefix_upper_bound

KEY_FORMATS = ("string", "json")


class BadKey(StreamkitError):
    """A key given on the command line or in a URL that cannot be read."""


def parse_key(text: str, key_format: str = "string") -> Any:
    """A key typed by a user: as is (``string``), or parsed as JSON (``json``,
    for numbers, lists...)."""
    if key_format == "string":
        return text
    if key_format == "json":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise BadKey(f"key {text!r} is not valid JSON ({error}): quote strings, "
                         "or use key format 'string'") from None
    raise BadKey(f"unknown key format {key_format!r}: use one of {', '.join(KEY_FORMATS)}")


def entry_document(entry: StoredEntry) -> dict[str, Any]:
    """The JSON document of one entry: key, value, task; start and end for windows."""
    document: dict[str, Any] = {"key": entry.key, "value": entry.value,
                                "task": str(entry.task_id)}
    if entry.start is not None:
        document["start"] = entry.start
        document["end"] = entry.end
    return document


def to_json(document: Any) -> bytes:
    """``document`` as JSON; bytes (from a ``bytes`` serde) become UTF-8 text, or
    ``{"base64": ...}`` when they are not text."""
    return orjson.dumps(document, default=_bytes_as_text, option=orjson.OPT_NON_STR_KEYS)


def _bytes_as_text(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def get_committed(spec: StoreSpec, backend: StoreBackend, task_id: TaskId, key: Any) -> list[StoredEntry]:
    """The committed entries of ``key`` in one task's store: at most one for a
    key-value store, one per window for a window store."""
    keys, values = store_serdes(spec)
    raw_key = serialize_key(keys, key, spec.name)
    if spec.kind is StoreKind.WINDOW:
        prefix = key_prefix(raw_key)
        found = []
        for data, value in backend.scan(DATA, prefix, prefix_upper_bound(prefix)):
            _, start, end = decode_primary_key(data)
            found.append(StoredEntry(task_id, key, values.deserialize(value), start, end))
        return found
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
        # Primary keys start with the key's length, so a key prefix is no byte prefix.
        for data, value in backend.scan(DATA, None, None):
            raw_key, start, end = decode_primary_key(data)
            if raw_prefix is None or raw_key.startswith(raw_prefix):
                yield StoredEntry(task_id, keys.deserialize(raw_key), values.deserialize(value),
                                  start, end)
        return
    high = None if raw_prefix is None else prefix_upper_bound(raw_prefix)
    for data, value in backend.scan(DATA, raw_prefix, high):
        yield StoredEntry(task_id, keys.deserialize(data), values.deserialize(value))
