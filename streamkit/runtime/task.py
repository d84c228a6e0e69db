"""A task: the processors of one sub-topology for one partition, and their state.

The per-record path is: :meth:`StreamTask.process` → the source's compiled
decode-and-forward function → each processor's ``process`` (streamkit's own
steps by ``process_fields``, without a Message, when they are their sender's
only receiver) → sinks, which serialize and hand the bytes to the worker's sender.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from streamkit.log.errors import BrokerError
from streamkit.log.records import Headers, Record, TopicPartition
from streamkit.processor import Message, Processor, SourceInfo, TaskId
from streamkit.runtime import metrics as m
from streamkit.runtime.context import FieldsProcessor, NodeContext, StepFailed
from streamkit.runtime.errors.dead_letter import DeadLetterWriter, SendFn, dead_letter_topic
from streamkit.runtime.errors.policy import ErrorPolicy, OnError, ProcessingStopped
from streamkit.runtime.punctuation import Punctuator
from streamkit.runtime.task_state import TaskState
from streamkit.runtime.topology import (
    Node,
    ProcessorNode,
    SinkNode,
    SourceNode,
    SubTopology,
    TopicSpec,
    TopologyError,
)
from streamkit.serde.errors import SchemaRegistryUnavailable

log = logging.getLogger("streamkit.task")


_IMMUTABLE_KEYS = frozenset((str, bytes, int, type(None)))
"""Key types whose serialized bytes a sink may reuse for the same object."""
_NO_KEY = object()


class SinkProcessor(FieldsProcessor):
    """Serializes messages with a topic's serdes and sends them.

    Consecutive records often share their key (a windowed aggregation emits
    every window of a key in turn): the bytes of the last key are reused when
    the same immutable key object comes again.
    """

    __slots__ = ("_key", "_key_bytes", "_last_key", "_send", "_step", "_topic", "_value")

    def __init__(self, topic: TopicSpec, send: SendFn) -> None:
        self._topic = topic.name
        self._key = topic.key_serde.serialize
        self._value = topic.value_serde.serialize
        self._send = send
        self._step = ""
        self._last_key: Any = _NO_KEY
        self._key_bytes: bytes | None = None

    def init(self, context: Any) -> None:
        self._step = context.name

    def process(self, message: Message) -> None:
        self.process_fields(message.key, message.value, message.timestamp, message.headers)

    def process_fields(self, key: Any, value: Any, timestamp: int, headers: Headers) -> None:
        try:
            if key is not self._last_key:
                self._key_bytes = self._key(key)
                self._last_key = key if type(key) in _IMMUTABLE_KEYS else _NO_KEY
            self._send(self._topic, self._value(value), self._key_bytes, None, timestamp, headers)
        except (StepFailed, BrokerError):
            raise
        except Exception as error:
            raise StepFailed(self._step, error) from error

    def close(self) -> None:
        pass


def _source_runner(task: StreamTask, node: SourceNode, topic: TopicSpec,
                   context: NodeContext) -> Callable[[Record], None]:
    """Compile the decode-and-forward function of one source topic."""
    decode_key = topic.key_serde.deserialize
    decode_value = topic.value_serde.deserialize
    extract = node.timestamp
    forward = context.forward_fields()
    step = node.name

    def decode(record: Record) -> tuple[Any, Any, int]:
        key = decode_key(record.key)
        value = decode_value(record.value)
        return key, value, record.timestamp if extract is None else extract(
            key, value, record.timestamp)

    def decode_when_registry_answers(record: Record) -> tuple[Any, Any, int]:
        # The record is fine; the registry is not: wait for it rather than
        # dead-letter a good record (nothing is committed past it meanwhile).
        attempt = 0
        while True:
            attempt += 1
            try:
                return decode(record)
            except SchemaRegistryUnavailable as error:
                delay = task.error_policy.backoff_for(min(attempt, 10))
                log.warning("task %s: schema registry unavailable (%s); retrying %s[%d]@%d "
                            "in %.1fs", task.task_id, error, record.topic, record.partition,
                            record.offset, delay)
                task._sleep(delay)

    def run(record: Record) -> None:
        try:
            key = decode_key(record.key)
            value = decode_value(record.value)
            ts = record.timestamp if extract is None else extract(key, value, record.timestamp)
        except SchemaRegistryUnavailable:
            try:
                key, value, ts = decode_when_registry_answers(record)
            except Exception as error:
                raise StepFailed(step, error) from error
        except Exception as error:
            raise StepFailed(step, error) from error
        task.current_timestamp = ts
        task.current_headers = record.headers
        if ts > task.stream_time:  # noqa: PLR1730 - a comparison, not max(): once per record
            task.stream_time = ts
        forward(key, value, ts, record.headers)

    return run


class StreamTask:
    """Task ``task_id``: one instance of every processor of its sub-topology."""

    def __init__(
        self,
        app_name: str,
        task_id: TaskId,
        subtopology: SubTopology,
        state: TaskState,
        send: SendFn,
        *,
        error_policy: ErrorPolicy,
        clock: Callable[[], int] = lambda: int(time.time() * 1000),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app_name = app_name
        self.task_id = task_id
        self.subtopology = subtopology
        self.state = state
        self.clock = clock
        self._sleep = sleep
        self._send = send
        self.error_policy = error_policy
        self.stream_time = -1
        self.restored_stream_time = -1  # as committed when the task was created
        self.current_timestamp = -1
        self.current_headers: Headers = ()
        self.current_record: Record | None = None
        self.processed = 0
        self.metrics = m.TaskMetrics()
        self.punctuator = Punctuator()
        self.checkpoint_callbacks: list[Callable[[], None]] = []
        self.consumed: dict[tuple[str, int], int] = {}  # next offset to read, per partition
        self._dead_letters = DeadLetterWriter(send)
        self._processors: list[tuple[str, Processor]] = []
        self._sources: dict[str, Callable[[Record], None]] = {}
        self._policies: dict[str, ErrorPolicy] = {}
        self._outputs: dict[str, tuple[str, ...]] = {}
        self._initialized = False

    # -- lifecycle -------------------------------------------------------------------

    def init(self) -> None:
        """Create and wire the processors (call after the state is restored)."""
        contexts: dict[str, NodeContext] = {}
        processors: dict[str, Processor] = {}
        sub = self.subtopology
        for node in sub.nodes:
            contexts[node.name] = NodeContext(self, node.name)
            processor = self._make_processor(node)
            if processor is not None:
                self._processors.append((node.name, processor))
                processors[node.name] = processor
            if isinstance(node, (SourceNode, ProcessorNode)) and node.error_policy is not None:
                self._policies[node.name] = node.error_policy
            if isinstance(node, ProcessorNode):
                self._outputs[node.name] = node.outputs
        for node in sub.nodes:
            for output, children in node.children.items():
                downstream = contexts[node.name].output(output)
                for child in children:
                    downstream.connect(processors[child.name], child.name)
        for node in sub.sources:
            for topic in node.topics:
                self._sources[topic.name] = _source_runner(self, node, topic, contexts[node.name])
        for name, processor in self._processors:
            processor.init(contexts[name])
        self._initialized = True

    def _make_processor(self, node: Node) -> Processor | None:
        if isinstance(node, ProcessorNode):
            assert node.supplier is not None
            return node.supplier()
        if isinstance(node, SinkNode):
            assert node.topic is not None
            return SinkProcessor(node.topic, self._send)
        return None

    def close(self) -> None:
        """Close the processors (state is closed by the owner of the task)."""
        for name, processor in self._processors:
            try:
                processor.close()
            except Exception:  # closing must go on for the other processors
                log.exception("task %s: closing step %r failed", self.task_id, name)
        self._processors.clear()

    # -- processing ------------------------------------------------------------------

    def process(self, record: Record) -> None:
        """Process one record of one of the task's source partitions."""
        self.current_record = record
        try:
            self._sources[record.topic](record)
        except StepFailed as failure:
            self._on_failure(record, failure)
        self.consumed[(record.topic, record.partition)] = record.offset + 1
        self.processed += 1
        if self.stream_time >= self.punctuator.next_stream_ms:
            self._punctuate(self.punctuator.fire_stream, self.stream_time)

    def punctuate_wall_clock(self, now_ms: int) -> None:
        """Fire the wall-clock schedules that are due."""
        if self.punctuator.wall:
            self.current_record = None
            self._punctuate(self.punctuator.fire_wall, now_ms)

    def _punctuate(self, fire: Callable[[int], None], now_ms: int) -> None:
        self.current_timestamp = now_ms
        self.current_headers = ()
        try:
            fire(now_ms)
        except Exception as error:  # noqa: BLE001 - routed by the error policy below
            step = error.step if isinstance(error, StepFailed) else None
            failure = error.error if isinstance(error, StepFailed) else error
            policy = self._policies.get(step, self.error_policy) if step else self.error_policy
            if policy.action is OnError.STOP:
                raise ProcessingStopped(
                    f"task {self.task_id}: punctuation failed: {failure}") from failure
            self.metrics.count(m.PUNCTUATION_ERRORS)
            log.error("task %s: punctuation failed: %r", self.task_id, failure)

    def _on_failure(self, record: Record, failure: StepFailed) -> None:
        policy = self._policies.get(failure.step, self.error_policy)
        if policy.action is OnError.RETRY:
            for attempt in range(1, policy.attempts):
                self._sleep(policy.backoff_for(attempt))
                self.metrics.count(m.RETRIED)
                try:
                    self._sources[record.topic](record)
                    return
                except StepFailed as again:
                    failure = again
        if policy.action is OnError.STOP:
            raise ProcessingStopped(
                f"record {record.topic}[{record.partition}]@{record.offset} failed in step "
                f"{failure.step!r} and the error policy is 'stop': {failure.error}"
            ) from failure.error
        if policy.action is OnError.SKIP:
            self.metrics.count(m.SKIPPED)
            log.warning("skipped %s[%d]@%d: %s", record.topic, record.partition,
                        record.offset, failure)
            return
        topic = dead_letter_topic(self.app_name, policy.dead_letter_topic)
        self._dead_letters.write(topic, record, failure.error, failure.step)
        self.metrics.count(m.DEAD_LETTERED)
        log.warning("dead-lettered %s[%d]@%d to %r: %s", record.topic, record.partition,
                    record.offset, topic, failure)

    # -- what processors see -------------------------------------------------------

    def source_info(self) -> SourceInfo:
        record = self.current_record
        if record is None:
            return SourceInfo(None, None, None)
        return SourceInfo(record.topic, record.partition, record.offset)

    def get_store(self, name: str, step: str) -> Any:
        if name not in self.subtopology.stores:
            raise TopologyError(
                f"step {step!r} asked for store {name!r}, which no step of its sub-topology "
                "declares: pass it in stores=(...) when adding the processor"
            )
        return self.state.get_store(name)

    def declared_outputs(self, step: str) -> tuple[str, ...]:
        return self._outputs.get(step, ())

    # -- checkpoints -----------------------------------------------------------------

    def before_checkpoint(self) -> None:
        """Run the processors' on-checkpoint callbacks (they may write state)."""
        for callback in self.checkpoint_callbacks:
            callback()

    def source_partitions(self) -> list[TopicPartition]:
        """The partitions this task reads (partition n of each source topic)."""
        n = self.task_id.partition
        return [TopicPartition(topic.name, n) for topic in self.subtopology.source_topics]

    def offsets(self) -> dict[TopicPartition, int]:
        """Next offset to read of each source partition this task has processed."""
        return {TopicPartition(t, p): o for (t, p), o in self.consumed.items()}

    def metrics_snapshot(self) -> dict[str, int]:
        snap = self.metrics.snapshot()
        snap[m.PROCESSED] = self.processed
        return snap
