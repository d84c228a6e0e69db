"""Stateful DSL steps over a key-value store: running aggregations, materialized
tables and stream–table lookups. Written on the processor API like any operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamkit.log.errors import StreamkitError
from streamkit.processor import (
    Aggregator,
    KeyValueStore,
    Message,
    NoneAccumulator,
    ProcessorContext,
)

NULL_KEY_DROPPED = "null_key_dropped"

AGGREGATOR_METHODS = ("initialize", "add", "result")
"""What every :class:`~streamkit.processor.Aggregator` needs; ``merge`` is
needed only where partial accumulators meet (session and sliding windows,
hopping windows folded into panes), which the window spec checks."""


def check_aggregator(aggregator: object) -> None:
    """Raise a :class:`StreamkitError` that says what to pass when
    ``aggregator`` lacks one of :data:`AGGREGATOR_METHODS`: at the line that
    builds the app, rather than on every record, each sent to the dead letters.

    >>> check_aggregator(Count())
    >>> check_aggregator(len)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    streamkit.log.errors.StreamkitError: <built-in function len> is not an aggregator: it has no initialize(), add() or result()...
    """
    missing = [f"{name}()" for name in AGGREGATOR_METHODS
               if not callable(getattr(aggregator, name, None))]
    if missing:
        names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} or {missing[-1]}"
        raise StreamkitError(
            f"{aggregator!r:.80} is not an aggregator: it has no {names}. Pass an "
            "aggregation such as operators.agg.count() (with the parentheses) or "
            "agg.aggregator(initialize=..., add=...), or an object with initialize(), "
            "add(accumulator, value) and result(accumulator)"
        )


class Count:
    """Counts values: the aggregator behind ``grouped.count()``.

    >>> c = Count(); c.result(c.add(c.add(c.initialize(), "a"), "b"))
    2

    Counts add up whatever the order or grouping, so hopping windows fold it
    into panes (``operators.pane_aggregate``), as they do ``operators.agg.count()``.
    """

    order_insensitive = True

    def initialize(self) -> int:
        return 0

    def add(self, accumulator: int, value: Any) -> int:
        return accumulator + 1

    def result(self, accumulator: int) -> int:
        return accumulator

    def merge(self, left: int, right: int) -> int:
        return left + right

    def __repr__(self) -> str:
        return "count()"


def not_none(value: Any) -> bool:
    """Whether a reduce takes ``value``: not ``None``, as Kafka Streams' ``reduce``
    skips null values. So ``fn`` never sees one, and a reduce's accumulator is
    ``None`` only before its first value, which a window store needs (it reads
    ``None`` as "no window")."""
    return value is not None


class Reduce:
    """Folds values with ``fn(accumulated, value)``: the aggregator behind
    ``grouped.reduce(fn)`` and ``window(...).reduce(fn)``, which drop ``None``
    values before it (see :func:`not_none`). The first value is the first
    accumulator.

    >>> r = Reduce(max); r.result(r.add(r.add(r.initialize(), 3), 1))
    3
    """

    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        if not callable(fn):
            raise StreamkitError(f"reduce needs a function of (accumulated, value), got {fn!r:.80}")
        self.fn = fn

    def initialize(self) -> Any:
        return None

    def add(self, accumulator: Any, value: Any) -> Any:
        return value if accumulator is None else self.fn(accumulator, value)

    def result(self, accumulator: Any) -> Any:
        return accumulator

    def merge(self, left: Any, right: Any) -> Any:
        if left is None:
            return right
        return left if right is None else self.fn(left, right)

    def __repr__(self) -> str:
        return f"reduce({getattr(self.fn, '__name__', self.fn)!s})"


class AggregateByKey:
    """Keeps one accumulator per key in a key-value store and forwards
    ``(key, result)`` on every update: a table's change stream."""

    def __init__(self, aggregator: Aggregator, store_name: str) -> None:
        self.aggregator = aggregator
        self.store_name = store_name

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store: KeyValueStore = context.get_store(self.store_name)

    def process(self, message: Message) -> None:
        key = message.key
        if key is None:  # an aggregate needs a key: counted, never silently dropped
            self.context.count(NULL_KEY_DROPPED)
            return
        agg = self.aggregator
        accumulator = self.store.get(key)
        if accumulator is None:
            accumulator = agg.initialize()
        accumulator = agg.add(accumulator, message.value)
        if accumulator is None:  # put(key, None) would delete the key's state
            raise NoneAccumulator(agg, "add")
        self.store.put(key, accumulator)
        self.context.forward(key, agg.result(accumulator), message.timestamp, message.headers)

    def close(self) -> None:
        pass


class Materialize:
    """Stores the latest value per key (a tombstone deletes) and forwards it."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store: KeyValueStore = context.get_store(self.store_name)

    def process(self, message: Message) -> None:
        if message.key is None:
            self.context.count(NULL_KEY_DROPPED)
            return
        if message.value is None:
            self.store.delete(message.key)
        else:
            self.store.put(message.key, message.value)
        self.context.forward(message.key, message.value, message.timestamp, message.headers)

    def close(self) -> None:
        pass


class JoinTable:
    """Looks each message's key up in a table's store and forwards
    ``joiner(message, table_value)``. Inner: messages without a match are dropped
    (counted as ``join_misses``); left: joined with ``None``."""

    def __init__(self, store_name: str, joiner: Callable[[Message, Any], Any],
                 left: bool) -> None:
        self.store_name = store_name
        self.joiner = joiner
        self.left = left

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store: KeyValueStore = context.get_store(self.store_name)

    def process(self, message: Message) -> None:
        other = None if message.key is None else self.store.get(message.key)
        if other is None and not self.left:
            self.context.count("join_misses")
            return
        self.context.forward(message.key, self.joiner(message, other), message.timestamp,
                             message.headers)

    def close(self) -> None:
        pass
