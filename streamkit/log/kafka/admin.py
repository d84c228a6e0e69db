"""Topic and group administration on Kafka (the :class:`~streamkit.log.broker.Admin` protocol)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import confluent_kafka
from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ClusterMetadata,
    ConfigResource,
    ConfigSource,
    NewTopic,
    OffsetSpec,
)

from streamkit.log.errors import BrokerError, OffsetOutOfRange, TopicNotFound
from streamkit.log.kafka.config import (
    METADATA_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    admin_config,
    make_client,
)
from streamkit.log.kafka.errors import kafka_error_of, with_retries
from streamkit.log.kafka.records import (
    from_native,
    natives_with_offsets,
    offset_or_none,
    to_native,
)
from streamkit.log.records import TopicDescription, TopicPartition

# Topic creation and deletion are asynchronous in Kafka: the controller accepts them
# before every broker's metadata shows them. We wait this long for metadata to agree,
# so that a topic can be used (or is gone) as soon as the call returns.
_METADATA_PROPAGATION_S = 30.0


class KafkaAdmin:
    """Administration of one Kafka cluster."""

    def __init__(self, bootstrap_servers: str, settings: Mapping[str, str] | None = None) -> None:
        self._servers = bootstrap_servers
        self._client = make_client(AdminClient, admin_config(bootstrap_servers), settings)

    def create_topic(
        self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None
    ) -> None:
        """Create a topic with the broker's default replication factor; raise
        :class:`TopicAlreadyExists` if it exists. Returns once every partition has a leader."""
        new_topic = NewTopic(name, num_partitions=partitions, config=dict(config or {}))
        self._wait(self._client.create_topics([new_topic], request_timeout=REQUEST_TIMEOUT_S)[name], name)
        self._await_metadata(lambda md: _has_leaders(md, name, partitions), f"creation of {name!r}")

    def delete_topic(self, name: str) -> None:
        """Delete a topic; raise :class:`TopicNotFound` if absent. Returns once
        metadata no longer lists it."""
        self._wait(self._client.delete_topics([name], request_timeout=REQUEST_TIMEOUT_S)[name], name)
        self._await_metadata(lambda md: name not in md.topics, f"deletion of {name!r}")

    def list_topics(self) -> list[str]:
        """Names of all topics, sorted, without Kafka's internal ``__`` topics."""
        return sorted(t for t in self._metadata().topics if not t.startswith("__"))

    def describe_topic(self, name: str) -> TopicDescription:
        """Partition count and the configuration set on the topic (plus its
        effective ``cleanup.policy``)."""
        metadata = self._topic_metadata(name)
        resource = ConfigResource(ConfigResource.Type.TOPIC, name)
        entries = self._wait(
            self._client.describe_configs([resource], request_timeout=REQUEST_TIMEOUT_S)[resource],
            name,
        )
        config = {
            key: entry.value
            for key, entry in entries.items()
            if entry.value is not None
            and (entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value or key == "cleanup.policy")
        }
        return TopicDescription(name=name, partitions=len(metadata.partitions), config=config)

    def begin_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """Offset of the first record still stored in each partition."""
        return self._list_offsets({tp: OffsetSpec.earliest() for tp in partitions})  # type: ignore[misc]

    def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        """The high watermark of each partition."""
        return self._list_offsets({tp: OffsetSpec.latest() for tp in partitions})  # type: ignore[misc]

    def offsets_for_time(
        self, timestamps: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int | None]:
        """Earliest offset with a timestamp >= the given one, or ``None``."""
        found = self._list_offsets(
            {tp: OffsetSpec.for_timestamp(ts) for tp, ts in timestamps.items()}
        )
        return {tp: offset_or_none(offset) for tp, offset in found.items()}

    def delete_records(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Delete every record before the given offsets (Kafka's deleteRecords):
        each partition's begin offset becomes exactly its offset (unless already past it)."""
        for tp, offset in offsets.items():
            if offset < 0:  # librdkafka would read -1 as "up to the end"
                raise OffsetOutOfRange(f"cannot delete the records of {tp.topic}[{tp.partition}] "
                                       f"before the negative offset {offset}")
        if not offsets:
            return

        def delete() -> None:
            futures = self._client.delete_records(
                natives_with_offsets(offsets), request_timeout=REQUEST_TIMEOUT_S
            )
            for native, future in futures.items():
                try:
                    future.result()
                except KafkaException as exc:
                    translated = _deletion_error(exc, native)
                    if translated is None:
                        raise
                    raise translated from exc

        with_retries(delete, self._servers, topic=next(iter(offsets)).topic)

    def list_groups(self) -> list[str]:
        """Consumer group ids, sorted."""
        result = self._wait(self._client.list_consumer_groups(request_timeout=REQUEST_TIMEOUT_S))
        return sorted(listing.group_id for listing in result.valid)

    def group_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        """The offsets a group has committed (empty for an unknown group)."""
        request = [ConsumerGroupTopicPartitions(group_id)]
        futures = self._client.list_consumer_group_offsets(
            request, request_timeout=REQUEST_TIMEOUT_S
        )
        result = self._wait(futures[group_id])
        return {
            from_native(tp): tp.offset
            for tp in result.topic_partitions or []
            if tp.offset >= 0 and not tp.error
        }

    def close(self) -> None:
        """Nothing to release: AdminClient closes when collected."""

    # --- internals ---------------------------------------------------------------

    def _wait(self, future: Any, topic: str | None = None) -> Any:
        return with_retries(future.result, self._servers, topic=topic, budget_s=0)

    def _metadata(self) -> ClusterMetadata:
        # Listing every topic, rather than asking for one, never auto-creates it.
        return with_retries(
            lambda: self._client.list_topics(timeout=METADATA_TIMEOUT_S), self._servers
        )

    def _topic_metadata(self, name: str) -> Any:
        """``name``'s metadata once the broker reports it without an error: a topic
        whose partitions have no leader for a moment is listed with none of them,
        which must not read as a topic of 0 partitions."""
        deadline = time.monotonic() + _METADATA_PROPAGATION_S
        while True:
            metadata = self._metadata().topics.get(name)
            if metadata is None:
                raise TopicNotFound(name)
            if metadata.error is None and metadata.partitions:
                return metadata
            if time.monotonic() > deadline:
                raise BrokerError(f"Kafka's metadata for topic {name!r} has shown an error "
                                  f"({metadata.error}) for {_METADATA_PROPAGATION_S:.0f} s; "
                                  "check the broker's log, then retry")
            time.sleep(0.1)

    def _await_metadata(self, done: Callable[[ClusterMetadata], bool], what: str) -> None:
        deadline = time.monotonic() + _METADATA_PROPAGATION_S
        while not done(self._metadata()):
            if time.monotonic() > deadline:
                raise BrokerError(f"Kafka accepted the {what} but its metadata did not show it "
                                  f"within {_METADATA_PROPAGATION_S:.0f} s; retry later")
            time.sleep(0.1)

    def _list_offsets(self, specs: Mapping[TopicPartition, OffsetSpec]) -> dict[TopicPartition, int]:
        if not specs:
            return {}

        def ask() -> dict[TopicPartition, int]:
            futures = self._client.list_offsets(
                {to_native(tp): spec for tp, spec in specs.items()},
                isolation_level=IsolationLevel.READ_UNCOMMITTED,
                request_timeout=REQUEST_TIMEOUT_S,
            )
            return {from_native(native): future.result().offset for native, future in futures.items()}

        # Right after a topic is created a broker may not yet lead its partitions:
        # that answer is retriable, so the whole request is asked again.
        return with_retries(ask, self._servers, topic=next(iter(specs)).topic)


def _deletion_error(
    exc: KafkaException, native: confluent_kafka.TopicPartition
) -> BrokerError | None:
    """The streamkit error for a partition's failed deletion, ``None`` for errors
    left to :func:`with_retries` (transient ones, retried)."""
    error = kafka_error_of(exc)
    code = error.code() if error is not None else None
    if code == KafkaError.OFFSET_OUT_OF_RANGE:
        return OffsetOutOfRange(
            f"cannot delete the records of {native.topic}[{native.partition}] before offset "
            f"{native.offset}: it is past the partition's end offset"
        )
    if code in (KafkaError._NOENT, KafkaError.UNKNOWN_TOPIC_OR_PART):
        return TopicNotFound(native.topic)  # librdkafka finds no leader for it
    return None


def _has_leaders(metadata: ClusterMetadata, topic: str, partitions: int) -> bool:
    found = metadata.topics.get(topic)
    return (
        found is not None
        and len(found.partitions) == partitions
        and all(p.leader >= 0 for p in found.partitions.values())
    )


__all__ = ["KafkaAdmin"]
