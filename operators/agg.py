"""Aggregations: folds of a stream's values into one result per key (and window).

Every aggregation implements :class:`streamkit.processor.Aggregator`
(``initialize``/``add``/``result``/``merge``) and keeps a JSON-serializable
accumulator, so it can live in any state store. The same objects work with
``stream.group_by(...).aggregate(agg)`` and with windows.

>>> a = mean("amount")
>>> acc = a.initialize()
>>> for v in [{"amount": 2}, {"amount": 4}]:
...     acc = a.add(acc, v)
>>> a.result(acc)
3.0

A custom aggregation is four functions (or a subclass of :class:`Aggregation`):

>>> def longer(a, b):
...     return b if len(b) > len(a) else a
>>> longest = aggregator(initialize=lambda: "", add=longer, merge=longer)
>>> longest.result(longest.add(longest.add(longest.initialize(), "ab"), "c"))
'ab'
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from typing import Any

from operators.errors import InvalidAggregation

ValueFn = Callable[[Any], Any]
FieldOrFn = str | ValueFn | None


def _value_of(field_or_fn: FieldOrFn) -> ValueFn | None:
    """The function picking the aggregated value out of a record value: a dict
    key, a callable, or ``None`` for the value itself."""
    if field_or_fn is None:
        return None
    if isinstance(field_or_fn, str):
        return operator.itemgetter(field_or_fn)  # value[field], without a Python call
    if callable(field_or_fn):
        return field_or_fn
    raise InvalidAggregation(
        f"expected a field name, a function or None, got {field_or_fn!r}: "
        "pass e.g. sum('amount') or sum(lambda v: v['amount'])"
    )


class Aggregation:
    """Base class of the built-in aggregations; subclass it for your own.

    Override ``initialize``, ``add`` and ``merge``; ``result`` defaults to the
    accumulator itself. ``initialize`` must not return ``None`` (stores use
    ``None`` for "no window yet"), and accumulators must be JSON values.

    Set ``order_insensitive = True`` when the result does not depend on the order
    in which values were added, nor on how partial accumulators were grouped
    before ``merge`` (count, sum, min, max and mean; not collect, first, last).
    Hopping windows then keep one accumulator per step-long pane instead of one
    per window: a record costs one store write instead of ``size / step``. Its
    ``merge`` must then return a new accumulator, never change its arguments.
    For floating-point sums the grouping can change the last bits of a result.
    """

    order_insensitive: bool = False

    def initialize(self) -> Any:
        """A fresh accumulator."""
        raise NotImplementedError

    def add(self, accumulator: Any, value: Any) -> Any:
        """The accumulator after folding in ``value``."""
        raise NotImplementedError

    def result(self, accumulator: Any) -> Any:
        """The value emitted downstream."""
        return accumulator

    def merge(self, left: Any, right: Any) -> Any:
        """One accumulator from two (``left`` holds the earlier values)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Count(Aggregation):
    order_insensitive = True

    def initialize(self) -> int:
        return 0

    def add(self, accumulator: int, value: Any) -> int:
        return accumulator + 1

    def merge(self, left: int, right: int) -> int:
        return left + right


class _Sum(Aggregation):
    order_insensitive = True

    def __init__(self, value_of: ValueFn | None) -> None:
        self._value_of = value_of

    def initialize(self) -> int:
        return 0

    def add(self, accumulator: Any, value: Any) -> Any:
        return accumulator + (value if self._value_of is None else self._value_of(value))

    def merge(self, left: Any, right: Any) -> Any:
        return left + right


class _Extreme(Aggregation):
    """min or max; the accumulator is ``[]`` before the first value, else ``[best]``."""

    order_insensitive = True

    def __init__(self, value_of: ValueFn | None, pick: Callable[[Any, Any], Any]) -> None:
        self._value_of = value_of
        self._pick = pick

    def initialize(self) -> list[Any]:
        return []

    def add(self, accumulator: list[Any], value: Any) -> list[Any]:
        if self._value_of is not None:
            value = self._value_of(value)
        return [self._pick(accumulator[0], value)] if accumulator else [value]

    def result(self, accumulator: list[Any]) -> Any:
        return accumulator[0] if accumulator else None

    def merge(self, left: list[Any], right: list[Any]) -> list[Any]:
        if not left or not right:
            return left or right
        return [self._pick(left[0], right[0])]


class _Mean(Aggregation):
    """The accumulator is ``[sum, count]``; the result ``None`` when empty."""

    order_insensitive = True

    def __init__(self, value_of: ValueFn | None) -> None:
        self._value_of = value_of

    def initialize(self) -> list[Any]:
        return [0, 0]

    def add(self, accumulator: list[Any], value: Any) -> list[Any]:
        if self._value_of is not None:
            value = self._value_of(value)
        return [accumulator[0] + value, accumulator[1] + 1]

    def result(self, accumulator: list[Any]) -> float | None:
        return accumulator[0] / accumulator[1] if accumulator[1] else None

    def merge(self, left: list[Any], right: list[Any]) -> list[Any]:
        return [left[0] + right[0], left[1] + right[1]]


class _Reduce(Aggregation):
    """``fn(previous, value)``; the accumulator is ``[]`` or ``[reduced]``."""

    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self._fn = fn

    def initialize(self) -> list[Any]:
        return []

    def add(self, accumulator: list[Any], value: Any) -> list[Any]:
        return [self._fn(accumulator[0], value)] if accumulator else [value]

    def result(self, accumulator: list[Any]) -> Any:
        return accumulator[0] if accumulator else None

    def merge(self, left: list[Any], right: list[Any]) -> list[Any]:
        if not left or not right:
            return left or right
        return [self._fn(left[0], right[0])]


class _Collect(Aggregation):
    def __init__(self, value_of: ValueFn | None) -> None:
        self._value_of = value_of

    def initialize(self) -> list[Any]:
        return []

    def add(self, accumulator: list[Any], value: Any) -> list[Any]:
        # A new list, never in place: the store may still hold the old one as
        # committed state (e.g. to roll back an aborted transaction).
        return [*accumulator, value if self._value_of is None else self._value_of(value)]

    def merge(self, left: list[Any], right: list[Any]) -> list[Any]:
        return left + right


class _First(Aggregation):
    def __init__(self, value_of: ValueFn | None) -> None:
        self._value_of = value_of

    def initialize(self) -> list[Any]:
        return []

    def add(self, accumulator: list[Any], value: Any) -> list[Any]:
        if accumulator:
            return accumulator
        return [value if self._value_of is None else self._value_of(value)]

    def result(self, accumulator: list[Any]) -> Any:
        return accumulator[0] if accumulator else None

    def merge(self, left: list[Any], right: list[Any]) -> list[Any]:
        return left or right


class _Last(_First):
    def add(self, accumulator: list[Any], value: Any) -> list[Any]:
        return [value if self._value_of is None else self._value_of(value)]

    def merge(self, left: list[Any], right: list[Any]) -> list[Any]:
        return right or left


class _FunctionAggregation(Aggregation):
    def __init__(
        self,
        initialize: Callable[[], Any],
        add: Callable[[Any, Any], Any],
        merge: Callable[[Any, Any], Any] | None,
        result: Callable[[Any], Any] | None,
    ) -> None:
        self._initialize = initialize
        self._add = add
        self._merge = merge
        self._result = result

    def initialize(self) -> Any:
        return self._initialize()

    def add(self, accumulator: Any, value: Any) -> Any:
        return self._add(accumulator, value)

    def __repr__(self) -> str:
        return f"aggregator(add={getattr(self._add, '__name__', self._add)!s})"

    def result(self, accumulator: Any) -> Any:
        return accumulator if self._result is None else self._result(accumulator)

    def merge(self, left: Any, right: Any) -> Any:
        if self._merge is None:
            raise InvalidAggregation(
                "this aggregation was built without merge=, which session windows "
                "need to combine two sessions: pass aggregator(..., merge=fn)"
            )
        return self._merge(left, right)


def count() -> Aggregation:
    """The number of values."""
    return _Count()


def sum(field_or_fn: FieldOrFn = None) -> Aggregation:
    """The sum of the values, of ``value[field]`` or of ``fn(value)``; 0 when empty."""
    return _Sum(_value_of(field_or_fn))


def min(field_or_fn: FieldOrFn = None) -> Aggregation:
    """The smallest value (or ``value[field]``/``fn(value)``); ``None`` when empty."""
    return _Extreme(_value_of(field_or_fn), builtins.min)


def max(field_or_fn: FieldOrFn = None) -> Aggregation:
    """The largest value (or ``value[field]``/``fn(value)``); ``None`` when empty."""
    return _Extreme(_value_of(field_or_fn), builtins.max)


def mean(field_or_fn: FieldOrFn = None) -> Aggregation:
    """The arithmetic mean as a float; ``None`` when empty."""
    return _Mean(_value_of(field_or_fn))


def reduce(fn: Callable[[Any, Any], Any]) -> Aggregation:
    """``fn(fn(v1, v2), v3)...``: the first value, then ``fn(previous, value)``.

    ``fn`` also combines two partial results when session windows merge, so it
    should be associative (like ``max`` or ``operator.add``).
    """
    if not callable(fn):
        raise InvalidAggregation(f"reduce needs a function of (previous, value), got {fn!r}")
    return _Reduce(fn)


def collect(field_or_fn: FieldOrFn = None) -> Aggregation:
    """Every value (or ``value[field]``/``fn(value)``) in a list, in arrival order."""
    return _Collect(_value_of(field_or_fn))


def first(field_or_fn: FieldOrFn = None) -> Aggregation:
    """The first value to arrive; ``None`` when empty."""
    return _First(_value_of(field_or_fn))


def last(field_or_fn: FieldOrFn = None) -> Aggregation:
    """The latest value to arrive; ``None`` when empty."""
    return _Last(_value_of(field_or_fn))


def can_merge(aggregator: Any) -> bool:
    """Whether ``aggregator`` can combine two accumulators: a :class:`Aggregation`
    that overrides ``merge``, one built by :func:`aggregator` with ``merge=``, or
    any other object with a ``merge`` method.

    >>> can_merge(count()), can_merge(aggregator(initialize=list, add=list.__add__))
    (True, False)
    """
    if isinstance(aggregator, _FunctionAggregation):
        return aggregator._merge is not None
    if isinstance(aggregator, Aggregation):
        return type(aggregator).merge is not Aggregation.merge
    return callable(getattr(aggregator, "merge", None))


def require_merge(aggregator: Any, windows: str, why: str) -> None:
    """Raise :class:`InvalidAggregation` when ``aggregator`` cannot merge, which
    ``windows`` need (``why``): when the app is built, rather than when the
    first two partial accumulators meet, sending record after record to the
    dead letters."""
    if not can_merge(aggregator):
        raise InvalidAggregation(
            f"{aggregator!r:.80} has no merge(), which {windows} need ({why}): give it "
            "merge(left, right), returning a new accumulator that holds the values of "
            "both (agg.aggregator(..., merge=fn), or a merge method on your Aggregation)"
        )


def aggregator(
    *,
    initialize: Callable[[], Any],
    add: Callable[[Any, Any], Any],
    merge: Callable[[Any, Any], Any] | None = None,
    result: Callable[[Any], Any] | None = None,
    order_insensitive: bool = False,
) -> Aggregation:
    """A custom aggregation from plain functions.

    ``merge`` is only needed with session and sliding windows, and with
    ``order_insensitive=True`` (see :class:`Aggregation`); ``result`` defaults
    to the accumulator. Accumulators must be JSON values and never ``None``.
    """
    if order_insensitive and merge is None:
        raise InvalidAggregation(
            "order_insensitive=True folds hopping windows from partial accumulators, "
            "which needs merge=: pass aggregator(..., merge=fn, order_insensitive=True)"
        )
    aggregation = _FunctionAggregation(initialize, add, merge, result)
    aggregation.order_insensitive = order_insensitive
    return aggregation


__all__ = [
    "Aggregation",
    "aggregator",
    "collect",
    "count",
    "first",
    "last",
    "max",
    "mean",
    "min",
    "reduce",
    "sum",
]
