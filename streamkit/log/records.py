"""The values that cross the Broker interface: records, topic-partitions, topic descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

Headers = tuple[tuple[str, bytes], ...]


class TopicPartition(NamedTuple):
    """One partition of one topic."""

    topic: str
    partition: int


@dataclass(frozen=True, slots=True, init=False)
class Record:
    """A record read from a log.

    ``timestamp`` is milliseconds since the epoch. ``key`` and ``value`` are raw
    bytes (``None`` for a null key or a tombstone); serdes turn them into objects.

    >>> r = Record("clicks", 0, 41, 1_000, b"k", b"v")
    >>> r.topic_partition, r.headers
    (TopicPartition(topic='clicks', partition=0), ())
    >>> r.offset = 42
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'offset'
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers

    def __init__(self, topic: str, partition: int, offset: int, timestamp: int,
                 key: bytes | None, value: bytes | None, headers: Headers = ()) -> None:
        # The backends make one Record per record read. The frozen dataclass's
        # own __init__ sets each field through object.__setattr__ by name, which
        # costs more than decoding the record: setting the slots directly is 2x
        # cheaper.
        _set_topic(self, topic)
        _set_partition(self, partition)
        _set_offset(self, offset)
        _set_timestamp(self, timestamp)
        _set_key(self, key)
        _set_value(self, value)
        _set_headers(self, headers)

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


# The slot descriptors exist once @dataclass(slots=True) has built the class.
_set_topic = vars(Record)["topic"].__set__
_set_partition = vars(Record)["partition"].__set__
_set_offset = vars(Record)["offset"].__set__
_set_timestamp = vars(Record)["timestamp"].__set__
_set_key = vars(Record)["key"].__set__
_set_value = vars(Record)["value"].__set__
_set_headers = vars(Record)["headers"].__set__


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
