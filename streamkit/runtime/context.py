"""The :class:`~streamkit.processor.ProcessorContext` a task gives each processor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from streamkit.log.errors import BrokerError, StreamkitError
from streamkit.log.records import Headers
from streamkit.processor import Cancellable, Message, Punctuation, SourceInfo, TaskId
from streamkit.runtime.punctuation import Schedule

if TYPE_CHECKING:
    from streamkit.runtime.task import StreamTask

ProcessFn = Callable[[Message], None]
ProcessFieldsFn = Callable[[Any, Any, int, Headers], None]


class FieldsProcessor:
    """Base of streamkit's own processors (the DSL's stateless steps, sinks) that
    also take a message's fields: ``process_fields(key, value, timestamp,
    headers)`` does what ``process(Message(key, value, timestamp, headers))``
    does. When one is the only receiver of an output, the task calls it without
    making a :class:`~streamkit.processor.Message`.

    ``process_fields`` tags its own failures (:class:`StepFailed` with its step's
    name, the context's ``name``) and lets its receivers' through, so a sender
    may call it directly, without :meth:`NodeContext.forward` in between."""

    __slots__ = ()

    def process_fields(self, key: Any, value: Any, timestamp: int, headers: Headers) -> None:
        raise NotImplementedError


class StepFailed(Exception):
    """A processor raised while processing a message; carries the step's name so
    its error policy applies."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"step {step!r} failed: {type(error).__name__}: {error}")
        self.step = step
        self.error = error


def call_step(process: ProcessFn, step: str, message: Message) -> None:
    """Run one processor on one message, tagging a failure with the step name."""
    try:
        process(message)
    except (StepFailed, BrokerError):
        raise
    except Exception as error:
        raise StepFailed(step, error) from error


class Downstream:
    """The processors receiving one output of a node, precompiled for the hot path."""

    __slots__ = ("only_fields", "only_process", "only_step", "targets")

    def __init__(self) -> None:
        self.targets: list[tuple[ProcessFn, str]] = []
        # The receiver when there is exactly one (the common case), which
        # NodeContext.forward calls directly, by fields when it can.
        self.only_process: ProcessFn | None = None
        self.only_fields: ProcessFieldsFn | None = None
        self.only_step = ""

    def connect(self, processor: Any, step: str) -> None:
        """Add a receiver."""
        self.targets.append((processor.process, step))
        only = len(self.targets) == 1
        fields = processor.process_fields if isinstance(processor, FieldsProcessor) else None
        self.only_process, self.only_fields = (processor.process, fields) if only else (None, None)
        self.only_step = step if only else ""

    def send(self, message: Message) -> None:
        for process, step in self.targets:
            call_step(process, step, message)


class NodeContext:
    """The context of one processor in one task."""

    __slots__ = ("_default", "_outputs", "_task", "name")

    def __init__(self, task: StreamTask, name: str) -> None:
        self._task = task
        self.name = name
        self._outputs: dict[str | None, Downstream] = {None: Downstream()}
        self._default = self._outputs[None]

    def output(self, name: str | None) -> Downstream:
        downstream = self._outputs.get(name)
        if downstream is None:
            downstream = self._outputs[name] = Downstream()
        return downstream

    @property
    def app_name(self) -> str:
        return self._task.app_name

    @property
    def task_id(self) -> TaskId:
        return self._task.task_id

    @property
    def stream_time(self) -> int:
        return self._task.stream_time

    def advance_stream_time(self, time_ms: int) -> None:
        task = self._task
        task.stream_time = max(task.stream_time, time_ms)

    @property
    def source(self) -> SourceInfo:
        return self._task.source_info()

    def forward(
        self,
        key: Any,
        value: Any,
        timestamp: int | None = None,
        headers: Headers | None = None,
        *,
        to: str | None = None,
    ) -> None:
        task = self._task
        if timestamp is None:
            timestamp = task.current_timestamp
        if headers is None:
            headers = task.current_headers
        if to is None:
            default = self._default
            try:  # call_step(), inlined: this is every message's path between processors
                if default.only_fields is not None:
                    default.only_fields(key, value, timestamp, headers)
                    return
                if default.only_process is not None:
                    default.only_process(Message(key, value, timestamp, headers))
                    return
            except (StepFailed, BrokerError):
                raise
            except Exception as error:
                raise StepFailed(default.only_step, error) from error
            default.send(Message(key, value, timestamp, headers))
            return
        message = Message(key, value, timestamp, headers)
        downstream = self._outputs.get(to)
        if downstream is not None:
            downstream.send(message)
        elif to not in task.declared_outputs(self.name):
            raise StreamkitError(
                f"step {self.name!r} forwarded to output {to!r}, which it did not declare: "
                "list it in outputs=(...) when adding the processor"
            )

    def forward_fields(self) -> ProcessFieldsFn:
        """``forward`` to the default output taking all four fields: the only
        receiver's ``process_fields`` when it is a :class:`FieldsProcessor`
        (which tags its own failures), else :meth:`forward`. Valid from init on,
        once the task has wired its outputs."""
        only = self._default.only_fields
        return only if only is not None else self.forward

    def get_store(self, name: str) -> Any:
        return self._task.get_store(name, self.name)

    def schedule(
        self, interval_ms: int, kind: Punctuation, callback: Callable[[int], None]
    ) -> Cancellable:
        if interval_ms <= 0:
            raise StreamkitError(f"punctuation interval must be > 0 ms, got {interval_ms}")
        start = self._task.stream_time if kind is Punctuation.STREAM_TIME else None
        schedule = Schedule(interval_ms, kind, callback, None)
        if kind is Punctuation.STREAM_TIME and start is not None and start >= 0:
            schedule.next_ms = start + interval_ms
        elif kind is Punctuation.WALL_CLOCK:
            schedule.next_ms = self._task.clock() + interval_ms
        return self._task.punctuator.add(schedule)

    def on_checkpoint(self, callback: Callable[[], None]) -> None:
        self._task.checkpoint_callbacks.append(callback)

    def count(self, metric: str, amount: int = 1) -> None:
        self._task.metrics.count(metric, amount)
