"""Errors raised by log backends. Each says what went wrong and what to do."""

from __future__ import annotations


class StreamkitError(Exception):
    """Base class of every error streamkit raises on purpose."""


class BrokerError(StreamkitError):
    """A log backend failed an operation."""


class BrokerUnavailable(BrokerError):
    """The broker cannot be reached (yet). Callers retry with backoff."""


class InvalidBrokerUrl(StreamkitError, ValueError):
    """A ``--broker`` / ``STREAMKIT_BROKER`` value that names no backend."""


class TopicNotFound(BrokerError):
    """A topic that was asked for does not exist."""

    def __init__(self, topic: str) -> None:
        super().__init__(
            f"topic {topic!r} does not exist: create it with "
            f"`streamkit topics create {topic} --partitions N`"
        )
        self.topic = topic


class TopicAlreadyExists(BrokerError):
    """``create_topic`` was asked for a topic that exists."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic!r} already exists")
        self.topic = topic


class OffsetOutOfRange(BrokerError):
    """An offset outside the records a partition stores: deleted (by retention or
    ``delete_records``) or not written yet."""


class DeliveryFailed(BrokerError):
    """A produced record was not acknowledged by the broker."""


class ProducerFenced(BrokerError):
    """A newer producer with the same transactional id exists; this one is a zombie
    and must stop (its open transaction is aborted)."""


class TransactionAborted(BrokerError):
    """The current transaction could not commit and was aborted; the caller must
    seek back to its committed offsets and reprocess."""


class CommitFailed(BrokerError):
    """Offsets could not be committed, e.g. because the partition was revoked."""
