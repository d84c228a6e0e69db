"""Which stores an app has, and which partition (so which task) holds a key.

A store lives in the tasks of one sub-topology: task *n* holds the keys of the
records that arrived on partition *n* of the topic feeding the store. So a key's
partition is computed the way the producer of that topic computed it: murmur2 of
the key serialized with **that topic's key serde**, modulo its partition count.
This is usually the store's key serde too (``group_by`` writes through a json-keyed
repartition topic into a json-keyed store), but not always: ``app.table(topic)``
reads a string-keyed topic into a json-keyed store, and it is the topic's bytes
that picked the partition.

>>> from streamkit import App
>>> app = App("demo")
>>> words = app.topic("words", partitions=2)
>>> _ = app.stream(words).group_by(lambda w: w, name="by-word").count(name="counts")
>>> route = store_routes(app.topology)["counts-store"]
>>> route.subtopology, route.source_topic
(1, 'demo-by-word-repartition')
>>> route.partition_of("hello", partitions=2), route.partition_of("world", partitions=2)
(0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamkit.log.errors import StreamkitError
from streamkit.log.partitioner import partition_for_key
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.runtime.topology import Node, ProcessorNode, SourceNode, SubTopology, Topology


class UnknownStore(StreamkitError):
    """A store name the app does not declare."""

    def __init__(self, name: str, app_name: str, known: list[str]) -> None:
        listing = ", ".join(known) if known else "none (it has no stateful steps)"
        super().__init__(f"app {app_name!r} has no store {name!r}; its stores: {listing}")
        self.name = name
        self.known = known


class UnpartitionableKey(StreamkitError):
    """A queried key cannot be serialized with the key serde of the store's topic."""


@dataclass(frozen=True, slots=True)
class StoreRoute:
    """A store of an app: its spec, the sub-topology whose tasks hold it, and the
    source topic (name and key serde) whose partitioning places its keys."""

    spec: StoreSpec
    subtopology: int
    source_topic: str
    source_key_serde: Any

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        """``"key_value"`` or ``"window"``."""
        return StoreKind(self.spec.kind).value

    def partition_of(self, key: Any, partitions: int) -> int:
        """The partition (and so the task number) that holds ``key``."""
        try:
            data = self.source_key_serde.serialize(key)
        except Exception as error:
            raise UnpartitionableKey(
                f"key {key!r} cannot be serialized with the key serde of topic "
                f"{self.source_topic!r} ({error}): pass the key in the type that topic's "
                "keys have (e.g. key_format=json for numbers)"
            ) from error
        if data is None:
            raise UnpartitionableKey(f"store {self.name!r} holds no null key")
        return partition_for_key(data, partitions)

    def task_of(self, key: Any, partitions: int) -> TaskId:
        """The task whose store holds ``key``."""
        return TaskId(self.subtopology, self.partition_of(key, partitions))


def store_routes(topology: Topology) -> dict[str, StoreRoute]:
    """Every store of a topology, by name, with where its keys come from."""
    routes: dict[str, StoreRoute] = {}
    for sub in topology.subtopologies():
        for name, spec in sub.stores.items():
            topic = _feeding_topic(sub, name)
            routes[name] = StoreRoute(spec, sub.id, topic.name, topic.key_serde)
    return routes


def find_route(routes: dict[str, StoreRoute], name: str, app_name: str) -> StoreRoute:
    """The route of store ``name``, or :class:`UnknownStore` listing the others."""
    route = routes.get(name)
    if route is None:
        raise UnknownStore(name, app_name, describe_stores(routes))
    return route


def describe_stores(routes: dict[str, StoreRoute]) -> list[str]:
    """``name (kind)`` of each store, sorted: for listings in error messages."""
    return [f"{name} ({route.kind})" for name, route in sorted(routes.items())]


def _feeding_topic(sub: SubTopology, store_name: str) -> Any:
    """The first source topic from which records reach a step using the store."""
    for source in sub.sources:
        if _reaches_store(source, store_name, set()):
            return source.topics[0]
    return sub.source_topics[0]  # a store fed by no source: any topic partitions the same


def _reaches_store(node: Node, store_name: str, seen: set[int]) -> bool:
    if id(node) in seen:
        return False
    seen.add(id(node))
    if isinstance(node, ProcessorNode) and any(s.name == store_name for s in node.stores):
        return True
    return any(_reaches_store(child, store_name, seen)
               for children in node.children.values() for child in children
               if not isinstance(child, SourceNode))
