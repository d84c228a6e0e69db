"""The App: a named stream application and the topology it builds."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from streamkit.dsl import aggregate
from streamkit.dsl.functions import compile_extractor
from streamkit.dsl.stream import PolicyArg, Stream
from streamkit.dsl.table import Table
from streamkit.dsl.topic import SerdeSpec, Topic, make_topic_spec
from streamkit.log.errors import StreamkitError
from streamkit.processor import StoreSpec
from streamkit.runtime.errors.policy import ErrorPolicy
from streamkit.runtime.loop.input_order import ORDER_WAIT_MS, PAUSE_ABOVE_RECORDS
from streamkit.runtime.topology import SourceNode, TopicSpec, Topology

REPARTITION_CONFIG = {"retention.ms": "-1", "segment.bytes": str(50 * 1024 * 1024)}
"""Repartition topics keep records until they are read and purged: records carry
their event time, and Kafka's time-based retention would delete records whose
event time is older than ``retention.ms`` (7 days) before the next sub-topology
reads them. Purging frees whole segments, so segments are 50 MiB, not 1 GiB."""


class Guarantee(enum.Enum):
    """Delivery guarantee of an app."""

    AT_LEAST_ONCE = "at-least-once"
    EXACTLY_ONCE = "exactly-once"

    @classmethod
    def parse(cls, value: Guarantee | str) -> Guarantee:
        if isinstance(value, Guarantee):
            return value
        try:
            return cls(value.replace("_", "-").lower())
        except ValueError:
            raise StreamkitError(
                f"unknown guarantee {value!r}: use 'at-least-once' or 'exactly-once'"
            ) from None


class App:
    """A stream application: topics, the streams and tables built from them, and
    how to run them.

    >>> app = App("shouter")
    >>> lines = app.topic("lines", value="string")
    >>> app.stream(lines).map(str.upper).to(app.topic("shouts", value="string"))
    >>> app.guarantee
    <Guarantee.AT_LEAST_ONCE: 'at-least-once'>

    ``error_policy`` applies to every step that has none of its own: ``"dead-letter"``
    (the default: the record goes to ``dead_letter_topic``, default ``<app>-dlq``),
    ``"retry"``, ``"skip"`` or ``"stop"``, or an :class:`ErrorPolicy`.

    ``order_wait_ms`` bounds how long a worker holds records back while waiting
    for a partition that has more to read, so that its tasks get records in
    event-time order across partitions (see ``docs/windows.md``); 0 hands them on
    as they are fetched. A partition with more than ``buffered_records_per_partition``
    records held back is paused until half of them have been handed on.
    """

    def __init__(
        self,
        name: str,
        *,
        guarantee: Guarantee | str = Guarantee.AT_LEAST_ONCE,
        commit_interval_ms: int = 1000,
        order_wait_ms: int = ORDER_WAIT_MS,
        buffered_records_per_partition: int = PAUSE_ABOVE_RECORDS,
        error_policy: PolicyArg = None,
        dead_letter_topic: str | None = None,
        state_dir: str | Path | None = None,
        schema_registry_url: str | None = None,
    ) -> None:
        if not name or any(c in name for c in "/\\ :"):
            raise StreamkitError(
                f"app name {name!r} is not valid: it names the consumer group and "
                "topics, so use letters, digits, '.', '_' and '-'"
            )
        if commit_interval_ms <= 0:
            raise StreamkitError(f"commit_interval_ms must be > 0, got {commit_interval_ms}")
        if order_wait_ms < 0:
            raise StreamkitError(f"order_wait_ms must be >= 0 (0 hands records on as fetched), "
                                 f"got {order_wait_ms}")
        if buffered_records_per_partition < 1:
            raise StreamkitError(
                "buffered_records_per_partition must be >= 1 (records held back per "
                f"partition before it is paused), got {buffered_records_per_partition}")
        self.name = name
        self.guarantee = Guarantee.parse(guarantee)
        self.commit_interval_ms = commit_interval_ms
        self.order_wait_ms = order_wait_ms
        self.buffered_records_per_partition = buffered_records_per_partition
        policy = ErrorPolicy.parse(error_policy)
        if dead_letter_topic is not None:
            policy = ErrorPolicy(policy.action, policy.attempts, policy.backoff_ms,
                                 policy.max_backoff_ms, dead_letter_topic)
        self.error_policy = policy
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.schema_registry_url = schema_registry_url
        self.topology = Topology(name)

    @property
    def dead_letter_topic(self) -> str:
        return self.error_policy.dead_letter_topic or f"{self.name}-dlq"

    def topic(
        self,
        name: str,
        *,
        key: SerdeSpec = "string",
        value: SerdeSpec = "json",
        partitions: int | None = None,
        config: Mapping[str, str] | None = None,
    ) -> Topic:
        """Declare a topic: serdes for its keys and values, and the partition count to
        create it with if it does not exist."""
        if name in self.topology.topics:
            existing = self.topology.topics[name]
            raise StreamkitError(
                f"topic {name!r} is declared twice: declare it once and reuse the Topic "
                f"(first declared with partitions={existing.partitions})"
            )
        spec = make_topic_spec(name, key=key, value=value, partitions=partitions,
                               config=config, registry_url=self.schema_registry_url)
        return Topic(self.topology.register_topic(spec))

    def resolve_topic(self, topic: Topic | str) -> TopicSpec:
        """The spec of a declared topic; a bare name declares it with the defaults."""
        if isinstance(topic, Topic):
            return topic.spec
        if topic in self.topology.topics:
            return self.topology.topics[topic]
        return self.topic(topic).spec

    def internal_topic(self, name: str, *, key: SerdeSpec, value: SerdeSpec) -> TopicSpec:
        """A topic the runtime creates and sizes (repartition topics)."""
        if name in self.topology.topics:
            raise StreamkitError(
                f"internal topic {name!r} already exists in this app: give the step "
                "another name="
            )
        spec = make_topic_spec(name, key=key, value=value, partitions=None,
                               config=REPARTITION_CONFIG,
                               registry_url=self.schema_registry_url, internal=True)
        return self.topology.register_topic(spec)

    def stream(
        self,
        topic: Topic | str,
        *,
        timestamp: Callable[..., int] | None = None,
        name: str | None = None,
        on_error: PolicyArg = None,
    ) -> Stream:
        """The stream of a topic's records. ``timestamp`` extracts event time in ms
        from the value (or key, value...); default: the record's timestamp.
        ``on_error`` is the policy for records that cannot be decoded."""
        spec = self.resolve_topic(topic)
        node = SourceNode(
            name or self.topology.next_name(f"source-{spec.name}"),
            topics=(spec,),
            timestamp=None if timestamp is None else compile_extractor(timestamp),
            error_policy=None if on_error is None else ErrorPolicy.parse(on_error),
        )
        self.topology.add(node)
        return Stream(self, node)

    def table(self, topic: Topic | str, *, name: str | None = None,
              on_error: PolicyArg = None) -> Table:
        """A table of the latest value per key of a topic (a tombstone deletes)."""
        spec = self.resolve_topic(topic)
        step = name or f"{spec.name}-table"
        source = self.stream(spec.name, name=f"{step}-source", on_error=on_error)
        store = StoreSpec(f"{step}-store")
        node = source._step("table", lambda: aggregate.Materialize(store.name), name=step,
                            stores=(store,))
        return Table(self, node, store)

    def describe(self) -> str:
        """The sub-topologies and their steps, for reading."""
        return self.topology.describe()

    def __repr__(self) -> str:
        return f"App({self.name!r}, guarantee={self.guarantee.value!r})"


def find_apps(namespace: Mapping[str, Any]) -> dict[str, App]:
    """The :class:`App` objects among a module's globals, by variable name."""
    return {k: v for k, v in namespace.items() if isinstance(v, App)}
