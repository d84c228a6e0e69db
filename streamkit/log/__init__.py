"""Partitioned logs: the Broker interface and its two backends."""

from streamkit.log.broker import Admin, Broker, Consumer, Producer
from streamkit.log.errors import (
    BrokerError,
    BrokerUnavailable,
    CommitFailed,
    DeliveryFailed,
    InvalidBrokerUrl,
    OffsetOutOfRange,
    ProducerFenced,
    StreamkitError,
    TopicAlreadyExists,
    TopicNotFound,
    TransactionAborted,
)
from streamkit.log.partitioner import murmur2, partition_for_key
from streamkit.log.records import GroupMetadata, Headers, Record, TopicDescription, TopicPartition
from streamkit.log.url import open_broker, resolve_broker_url

__all__ = [
    "Admin",
    "Broker",
    "BrokerError",
    "BrokerUnavailable",
    "CommitFailed",
    "Consumer",
    "DeliveryFailed",
    "GroupMetadata",
    "Headers",
    "InvalidBrokerUrl",
    "OffsetOutOfRange",
    "Producer",
    "ProducerFenced",
    "Record",
    "StreamkitError",
    "TopicAlreadyExists",
    "TopicDescription",
    "TopicNotFound",
    "TopicPartition",
    "TransactionAborted",
    "murmur2",
    "open_broker",
    "partition_for_key",
    "resolve_broker_url",
]
