"""The processors behind the DSL's stateless steps. They are ordinary
:class:`~streamkit.processor.Processor` implementations, exactly what a user's
own ``stream.process(...)`` step would be, plus ``process_fields``: the same
step taking a message's fields, which the task calls instead of ``process``
when it can forward without making a :class:`~streamkit.processor.Message`
(see :class:`streamkit.runtime.context.Downstream`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from streamkit.log.errors import BrokerError
from streamkit.log.records import Headers
from streamkit.processor import Message, ProcessorContext
from streamkit.runtime.context import FieldsProcessor, NodeContext, StepFailed

MessageFn = Callable[[Message], Any]


class _Step:
    __slots__ = ("context", "forward", "step")
    forward: Callable[..., None]

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.forward = context.forward
        self.step = getattr(context, "name", "")

    def close(self) -> None:
        pass


# What a function step forwards, given the function's answer: module constants,
# not an Enum, whose member look-up (0.2 us) would cost more than the test.
ANSWER = "the answer as the value"  # map
ANSWER_AS_KEY = "the answer as the key"  # select_key
EACH_ANSWER = "each value of the answer"  # flat_map
IF_TRUE = "the message, if the answer is true"  # filter
MESSAGE = "the message"  # peek
NOTHING = "nothing"  # foreach


class _FnStep(_Step, FieldsProcessor):
    """A step around one user function: ``fn(message)``, or ``fn(value)`` when
    ``on_value`` (a function of the value alone, called without a Message).
    Subclasses say what it forwards (``forwards``, one of the constants above).

    The function is called inline and its failures are tagged with the step (see
    :class:`FieldsProcessor`); forwarding goes straight to the receiver when it
    can (:meth:`NodeContext.forward_fields`): a message through a chain of steps
    pays no call between them."""

    __slots__ = ("fn", "on_value")
    forwards: str  # one of the constants above

    def __init__(self, fn: Callable[..., Any], on_value: bool = False) -> None:
        self.fn = fn
        self.on_value = on_value

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        if isinstance(context, NodeContext):
            self.forward = context.forward_fields()

    def process(self, message: Message) -> None:
        self.process_fields(message.key, message.value, message.timestamp, message.headers)

    def process_fields(self, key: Any, value: Any, timestamp: int, headers: Headers) -> None:
        forwards = self.forwards
        try:
            answer = self.fn(value) if self.on_value else self.fn(
                Message(key, value, timestamp, headers))
            if forwards is EACH_ANSWER:
                answer = list(answer)  # a failing iterable forwards nothing
        except (StepFailed, BrokerError):
            raise
        except Exception as error:
            raise StepFailed(self.step, error) from error
        if forwards is ANSWER:
            self.forward(key, answer, timestamp, headers)
        elif forwards is MESSAGE or (forwards is IF_TRUE and answer):
            self.forward(key, value, timestamp, headers)
        elif forwards is ANSWER_AS_KEY:
            self.forward(answer, value, timestamp, headers)
        elif forwards is EACH_ANSWER:
            forward = self.forward
            for each in answer:
                forward(key, each, timestamp, headers)


class MapValues(_FnStep):
    """Replace each value with ``fn(...)``; the key stays."""

    __slots__ = ()
    forwards = ANSWER


class SelectKey(_FnStep):
    """Replace each key with ``fn(...)``; the value stays."""

    __slots__ = ()
    forwards = ANSWER_AS_KEY


class Filter(_FnStep):
    """Keep messages for which ``fn(...)`` is true."""

    __slots__ = ()
    forwards = IF_TRUE


class FlatMapValues(_FnStep):
    """Forward each value of the iterable ``fn(...)`` returns, with the same key."""

    __slots__ = ()
    forwards = EACH_ANSWER


class Peek(_FnStep):
    """Call ``fn(...)`` and forward the message unchanged."""

    __slots__ = ()
    forwards = MESSAGE


class ForEach(_FnStep):
    """Call ``fn(...)``; forward nothing (a terminal step)."""

    __slots__ = ()
    forwards = NOTHING


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
