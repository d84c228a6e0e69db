"""Conversions between confluent-kafka's values and streamkit's records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import confluent_kafka

from streamkit.log.records import Headers, Record, TopicPartition, new_record


def to_native(partition: TopicPartition, offset: int | None = None) -> confluent_kafka.TopicPartition:
    """A confluent-kafka TopicPartition, optionally carrying an offset."""
    if offset is None:
        return confluent_kafka.TopicPartition(partition.topic, partition.partition)
    return confluent_kafka.TopicPartition(partition.topic, partition.partition, offset)


def natives_with_offsets(
    offsets: Mapping[TopicPartition, int],
    metadata: Mapping[TopicPartition, str] | None = None,
) -> list[confluent_kafka.TopicPartition]:
    """confluent-kafka TopicPartitions for a mapping of offsets, each carrying its
    partition's commit metadata where ``metadata`` has some."""
    if not metadata:
        return [to_native(tp, offset) for tp, offset in offsets.items()]
    # confluent-kafka takes a str only, never None: "" stands for "no metadata".
    return [confluent_kafka.TopicPartition(tp.topic, tp.partition, offset,
                                           metadata=metadata.get(tp, ""))
            for tp, offset in offsets.items()]


def from_native(native: confluent_kafka.TopicPartition) -> TopicPartition:
    """A streamkit TopicPartition (dropping any offset)."""
    return TopicPartition(native.topic, native.partition)


def from_natives(natives: Iterable[confluent_kafka.TopicPartition]) -> list[TopicPartition]:
    """streamkit TopicPartitions for a list of confluent-kafka ones."""
    return [TopicPartition(n.topic, n.partition) for n in natives]


def offset_or_none(offset: int) -> int | None:
    """librdkafka marks "no offset" with negative sentinels; streamkit uses None."""
    return offset if offset >= 0 else None


def to_record(message: confluent_kafka.Message) -> Record:
    """A streamkit Record for a fetched message (not an error event)."""
    raw_headers = message.headers()
    headers: Headers = (
        tuple((name, value if value is not None else b"") for name, value in raw_headers)
        if raw_headers
        else ()
    )
    # Positional, through new_record: this runs once per record read.
    return new_record((message.topic(), message.partition(), message.offset(),
                       message.timestamp()[1], message.key(), message.value(), headers))
