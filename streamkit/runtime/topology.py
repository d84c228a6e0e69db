"""The topology graph the DSL builds and the runtime runs.

A topology is a graph of nodes: :class:`SourceNode` (reads topics),
:class:`ProcessorNode` (a :class:`~streamkit.processor.Processor` plus the stores
it uses) and :class:`SinkNode` (writes a topic). Nodes connected by edges, or by
a store they share, form a *sub-topology*; a topic written by one sub-topology and
read by another (a repartition topic) is the only link between them. Task *n* of
a sub-topology owns partition *n* of each of its source topics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from streamkit.log.errors import StreamkitError
from streamkit.processor import ProcessorSupplier, StoreSpec
from streamkit.runtime.errors.policy import ErrorPolicy

TimestampExtractor = Callable[[Any, Any, int], int]
"""``(key, value, record_timestamp) -> event time in ms``."""


class TopologyError(StreamkitError):
    """The topology is not valid (e.g. a store used by two sub-topologies)."""


@dataclass(slots=True)
class TopicSpec:
    """A topic as an app declares it: serdes (resolved serde objects), an optional
    partition count (used to create it when missing) and topic configuration."""

    name: str
    key_serde: Any
    value_serde: Any
    partitions: int | None = None
    config: dict[str, str] = field(default_factory=dict)
    internal: bool = False  # repartition topics: created and sized by the runtime


@dataclass(eq=False, slots=True)
class Node:
    """A vertex of the topology. ``children`` maps an output name (``None`` is the
    default output) to the nodes that receive it."""

    name: str
    children: dict[str | None, list[Node]] = field(default_factory=dict)

    def add_child(self, child: Node, output: str | None = None) -> None:
        self.children.setdefault(output, []).append(child)


@dataclass(eq=False, slots=True)
class SourceNode(Node):
    """Reads ``topics`` (all with the same serdes) and forwards deserialized messages."""

    topics: tuple[TopicSpec, ...] = ()
    timestamp: TimestampExtractor | None = None
    error_policy: ErrorPolicy | None = None


@dataclass(eq=False, slots=True)
class ProcessorNode(Node):
    """Runs one processor per task. ``stores`` are the stores it reaches through
    its context (stores of the same name are the same store)."""

    supplier: ProcessorSupplier | None = None
    stores: tuple[StoreSpec, ...] = ()
    outputs: tuple[str, ...] = ()
    error_policy: ErrorPolicy | None = None


@dataclass(eq=False, slots=True)
class SinkNode(Node):
    """Serializes messages with the topic's serdes and sends them to the topic."""

    topic: TopicSpec | None = None


@dataclass(slots=True)
class SubTopology:
    """A connected part of the topology: its nodes in build order, the topics it
    reads and the stores its tasks own."""

    id: int
    nodes: list[Node]
    source_topics: list[TopicSpec]
    stores: dict[str, StoreSpec]

    @property
    def sources(self) -> list[SourceNode]:
        return [n for n in self.nodes if isinstance(n, SourceNode)]


def _naming_state(stores: tuple[StoreSpec, ...]) -> str:
    """What else a stateful step's name names, for the duplicate-name error."""
    if not stores:
        return ""
    names = ", ".join(repr(store.name) for store in stores)
    what = (f"state store {names} and its changelog" if len(stores) == 1
            else f"state stores {names} and their changelogs")
    return (" (two aggregations of one grouped stream get the same default name; the "
            f"name also names the {what}, so choose one that stays the same as the app "
            "changes: a renamed step starts from empty state)")


class Topology:
    """A graph of nodes plus the topics it uses. Built by the DSL, immutable once
    the runtime starts."""

    def __init__(self, app_name: str) -> None:
        self.app_name = app_name
        self.nodes: list[Node] = []
        self.topics: dict[str, TopicSpec] = {}
        self._counter = 0

    def next_name(self, kind: str) -> str:
        """A unique node name ``<kind>-<n>``, stable across runs of the same app."""
        self._counter += 1
        return f"{kind}-{self._counter}"

    def add(self, node: Node, parent: Node | None = None, output: str | None = None) -> Node:
        if any(n.name == node.name for n in self.nodes):
            raise TopologyError(
                f"two steps are named {node.name!r}: give one of them another name="
                f"{_naming_state(getattr(node, 'stores', ()))}"
            )
        self.nodes.append(node)
        if parent is not None:
            parent.add_child(node, output)
        return node

    def register_topic(self, spec: TopicSpec) -> TopicSpec:
        existing = self.topics.get(spec.name)
        if existing is not None:
            return existing
        self.topics[spec.name] = spec
        return spec

    def subtopologies(self) -> list[SubTopology]:
        """Group nodes into sub-topologies: connected by edges or shared stores."""
        parent: dict[int, int] = {id(n): id(n) for n in self.nodes}

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a: int, b: int) -> None:
            parent[find(a)] = find(b)

        store_owner: dict[str, Node] = {}
        for node in self.nodes:
            for children in node.children.values():
                for child in children:
                    union(id(node), id(child))
            if isinstance(node, ProcessorNode):
                for spec in node.stores:
                    if spec.name in store_owner:
                        union(id(node), id(store_owner[spec.name]))
                    else:
                        store_owner[spec.name] = node

        groups: dict[int, list[Node]] = {}
        for node in self.nodes:
            groups.setdefault(find(id(node)), []).append(node)
        result: list[SubTopology] = []
        for nodes in groups.values():
            if not any(isinstance(n, SourceNode) for n in nodes):
                continue  # a dangling processor chain with no input never runs
            topics: list[TopicSpec] = []
            stores: dict[str, StoreSpec] = {}
            for n in nodes:
                if isinstance(n, SourceNode):
                    topics.extend(t for t in n.topics if t not in topics)
                elif isinstance(n, ProcessorNode):
                    for spec in n.stores:
                        stores.setdefault(spec.name, spec)
            result.append(SubTopology(len(result), nodes, topics, stores))
        self._check_sources_unique(result)
        return result

    @staticmethod
    def _check_sources_unique(subtopologies: Iterable[SubTopology]) -> None:
        seen: dict[str, int] = {}
        for sub in subtopologies:
            for topic in sub.source_topics:
                if topic.name in seen and seen[topic.name] != sub.id:
                    raise TopologyError(
                        f"topic {topic.name!r} is read by two unconnected parts of the app: "
                        "read it once with app.stream(...) and reuse that stream"
                    )
                seen[topic.name] = sub.id

    def source_topic_names(self) -> list[str]:
        return sorted({t.name for n in self.nodes if isinstance(n, SourceNode) for t in n.topics})

    def describe(self) -> str:
        """A readable listing of sub-topologies and their nodes."""
        lines = []
        for sub in self.subtopologies():
            lines.append(f"sub-topology {sub.id}: reads {[t.name for t in sub.source_topics]}")
            for n in sub.nodes:
                kids = {k: [c.name for c in v] for k, v in n.children.items()}
                lines.append(f"  {n.name} ({type(n).__name__}) -> {kids}")
        return "\n".join(lines)
