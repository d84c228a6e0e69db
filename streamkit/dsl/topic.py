"""Topics as an app declares them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamkit.runtime.topology import TopicSpec
from streamkit.serde import get_serde

SerdeSpec = Any  # a serde name ("json", "string", ...) or an object with serialize/deserialize


def resolve_serde(spec: SerdeSpec, *, topic: str, is_key: bool,
                  registry_url: str | None = None) -> Any:
    """The serde object for a name or object, resolved once at build time."""
    return get_serde(spec, topic=topic, is_key=is_key, registry_url=registry_url)


class Topic:
    """A topic an app reads or writes: its name, key and value serdes, and the
    partition count used to create it when it does not exist.

    Made by :meth:`streamkit.App.topic`; pass it to ``app.stream``, ``app.table``
    and ``stream.to``.
    """

    __slots__ = ("spec",)

    def __init__(self, spec: TopicSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def partitions(self) -> int | None:
        return self.spec.partitions

    def __repr__(self) -> str:
        return f"Topic({self.spec.name!r}, partitions={self.spec.partitions})"


def make_topic_spec(
    name: str,
    *,
    key: SerdeSpec,
    value: SerdeSpec,
    partitions: int | None,
    config: Mapping[str, str] | None,
    registry_url: str | None,
    internal: bool = False,
) -> TopicSpec:
    if partitions is not None and partitions < 1:
        raise ValueError(f"topic {name!r}: partitions must be >= 1, got {partitions}")
    return TopicSpec(
        name,
        resolve_serde(key, topic=name, is_key=True, registry_url=registry_url),
        resolve_serde(value, topic=name, is_key=False, registry_url=registry_url),
        partitions,
        dict(config or {}),
        internal,
    )
