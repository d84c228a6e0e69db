"""JSON values, encoded with orjson. (Not named json.py: that would shadow the
standard library module when this folder is on sys.path.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from streamkit.serde.errors import SerdeError, preview

# Non-string dict keys (ints, UUIDs, dates) are common in stream aggregates; JSON
# only has string keys, so they are written as their string form.
_OPTIONS = orjson.OPT_NON_STR_KEYS
_dumps, _loads = orjson.dumps, orjson.loads


class JsonSerde:
    """JSON text as UTF-8 bytes.

    ``serialize`` accepts dicts, lists, str, int (64-bit), float, bool, dataclasses,
    datetimes and UUIDs (as ISO strings); ``default`` converts any other type, as in
    ``orjson.dumps``. ``None`` is a null key or a tombstone, not JSON ``null``.
    Decoding gives plain dicts and lists.

    >>> serde = JsonSerde()
    >>> serde.serialize({"page": "/home", "count": 3, 7: True})
    b'{"page":"/home","count":3,"7":true}'
    >>> serde.deserialize(b'{"page":"/home","count":3}')
    {'page': '/home', 'count': 3}
    >>> serde.deserialize(b'{oops')
    Traceback (most recent call last):
    ...
    streamkit.serde.errors.SerdeError: cannot decode JSON: unexpected character, expected a string key: line 1 column 2 (char 1) in b'{oops'
    """

    __slots__ = ("_default",)

    def __init__(self, default: Callable[[Any], Any] | None = None) -> None:
        self._default = default

    def serialize(self, obj: Any) -> bytes | None:
        """Encode ``obj`` as JSON; ``None`` gives ``None``."""
        if obj is None:
            return None
        try:
            # Without options first (a third cheaper): for what it accepts, the
            # options change nothing. Non-string keys and types needing the
            # default raise, and get them.
            return _dumps(obj)
        except TypeError:
            pass
        try:
            return _dumps(obj, default=self._default, option=_OPTIONS)
        except TypeError as err:  # orjson.JSONEncodeError is a TypeError
            raise SerdeError(
                f"cannot serialize {type(obj).__name__} {obj!r:.80} as JSON: {err}; "
                "convert it to dicts, lists, str, numbers and bools, or pass "
                "JsonSerde(default=...) to convert other types"
            ) from None

    @property
    def default(self) -> Callable[[Any], Any] | None:
        """The function converting types orjson does not know, if any."""
        return self._default

    def deserialize(self, data: bytes | None) -> Any:
        """Decode JSON bytes; ``None`` gives ``None``."""
        if data is None:
            return None
        try:
            return _loads(data)
        except orjson.JSONDecodeError as err:
            raise SerdeError(f"cannot decode JSON: {err} in {preview(data)}") from None

    def __repr__(self) -> str:
        return "JsonSerde()" if self._default is None else f"JsonSerde(default={self._default!r})"
