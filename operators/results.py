"""The value a windowed aggregation emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamkit.serde import JsonSerde, SerdeError


@dataclass(slots=True, unsafe_hash=True)
class WindowResult:
    """The aggregate ``value`` of ``key`` over the half-open window
    ``[start, end)`` (ms since the epoch).

    >>> w = WindowResult("/home", 10_000, 20_000, 3)
    >>> {"page": w.key, "window_start": w.start, "window_end": w.end, "count": w.value}
    {'page': '/home', 'window_start': 10000, 'window_end': 20000, 'count': 3}

    Like :class:`streamkit.Message`, it is a plain (not frozen) dataclass: a
    frozen one costs twice as much to build, and hopping windows in update mode
    build several per record. Each is built for one emission; changing it
    changes nothing in the store.
    """

    key: Any
    start: int
    end: int
    value: Any

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "start", "end", "value"}``: a JSON-ready form."""
        return {"key": self.key, "start": self.start, "end": self.end, "value": self.value}

    def __getitem__(self, field: str) -> Any:
        """``w["value"]`` is ``w.value``: code written for the dict that json
        reads back works on a window result too (an app whose repartition wrote
        json before :class:`WindowResultSerde` was its default).

        >>> WindowResult("/home", 0, 10_000, 3)["value"]
        3
        """
        if field not in _FIELDS:
            raise KeyError(field)
        return getattr(self, field)


_FIELDS = frozenset(("key", "start", "end", "value"))


class WindowResultSerde:
    """JSON that reads back as :class:`WindowResult`: the serde a repartition
    right after a windowed aggregation uses (``group_by``, ``rekey``,
    ``repartition``), so the steps after it get window results, not dicts. Give
    it to a topic too, for an app that reads another's window results:
    ``app.topic("page-views", value=WindowResultSerde())``.

    >>> serde = WindowResultSerde()
    >>> serde.deserialize(serde.serialize(WindowResult("/home", 0, 10_000, 3)))
    WindowResult(key='/home', start=0, end=10000, value=3)
    """

    __slots__ = ("_json",)

    def __init__(self) -> None:
        self._json = JsonSerde()

    def serialize(self, obj: Any) -> bytes | None:
        return self._json.serialize(obj)

    def deserialize(self, data: bytes | None) -> WindowResult | None:
        fields = self._json.deserialize(data)
        if fields is None:
            return None
        try:
            return WindowResult(fields["key"], fields["start"], fields["end"], fields["value"])
        except (KeyError, TypeError):
            raise SerdeError(
                f"cannot decode a window result from {fields!r:.80}: expected an object with "
                "key, start, end and value (read this topic with the json serde instead)"
            ) from None

    def __repr__(self) -> str:
        return "WindowResultSerde()"
