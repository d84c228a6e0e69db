"""Streams: the DSL's unbounded sequences of keyed messages. Every method adds a
node to the app's topology and returns the stream of its output; nothing runs
until ``streamkit run`` (or a :class:`~streamkit.testing.TestDriver`) drives it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from streamkit.dsl import steps
from streamkit.dsl.aggregate import (
    AggregateByKey,
    Count,
    JoinTable,
    Reduce,
    check_aggregator,
    not_none,
)
from streamkit.dsl.functions import compile_call, compile_call_with, compile_step_call
from streamkit.log.errors import StreamkitError
from streamkit.processor import (
    Aggregator,
    OperatorPlan,
    ProcessorSupplier,
    StoreSpec,
    WindowedAggregation,
)
from streamkit.runtime.errors.policy import ErrorPolicy, OnError
from streamkit.runtime.topology import Node, ProcessorNode, SinkNode, SourceNode

if TYPE_CHECKING:
    from streamkit.dsl.app import App
    from streamkit.dsl.table import Table
    from streamkit.dsl.topic import Topic

PolicyArg = ErrorPolicy | OnError | str | None


class Stream:
    """One output of one node of an app's topology. ``value_serde``, when the
    step knows one (a windowed aggregation's), is what a repartition of this
    stream writes its values with, unless told otherwise; json else."""

    __slots__ = ("app", "node", "output_name", "value_serde")

    def __init__(self, app: App, node: Node, output: str | None = None, *,
                 value_serde: Any = None) -> None:
        self.app = app
        self.node = node
        self.output_name = output
        self.value_serde = value_serde

    # -- building blocks --------------------------------------------------------------

    def _step(self, kind: str, supplier: ProcessorSupplier, *, name: str | None,
              on_error: PolicyArg = None, stores: Sequence[StoreSpec] = (),
              outputs: Sequence[str] = ()) -> ProcessorNode:
        node = ProcessorNode(
            name or self.app.topology.next_name(kind),
            supplier=supplier,
            stores=tuple(stores),
            outputs=tuple(outputs),
            error_policy=None if on_error is None else ErrorPolicy.parse(on_error),
        )
        self.app.topology.add(node, self.node, self.output_name)
        return node

    def process(
        self,
        processor: ProcessorSupplier | OperatorPlan,
        *,
        stores: Sequence[StoreSpec] = (),
        outputs: Sequence[str] = (),
        name: str | None = None,
        on_error: PolicyArg = None,
    ) -> Stream:
        """Add a processor (a supplier called once per task, or an
        :class:`~streamkit.processor.OperatorPlan`) with the stores it uses and its
        named extra outputs; returns its default output (``.output(name)`` gives
        the others). Built-in operators are added exactly this way."""
        value_serde = None
        if isinstance(processor, OperatorPlan):
            stores = tuple(processor.stores) + tuple(stores)
            outputs = tuple(processor.outputs) + tuple(outputs)
            value_serde = processor.value_serde
            processor = processor.supplier
        node = self._step("process", processor, name=name, on_error=on_error,
                          stores=stores, outputs=outputs)
        return Stream(self.app, node, value_serde=value_serde)

    def output(self, name: str) -> Stream:
        """The stream of this step's extra output ``name`` (e.g. ``"late"``)."""
        declared = getattr(self.node, "outputs", ())
        if name not in declared:
            raise StreamkitError(
                f"step {self.node.name!r} has no output {name!r} (it declares "
                f"{list(declared)}); declare it with outputs=(...) in process()"
            )
        return Stream(self.app, self.node, name)

    # -- stateless steps --------------------------------------------------------------

    def map(self, fn: Callable[..., Any], *, name: str | None = None,
            on_error: PolicyArg = None) -> Stream:
        """Replace each value with ``fn(value)`` (or ``fn(key, value)``...); the key stays.

        >>> from streamkit import App
        >>> app = App("demo")
        >>> s = app.stream(app.topic("in")).map(lambda v: v * 2)
        """
        call, on_value = compile_step_call(fn)
        return Stream(self.app, self._step("map", lambda: steps.MapValues(call, on_value),
                                           name=name, on_error=on_error))

    def filter(self, fn: Callable[..., Any], *, name: str | None = None,
               on_error: PolicyArg = None) -> Stream:
        """Keep the messages for which ``fn(value)`` is true."""
        call, on_value = compile_step_call(fn)
        return Stream(self.app, self._step("filter", lambda: steps.Filter(call, on_value),
                                           name=name, on_error=on_error),
                      value_serde=self.value_serde)

    def flat_map(self, fn: Callable[..., Iterable[Any]], *, name: str | None = None,
                 on_error: PolicyArg = None) -> Stream:
        """Replace each message with one message per value of ``fn(value)``, same key."""
        call, on_value = compile_step_call(fn)
        return Stream(self.app, self._step("flat-map", lambda: steps.FlatMapValues(call, on_value),
                                           name=name, on_error=on_error))

    def peek(self, fn: Callable[..., Any], *, name: str | None = None,
             on_error: PolicyArg = None) -> Stream:
        """Call ``fn(value)`` for its side effect and pass the message on."""
        call, on_value = compile_step_call(fn)
        return Stream(self.app, self._step("peek", lambda: steps.Peek(call, on_value), name=name,
                                           on_error=on_error),
                      value_serde=self.value_serde)

    def foreach(self, fn: Callable[..., Any], *, name: str | None = None,
                on_error: PolicyArg = None) -> None:
        """Call ``fn(value)`` for each message; ends the stream."""
        call, on_value = compile_step_call(fn)
        self._step("foreach", lambda: steps.ForEach(call, on_value), name=name, on_error=on_error)

    def split(self, branches: Mapping[str, Callable[..., Any]], *, default: str | None = None,
              name: str | None = None) -> dict[str, Stream]:
        """Route each message to the first branch whose predicate holds (else to the
        ``default`` branch, if named); returns the streams by branch name.

        >>> from streamkit import App
        >>> app = App("demo")
        >>> parts = app.stream(app.topic("in")).split({"big": lambda v: v > 9}, default="small")
        >>> sorted(parts)
        ['big', 'small']
        """
        compiled = [(branch, compile_call(fn)) for branch, fn in branches.items()]
        names = [b for b, _ in compiled] + ([default] if default is not None else [])
        if len(set(names)) != len(names):
            raise StreamkitError(f"split branch names must be distinct, got {names}")
        node = self._step("split", lambda: steps.Split(compiled, default), name=name,
                          outputs=names)
        return {branch: Stream(self.app, node, branch, value_serde=self.value_serde)
                for branch in names}

    def merge(self, *others: Stream, name: str | None = None) -> Stream:
        """One stream with the messages of this stream and ``others``."""
        node = self._step("merge", steps.PassThrough, name=name)
        for other in others:
            other.node.add_child(node, other.output_name)
        alike = len({type(stream.value_serde) for stream in (self, *others)}) == 1
        return Stream(self.app, node, value_serde=self.value_serde if alike else None)

    def to(self, topic: Topic | str, *, key: Callable[..., Any] | None = None,
           on_error: PolicyArg = None) -> None:
        """Write each message to ``topic`` with the topic's serdes, partitioned by key.
        ``key``: write it with the key ``key(value)`` (or ``key(key, value)``...)
        instead, partitioned by that; nothing is repartitioned, as only this
        topic sees the new key (Quix's ``to_topic(key=)``, Kafka Streams'
        ``selectKey`` before ``to``). A window's results, say, keyed by key and
        window, so that a compacted topic keeps every window."""
        spec = self.app.resolve_topic(topic)
        parent: Stream = self
        if key is not None:
            call, on_value = compile_step_call(key)
            parent = Stream(self.app, self._step(
                "key", lambda: steps.SelectKey(call, on_value),
                name=self.app.topology.next_name(f"key-for-{spec.name}"), on_error=on_error))
        node = SinkNode(self.app.topology.next_name(f"to-{spec.name}"), topic=spec)
        self.app.topology.add(node, parent.node, parent.output_name)

    # -- re-keying and grouping -------------------------------------------------------

    def rekey(self, fn: Callable[..., Any], *, name: str | None = None,
              key: Any = "json", value: Any = None, on_error: PolicyArg = None) -> Stream:
        """Give each message the key ``fn(value)`` and repartition by it, through the
        internal topic ``<app>-<name>-repartition``; what follows runs in a new
        sub-topology whose task *n* sees every message whose new key maps to *n*.
        Values are written as json, or as window results right after a windowed
        aggregation (see :meth:`repartition`)."""
        step = name or self.app.topology.next_name("rekey")
        call, on_value = compile_step_call(fn)
        node = self._step("rekey", lambda: steps.SelectKey(call, on_value), name=step,
                          on_error=on_error)
        return Stream(self.app, node, value_serde=self.value_serde).repartition(
            name=step, key=key, value=value)

    def repartition(self, *, name: str | None = None, key: Any = "json",
                    value: Any = None) -> Stream:
        """Write through a repartition topic (partitioned by the current key) and read
        it back in a new sub-topology. ``value`` defaults to json, or, right after
        a windowed aggregation (and steps that keep its values: ``filter``,
        ``peek``, ``split``, ``merge`` of window results), to
        ``operators.WindowResultSerde``, so the steps after it get window results."""
        step = name or self.app.topology.next_name("repartition")
        if value is None:
            value = "json" if self.value_serde is None else self.value_serde
        spec = self.app.internal_topic(f"{self.app.name}-{step}-repartition", key=key,
                                       value=value)
        sink = SinkNode(f"{step}-sink", topic=spec)
        self.app.topology.add(sink, self.node, self.output_name)
        source = SourceNode(f"{step}-source", topics=(spec,))
        self.app.topology.add(source)
        hint = self.value_serde if value is self.value_serde else None
        return Stream(self.app, source, value_serde=hint)

    def group_by(self, fn: Callable[..., Any], *, name: str | None = None,
                 key: Any = "json", value: Any = None) -> GroupedStream:
        """Group by ``fn(value)``: re-key and repartition (see :meth:`rekey`)."""
        step = name or self.app.topology.next_name("group-by")
        return GroupedStream(self.rekey(fn, name=step, key=key, value=value), step)

    def group_by_key(self, *, name: str | None = None) -> GroupedStream:
        """Group by the current key, which must already partition the stream."""
        return GroupedStream(self, name or self.app.topology.next_name("group"))

    def window(self, spec: WindowedAggregation) -> WindowedStream:
        """Window the stream by its current key (see :meth:`GroupedStream.window`)."""
        return self.group_by_key().window(spec)

    # -- tables -----------------------------------------------------------------------

    def join_table(self, table: Table, fn: Callable[..., Any] | None = None, *,
                   how: str = "inner", name: str | None = None,
                   on_error: PolicyArg = None) -> Stream:
        """Look each message's key up in ``table`` and forward ``fn(value,
        table_value)`` (default: ``[value, table_value]``). ``how="inner"`` drops
        messages with no match; ``"left"`` passes ``None``. The stream and the
        table's topic must be co-partitioned (same partition count, same keys)."""
        if how not in ("inner", "left"):
            raise StreamkitError(f"join_table how={how!r}: use 'inner' or 'left'")
        joiner = compile_call_with(fn if fn is not None else (lambda v, t: [v, t]))
        store = table.store_spec
        node = self._step("join", lambda: JoinTable(store.name, joiner, how == "left"),
                          name=name, on_error=on_error, stores=(store,))
        return Stream(self.app, node)


class GroupedStream:
    """A stream partitioned by its key, ready to aggregate."""

    __slots__ = ("name", "stream")

    def __init__(self, stream: Stream, name: str) -> None:
        self.stream = stream
        self.name = name

    def aggregate(self, aggregator: Aggregator, *, name: str | None = None) -> Table:
        """A table of ``aggregator``'s result per key, kept in a key-value store
        (``<name>-store``, logged to ``<app>-<name>-store-changelog``)."""
        from streamkit.dsl.table import Table

        check_aggregator(aggregator)
        step = name or f"{self.name}-aggregate"
        store = StoreSpec(f"{step}-store")
        node = self.stream._step("aggregate", lambda: AggregateByKey(aggregator, store.name),
                                 name=step, stores=(store,))
        return Table(self.stream.app, node, store)

    def count(self, *, name: str | None = None) -> Table:
        """A table of the number of messages per key."""
        return self.aggregate(Count(), name=name or f"{self.name}-count")

    def reduce(self, fn: Callable[[Any, Any], Any], *, name: str | None = None) -> Table:
        """A table of ``fn(accumulated, value)`` folded over each key's values;
        messages whose value is ``None`` are skipped."""
        step = name or f"{self.name}-reduce"
        reducer = Reduce(fn)  # refuses a non-function before any step is added
        return self._values_only(step).aggregate(reducer, name=step)

    def _values_only(self, step: str) -> GroupedStream:
        """This grouped stream without its ``None`` values, through a filter named
        after ``step`` (a fixed name, so the names of later steps do not shift)."""
        return GroupedStream(self.stream.filter(not_none, name=f"{step}-skip-none"), self.name)

    def window(self, spec: WindowedAggregation) -> WindowedStream:
        """Aggregate per key and window (``operators.windows``)."""
        if not isinstance(spec, WindowedAggregation):
            raise StreamkitError(
                f"{spec!r:.80} is not a window spec: pass e.g. "
                "operators.windows.tumbling(timedelta(seconds=10))"
            )
        return WindowedStream(self, spec)


class WindowedStream:
    """A grouped stream cut into windows."""

    __slots__ = ("grouped", "spec")

    def __init__(self, grouped: GroupedStream, spec: WindowedAggregation) -> None:
        self.grouped = grouped
        self.spec = spec

    def aggregate(self, aggregator: Aggregator, *, name: str | None = None) -> WindowedResult:
        """Aggregate each key's messages per window; choose the emission with
        :meth:`WindowedResult.final` or :meth:`WindowedResult.updates`."""
        check_aggregator(aggregator)
        return WindowedResult(self, aggregator, name or f"{self.grouped.name}-window")

    def count(self, *, name: str | None = None) -> WindowedResult:
        """The number of messages per key and window: ``aggregate(agg.count())``."""
        return self.aggregate(Count(), name=name)

    def reduce(self, fn: Callable[[Any, Any], Any], *, name: str | None = None) -> WindowedResult:
        """``fn(accumulated, value)`` folded over each key's values per window, as
        ``grouped.reduce(fn)`` folds them per key; messages whose value is ``None``
        are skipped. Session and sliding windows also call ``fn`` to combine two
        partial results, so it should be associative (``max``, ``operator.add``)."""
        step = name or f"{self.grouped.name}-window"
        reducer = Reduce(fn)  # refuses a non-function before any step is added
        values = WindowedStream(self.grouped._values_only(step), self.spec)
        return values.aggregate(reducer, name=step)


class WindowedResult:
    """A windowed aggregation, added to the topology when its emission is chosen."""

    __slots__ = ("_node", "aggregator", "name", "windowed")

    def __init__(self, windowed: WindowedStream, aggregator: Aggregator, name: str) -> None:
        self.windowed = windowed
        self.aggregator = aggregator
        self.name = name
        self._node: Stream | None = None

    def _build(self, emit_final: bool) -> Stream:
        if self._node is not None:
            raise StreamkitError(
                f"windowed aggregation {self.name!r} already emits "
                "(.final() or .updates() was called): call one of them once and reuse "
                "the stream"
            )
        plan = self.windowed.spec.aggregate_plan(
            self.aggregator, store_name=f"{self.name}-store", emit_final=emit_final)
        self._node = self.windowed.grouped.stream.process(plan, name=self.name)
        return self._node

    def final(self) -> Stream:
        """One message per key and window, when the window closes (stream time
        passes its end plus grace)."""
        return self._build(emit_final=True)

    def updates(self) -> Stream:
        """One message per input: the window's aggregate so far."""
        return self._build(emit_final=False)

    def late(self) -> Stream:
        """Messages too late for every window they belong to."""
        if self._node is None:
            raise StreamkitError("call .final() or .updates() before .late()")
        return self._node.output("late")
