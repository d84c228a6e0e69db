"""The processors behind the DSL's stateless steps. They are ordinary
:class:`~streamkit.processor.Processor` implementations, exactly what a user's
own ``stream.process(...)`` step would be."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from streamkit.processor import Message, ProcessorContext

MessageFn = Callable[[Message], Any]


class _Step:
    __slots__ = ("context", "forward")

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.forward = context.forward

    def close(self) -> None:
        pass


class MapValues(_Step):
    """Replace each value with ``fn(...)``; the key stays."""

    __slots__ = ("fn",)

    def __init__(self, fn: MessageFn) -> None:
        self.fn = fn

    def process(self, message: Message) -> None:
        self.forward(message.key, self.fn(message), message.timestamp, message.headers)


class SelectKey(_Step):
    """Replace each key with ``fn(...)``; the value stays."""

    __slots__ = ("fn",)

    def __init__(self, fn: MessageFn) -> None:
        self.fn = fn

    def process(self, message: Message) -> None:
        self.forward(self.fn(message), message.value, message.timestamp, message.headers)


class Filter(_Step):
    """Keep messages for which ``fn(...)`` is true."""

    __slots__ = ("fn",)

    def __init__(self, fn: MessageFn) -> None:
        self.fn = fn

    def process(self, message: Message) -> None:
        if self.fn(message):
            self.forward(message.key, message.value, message.timestamp, message.headers)


class FlatMapValues(_Step):
    """Forward each value of the iterable ``fn(...)`` returns, with the same key."""

    __slots__ = ("fn",)

    def __init__(self, fn: MessageFn) -> None:
        self.fn = fn

    def process(self, message: Message) -> None:
        key, ts, headers, forward = message.key, message.timestamp, message.headers, self.forward
        for value in self.fn(message):
            forward(key, value, ts, headers)


class Peek(_Step):
    """Call ``fn(...)`` and forward the message unchanged."""

    __slots__ = ("fn",)

    def __init__(self, fn: MessageFn) -> None:
        self.fn = fn

    def process(self, message: Message) -> None:
        self.fn(message)
        self.forward(message.key, message.value, message.timestamp, message.headers)


class ForEach(_Step):
    """Call ``fn(...)``; forward nothing (a terminal step)."""

    __slots__ = ("fn",)

    def __init__(self, fn: MessageFn) -> None:
        self.fn = fn

    def process(self, message: Message) -> None:
        self.fn(message)


class PassThrough(_Step):
    """Forward every message unchanged (merge points, table-to-stream)."""

    __slots__ = ()

    def process(self, message: Message) -> None:
        self.forward(message.key, message.value, message.timestamp, message.headers)


class Split(_Step):
    """Forward each message to the output of the first predicate it satisfies, else
    to ``default`` (if any)."""

    __slots__ = ("branches", "default")

    def __init__(self, branches: Sequence[tuple[str, MessageFn]], default: str | None) -> None:
        self.branches = tuple(branches)
        self.default = default

    def process(self, message: Message) -> None:
        for name, predicate in self.branches:
            if predicate(message):
                self.forward(message.key, message.value, message.timestamp, message.headers,
                             to=name)
                return
        if self.default is not None:
            self.forward(message.key, message.value, message.timestamp, message.headers,
                         to=self.default)
