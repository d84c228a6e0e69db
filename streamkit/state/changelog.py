"""Changelog topics: their names, their creation, and writing a store's changes.

A logged store's changelog is a compacted topic with one partition per task; a
record's key is the store's serialized key (for a window store, the window's
primary key, see :mod:`.window_keys`) and its value the serialized value, or a
tombstone for a delete. Compaction keeps the latest value of each key, which is
all a restore needs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from streamkit.log.broker import Admin, Producer
from streamkit.log.errors import TopicAlreadyExists
from streamkit.processor import StoreKind, StoreSpec
from streamkit.state.errors import StateError
from streamkit.state.layout import changelog_topic

_log = logging.getLogger("streamkit.state")

WINDOW_CHANGELOG_EXTRA_RETENTION_MS = 24 * 60 * 60 * 1000
"""How much longer than its store a window changelog keeps records (as Kafka
Streams' ``windowstore.changelog.additional.retention.ms``): a margin for clock skew
between the store's stream time and the records' produce time."""

__all__ = ["changelog_config", "changelog_topic", "ensure_changelog_topics", "send_changes"]


def changelog_config(spec: StoreSpec) -> dict[str, str]:
    """The topic configuration of a store's changelog.

    >>> changelog_config(StoreSpec("counts"))
    {'cleanup.policy': 'compact'}
    >>> changelog_config(StoreSpec("w", kind=StoreKind.WINDOW, retention_ms=1000))
    {'cleanup.policy': 'compact,delete', 'retention.ms': '86401000'}
    """
    if spec.kind is StoreKind.WINDOW and spec.retention_ms is not None:
        retention = spec.retention_ms + WINDOW_CHANGELOG_EXTRA_RETENTION_MS
        return {"cleanup.policy": "compact,delete", "retention.ms": str(retention)}
    return {"cleanup.policy": "compact"}


def ensure_changelog_topics(
    admin: Admin, app_name: str, specs: Sequence[StoreSpec], partitions: int
) -> list[str]:
    """Create the missing changelog topics of the logged ``specs``, each with
    ``partitions`` partitions (one per task); returns the names created.

    Raises :class:`StateError` if an existing changelog has a different number
    of partitions than the tasks that write it.
    """
    existing = set(admin.list_topics())
    created = []
    for spec in specs:
        if not spec.logged:
            continue
        topic = changelog_topic(app_name, spec.name)
        if topic not in existing:
            try:
                admin.create_topic(topic, partitions, changelog_config(spec))
                created.append(topic)
                _log.info("created changelog topic %s (%d partitions)", topic, partitions)
                continue
            except TopicAlreadyExists:
                pass  # another worker of the app created it first
        actual = admin.describe_topic(topic).partitions
        if actual != partitions:
            raise StateError(
                f"changelog topic {topic!r} has {actual} partitions but store {spec.name!r} "
                f"has {partitions} tasks: the input topics changed partition count. Delete the "
                f"changelog (`streamkit topics delete {topic}`) and the app's local state to "
                "rebuild the store from its inputs"
            )
    return created


def send_changes(
    producer: Producer, topic: str, partition: int, changes: Mapping[bytes, bytes | None]
) -> int:
    """Queue one changelog record per changed key (tombstones for deletes) to the
    task's partition; returns how many were sent."""
    return producer.send_batch(topic, partition, changes.items())
