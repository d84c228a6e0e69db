"""What both ``streamkit state`` and the HTTP server share: keys as users type
them, and the JSON form of an entry. (Both read entries with
:func:`streamkit.state.query.get_committed` and ``scan_committed``.)

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
from typing import Any

import orjson

from streamkit.log.errors import StreamkitError
from streamkit.state.query import StoredEntry

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
