"""User functions: a plain function takes the value; a function that asks for more
gets it. The signature is inspected once, when the topology is built, and
compiled into a call on a :class:`~streamkit.processor.Message`.

* parameters named only from ``key``, ``value``, ``timestamp``, ``headers`` get
  those fields, by name;
* otherwise by count: 1 → ``value``; 2 → ``(key, value)``;
  3 → ``(key, value, timestamp)``; 4 → ``(key, value, timestamp, headers)``.

>>> call = compile_call(lambda v: v + 1)
>>> call(Message("k", 1, 10))
2
>>> compile_call(lambda key, value: (key, value))(Message("k", 1, 10))
('k', 1)
>>> compile_call(lambda timestamp, value: timestamp)(Message("k", 1, 10))
10
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from streamkit.log.errors import StreamkitError
from streamkit.processor import Message

FIELDS = ("key", "value", "timestamp", "headers")


class FunctionSignatureError(StreamkitError, TypeError):
    """A user function's parameters cannot be matched to message fields."""


def wanted_fields(fn: Callable[..., Any], extra: int = 0) -> tuple[str, ...]:
    """The message fields ``fn`` asks for, in parameter order. ``extra`` trailing
    positional parameters are left for the caller (e.g. a table value)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: take the value
        return ("value",)
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return ("value",)
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
                  p.default is p.empty]
    if extra:
        positional = positional[: len(positional) - extra] if len(positional) >= extra else []
    names = [p.name for p in positional]
    if names and all(n in FIELDS for n in names) and len(set(names)) == len(names):
        return tuple(names)
    by_count = {0: (), 1: ("value",), 2: ("key", "value"), 3: ("key", "value", "timestamp"),
                4: FIELDS}
    if len(names) not in by_count:
        raise FunctionSignatureError(
            f"{getattr(fn, '__qualname__', fn)!r} takes {len(names)} parameters: a step "
            "function takes the value, or (key, value), or parameters named from "
            "key, value, timestamp, headers"
        )
    return by_count[len(names)]


def compile_call(fn: Callable[..., Any]) -> Callable[[Message], Any]:
    """``fn`` as a function of a message (see the module docstring)."""
    fields = wanted_fields(fn)
    if fields == ("value",):
        return lambda m: fn(m.value)
    if fields == ("key", "value"):
        return lambda m: fn(m.key, m.value)
    if fields == ("key",):
        return lambda m: fn(m.key)
    if fields == ():
        return lambda m: fn()
    getters = [_getter(f) for f in fields]
    return lambda m: fn(*[g(m) for g in getters])


def compile_step_call(fn: Callable[..., Any]) -> tuple[Callable[..., Any], bool]:
    """What a step calls, and whether on the value alone: ``(fn, True)`` when ``fn``
    takes only the value (the step calls ``fn(value)`` directly), else
    ``(compile_call(fn), False)``.

    >>> compile_step_call(len)
    (<built-in function len>, True)
    >>> compile_step_call(lambda key, value: key)[1]
    False
    """
    if wanted_fields(fn) == ("value",):
        return fn, True
    return compile_call(fn), False


def compile_call_with(fn: Callable[..., Any]) -> Callable[[Message, Any], Any]:
    """Like :func:`compile_call` for a function that takes one more, last argument
    (e.g. a joined table value): ``fn(value, other)``, ``fn(key, value, other)``..."""
    fields = wanted_fields(fn, extra=1)
    if fields == ("value",) or fields == ():
        return lambda m, other: fn(m.value, other)
    if fields == ("key", "value"):
        return lambda m, other: fn(m.key, m.value, other)
    getters = [_getter(f) for f in fields]
    return lambda m, other: fn(*[g(m) for g in getters], other)


MAX_TIMESTAMP = 2**63 - 1
"""Kafka's largest timestamp (a signed 64-bit count of ms)."""


class InvalidTimestamp(StreamkitError, ValueError):
    """A timestamp extractor returned something that is not a time in ms; the
    record goes to the dead letters with this message.

    >>> print(InvalidTimestamp(lambda v: v["ts"], "2026-01-01"))  # doctest: +ELLIPSIS
    the timestamp extractor <lambda> returned '2026-01-01' (str): return ... an int ...
    """

    def __init__(self, fn: Callable[..., Any], returned: Any) -> None:
        super().__init__(
            f"the timestamp extractor {getattr(fn, '__name__', fn)!s:.60} returned "
            f"{returned!r:.60} ({type(returned).__name__}): return milliseconds since the "
            "epoch as an int (or a float), within Kafka's signed 64-bit range, e.g. "
            "int(datetime.fromisoformat(text).timestamp() * 1000) for an ISO 8601 string"
        )


def _milliseconds(fn: Callable[..., Any], returned: Any) -> int:
    """``returned`` as an int of ms (numbers and numeric strings, as ``int()``
    reads them), or :class:`InvalidTimestamp`. Negative times pass: windows send
    them to their late output, as Kafka Streams drops them."""
    try:
        ms = int(returned)
    except (TypeError, ValueError, OverflowError):
        raise InvalidTimestamp(fn, returned) from None
    if ms > MAX_TIMESTAMP or ms < -MAX_TIMESTAMP or isinstance(returned, bool):
        raise InvalidTimestamp(fn, returned)
    return ms


def compile_extractor(fn: Callable[..., Any]) -> Callable[[Any, Any, int], int]:
    """A timestamp extractor as ``(key, value, record_timestamp) -> ms``; a plain
    function takes the value.

    >>> compile_extractor(lambda v: v["ts"])("k", {"ts": 1_500.7}, 0)
    1500
    >>> compile_extractor(lambda v: v["ts"])("k", {"ts": None}, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    streamkit.dsl.functions.InvalidTimestamp: the timestamp extractor <lambda> returned None ...
    """
    fields = wanted_fields(fn)
    if fields == ("value",):
        return lambda key, value, ts: _milliseconds(fn, fn(value))
    call = compile_call(fn)
    return lambda key, value, ts: _milliseconds(fn, call(Message(key, value, ts)))


def _getter(field: str) -> Callable[[Message], Any]:
    return lambda m: getattr(m, field)
