"""The value a windowed aggregation emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
