"""The value a windowed aggregation emits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, init=False)
class WindowResult:
    """The aggregate ``value`` of ``key`` over the half-open window
    ``[start, end)`` (ms since the epoch).

    >>> w = WindowResult("/home", 10_000, 20_000, 3)
    >>> {"page": w.key, "window_start": w.start, "window_end": w.end, "count": w.value}
    {'page': '/home', 'window_start': 10000, 'window_end': 20000, 'count': 3}
    >>> w.value = 4
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'value'
    """

    key: Any
    start: int
    end: int
    value: Any

    def __init__(self, key: Any, start: int, end: int, value: Any) -> None:
        # The dataclass's own frozen __init__ goes through object.__setattr__
        # by name, field by field: setting the slots directly is 2x cheaper, and
        # hopping windows in update mode make several results per record.
        _set_key(self, key)
        _set_start(self, start)
        _set_end(self, end)
        _set_value(self, value)

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "start", "end", "value"}``: a JSON-ready form."""
        return {"key": self.key, "start": self.start, "end": self.end, "value": self.value}


# The slot descriptors exist once @dataclass(slots=True) has built the class.
_set_key = vars(WindowResult)["key"].__set__
_set_start = vars(WindowResult)["start"].__set__
_set_end = vars(WindowResult)["end"].__set__
_set_value = vars(WindowResult)["value"].__set__
