"""The values that cross the Broker interface: records, topic-partitions, topic descriptions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

Headers = tuple[tuple[str, bytes], ...]


class TopicPartition(NamedTuple):
    """One partition of one topic."""

    topic: str
    partition: int


class Record(NamedTuple):
    """A record read from a log.

    ``timestamp`` is milliseconds since the epoch. ``key`` and ``value`` are raw
    bytes (``None`` for a null key or a tombstone); serdes turn them into objects.

    A named tuple rather than a frozen dataclass: the backends make one per
    record read, and a frozen dataclass's ``__init__`` (setting each field by
    name) costs more than decoding the record. The backends build records with
    :data:`new_record`, under half the cost of ``Record(...)``.

    >>> r = Record("clicks", 0, 41, 1_000, b"k", b"v")
    >>> r.topic_partition, r.headers
    (TopicPartition(topic='clicks', partition=0), ())
    >>> new_record(("clicks", 0, 41, 1_000, b"k", b"v", ())) == r
    True
    >>> r.offset = 42
    Traceback (most recent call last):
    ...
    AttributeError: can't set attribute
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


new_record: Callable[[tuple[str, int, int, int, bytes | None, bytes | None, Headers]], Record]
new_record = partial(tuple.__new__, Record)
"""A :class:`Record` of its seven fields in order, headers included: the
backends' per-record constructor. Unlike ``Record._make`` it runs no Python frame
and does not check the length, so callers pass all seven fields, as both backends
do."""


@dataclass(frozen=True, slots=True)
class TopicDescription:
    """What a broker knows about a topic: its partition count and configuration.

    ``config`` uses Kafka's names, e.g. ``{"cleanup.policy": "compact",
    "retention.ms": "604800000"}``.
    """

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)

    @property
    def compacted(self) -> bool:
        return "compact" in self.config.get("cleanup.policy", "")


@dataclass(frozen=True, slots=True)
class GroupMetadata:
    """A consumer's group membership, handed to a transactional producer so that
    the offsets it commits are fenced against zombie members (Kafka's
    ``consumer_group_metadata()``). ``native`` is the backend's own object."""

    group_id: str
    generation: int = -1
    member_id: str = ""
    native: object = None
