"""The processor API: the single way anything runs in streamkit.

The DSL (:mod:`streamkit.dsl`) only builds a graph of processors; the runtime
drives them. Built-in operators (the ``operators`` package) are written only
against this module, exactly as a user's own processor would be:

>>> class Doubler:
...     def init(self, context: "ProcessorContext") -> None:
...         self.context = context
...     def process(self, message: "Message") -> None:
...         self.context.forward(message.key, message.value * 2)
...     def close(self) -> None:
...         pass

A processor that needs state declares it with :class:`StoreSpec` when it is added
to a topology, and reaches it by name through :meth:`ProcessorContext.get_store`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from streamkit.log.errors import StreamkitError
from streamkit.log.records import Headers


@dataclass(frozen=True, slots=True, order=True)
class TaskId:
    """Task *partition* of sub-topology *subtopology*: it owns that partition of
    each of the sub-topology's source topics and the state stores for it."""

    subtopology: int
    partition: int

    def __str__(self) -> str:
        return f"{self.subtopology}_{self.partition}"


@dataclass(slots=True)
class Message:
    """What flows between processors: a deserialized key and value, the event
    time in ms, and headers."""

    key: Any
    value: Any
    timestamp: int
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where the message being processed came from (for dead letters and
    provenance); ``None`` fields when it was produced by a punctuation."""

    topic: str | None
    partition: int | None
    offset: int | None


class Punctuation(enum.Enum):
    """What drives a scheduled callback."""

    STREAM_TIME = "stream_time"  # fires as the task's stream time passes each interval
    WALL_CLOCK = "wall_clock"  # fires on the system clock, even without input


class StoreKind(enum.Enum):
    KEY_VALUE = "key_value"
    WINDOW = "window"


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """A state store a processor needs. One instance exists per task.

    ``persistent`` picks RocksDB (else in-memory); ``logged`` backs it with a
    compacted changelog topic ``<app>-<name>-changelog`` so it survives crashes
    and moves with its partitions. Keys and values are stored with the named
    serdes (see :func:`streamkit.serde.get_serde`). ``retention_ms`` bounds a
    window store: windows that ended longer ago than that are dropped.
    ``view`` changes what queries show of a window store, never what it holds.
    """

    name: str
    kind: StoreKind = StoreKind.KEY_VALUE
    persistent: bool = True
    logged: bool = True
    key_serde: Any = "json"
    value_serde: Any = "json"
    retention_ms: int | None = None
    view: WindowView | None = field(default=None, compare=False)
    """Window stores: how queries show a key's windows (see :class:`WindowView`);
    ``None`` shows them as stored."""


WindowEntry = tuple[int, int, Any]
"""``(start, end, value)`` of one window."""


class WindowView(Protocol):
    """How queries show one key's committed windows: what the app would emit
    (an aggregation's result, hopping windows merged from panes), not what it keeps."""

    def __call__(self, windows: list[WindowEntry], latest_end: int) -> list[WindowEntry]:
        """The windows to show, from the key's stored ``windows`` (by start) and
        the latest end of any window in the store."""


class Cancellable(Protocol):
    def cancel(self) -> None: ...


@runtime_checkable
class KeyValueStore(Protocol):
    """A task's key-value store. Reads see the task's own uncommitted writes."""

    name: str

    def get(self, key: Any) -> Any | None: ...

    def put(self, key: Any, value: Any) -> None: ...

    def delete(self, key: Any) -> None: ...

    def range(self, start: Any = None, end: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries with ``start <= key < end`` in serialized-key order."""

    def prefix(self, prefix: Any) -> Iterator[tuple[Any, Any]]:
        """Entries whose serialized key starts with the serialized ``prefix``
        (for string keys under the json serde: keys that start with it)."""

    def all(self) -> Iterator[tuple[Any, Any]]: ...


@runtime_checkable
class WindowStore(Protocol):
    """A task's store of per-key windows ``[start, end)``. Reads see the task's
    own uncommitted writes."""

    name: str

    def get(self, key: Any, start: int, end: int) -> Any | None: ...

    def put(self, key: Any, start: int, end: int, value: Any) -> None: ...

    def update(self, key: Any, start: int, end: int, fn: Callable[[Any], Any]) -> Any:
        """Replace the value of ``key``'s window ``[start, end)`` with ``fn(value)``
        (``value`` is ``None`` when the window is absent) and return the new value;
        ``None`` deletes the window. The same as ``put(key, start, end,
        fn(get(key, start, end)))`` with one look-up instead of two: the
        per-record step of a windowed aggregation. ``fn`` must not use the store;
        if it raises, nothing is written."""

    def delete(self, key: Any, start: int, end: int) -> None: ...

    def fetch(self, key: Any, start_from: int, start_to: int) -> Iterator[tuple[int, int, Any]]:
        """The key's windows with ``start_from <= start <= start_to``, by start."""

    def windows_ending_by(self, end_to: int) -> Iterator[tuple[Any, int, int, Any]]:
        """Every window (key, start, end, value) with ``end <= end_to``, in order
        of end time: how a processor finds windows to close and expire."""


class ProcessorContext(Protocol):
    """What a processor can do. One context exists per (task, processor)."""

    @property
    def app_name(self) -> str: ...

    @property
    def task_id(self) -> TaskId: ...

    @property
    def stream_time(self) -> int:
        """The largest event time this task has seen (ms), -1 before any."""

    def advance_stream_time(self, time_ms: int) -> None:
        """Move the task's stream time forward to ``time_ms`` (never back), for a
        processor that lets event time pass on a wall-clock condition, as the
        windowed aggregations' idle timeout does. It is committed with the
        task's offsets, so a restart resumes from it; stream-time punctuations
        see it with the next record."""

    @property
    def source(self) -> SourceInfo:
        """Provenance of the message being processed."""

    def forward(
        self,
        key: Any,
        value: Any,
        timestamp: int | None = None,
        headers: Headers | None = None,
        *,
        to: str | None = None,
    ) -> None:
        """Pass a message to the downstream processors (all of them, or the one
        output named ``to``). ``timestamp`` defaults to the current message's."""

    def forward_fields(self) -> Callable[[Any, Any, int, Headers], None]:
        """A function ``(key, value, timestamp, headers)`` that does what
        :meth:`forward` does for the default output, every field given: the
        receiver's own entry when it has one, a call less per message. For
        processors that forward several messages per input; ask for it in
        ``init``."""

    def get_store(self, name: str) -> Any:
        """The task's :class:`KeyValueStore` or :class:`WindowStore` ``name``,
        declared with a :class:`StoreSpec`."""

    def schedule(
        self, interval_ms: int, kind: Punctuation, callback: Callable[[int], None]
    ) -> Cancellable:
        """Call ``callback(time_ms)`` every ``interval_ms`` of stream or wall-clock
        time. Callbacks may forward messages and use stores."""

    def on_checkpoint(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` at the start of every checkpoint of this task,
        before state is flushed (e.g. to write buffered state)."""

    def count(self, metric: str, amount: int = 1) -> None:
        """Add to a named counter of this task (e.g. ``"late_records_dropped"``)."""


@runtime_checkable
class Processor(Protocol):
    """A stream processing step: ``init`` once per task, ``process`` per message,
    ``close`` on shutdown or when the task moves away."""

    def init(self, context: ProcessorContext) -> None: ...

    def process(self, message: Message) -> None: ...

    def close(self) -> None: ...


ProcessorSupplier = Callable[[], Processor]
"""Makes a fresh :class:`Processor`; called once per task."""


@runtime_checkable
class Aggregator(Protocol):
    """Folds values into an accumulator: the contract between the DSL's
    ``aggregate`` and any aggregation (built-in ones live in ``operators.agg``).

    Accumulators are stored in state stores, so they must survive the store's
    value serde (json by default: dicts, lists, numbers, strings).
    """

    def initialize(self) -> Any:
        """A fresh accumulator."""

    def add(self, accumulator: Any, value: Any) -> Any:
        """The accumulator after folding in ``value``."""

    def result(self, accumulator: Any) -> Any:
        """The value emitted downstream for an accumulator."""

    def merge(self, left: Any, right: Any) -> Any:
        """One accumulator from two: needed where partial accumulators meet
        (session windows that merge, sliding windows, hopping windows folded
        into panes); the window spec says so when the app is built."""


class NoneAccumulator(StreamkitError, ValueError):
    """An :class:`Aggregator`'s ``add`` or ``merge`` returned ``None``. Stores
    read ``None`` as "absent", so the accumulator would be silently lost; the
    aggregations raise this instead, and the record goes to the dead letters.

    >>> print(NoneAccumulator("Tags()", "add"))  # doctest: +ELLIPSIS
    'Tags()'.add() returned None: it must return the accumulator, never None ... [*accumulator, value] ...
    """

    def __init__(self, aggregator: object, method: str) -> None:
        super().__init__(
            f"{aggregator!r:.80}.{method}() returned None: it must return the accumulator, "
            "never None (a store reads None as absent). list.append(), list.extend() and "
            "dict.update() return None: return [*accumulator, value] or "
            "{**accumulator, ...} instead"
        )


@dataclass(frozen=True, slots=True)
class OperatorPlan:
    """A processor plus the stores it needs and its named extra outputs (e.g.
    ``"late"``), ready to be placed in a topology by the DSL. ``value_serde``,
    if given, round-trips the values of its default output: a repartition
    right after it uses it instead of json (window results come back as window
    results, not dicts)."""

    supplier: ProcessorSupplier
    stores: tuple[StoreSpec, ...] = ()
    outputs: tuple[str, ...] = ()
    value_serde: Any = None


@runtime_checkable
class WindowedAggregation(Protocol):
    """Implemented by window specs (``operators.windows``): builds the processor
    that aggregates a keyed stream into windows. The DSL's
    ``stream.window(spec).aggregate(agg)`` calls it; streamkit itself knows no
    window kind."""

    def aggregate_plan(self, aggregator: Aggregator, *, store_name: str, emit_final: bool) -> OperatorPlan:
        """The processor forwards, per update (or once per window when
        ``emit_final``), a message keyed by the record key whose value carries the
        key, window start, window end and aggregate result; records too late
        for every window go to output ``"late"``."""
