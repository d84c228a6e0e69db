"""Bringing a store up to date from its changelog partition.

A store's backend records the changelog offset its committed state corresponds
to. Restore reads the partition from that offset (or from the beginning, for a
store with no state) to the end, ``read_committed`` so aborted transactions are
skipped, and applies each polled batch in one backend write together with the
offset after it. Replay is idempotent: each record puts the latest value of a key
(or deletes it), so replaying a record twice, or records whose effect is already
on disk, leaves the same state.
"""

from __future__ import annotations

import logging
import time

from streamkit.log.broker import Broker
from streamkit.log.records import TopicPartition
from streamkit.state.store import ManagedStore

_log = logging.getLogger("streamkit.state")

RESTORE_BATCH = 2_000
QUIET_S = 3.0
"""How long restore waits for a record or a position change before it takes the
rest of the partition to be unreadable under read_committed: records of aborted
transactions (a crash under exactly-once leaves some) or of a transaction still
open. A healthy broker answers a fetch within half a second."""
_PROGRESS_EVERY_S = 5.0


def start_offset(store: ManagedStore, begin: int, end: int) -> int:
    """Where replay of ``store`` starts, wiping the store when its local state cannot
    be trusted: its stored offset is past the changelog's end (the changelog was
    recreated) or before its beginning, or it holds data without any offset."""
    stored = store.backend.changelog_offset()
    if stored is not None and begin <= stored <= end:
        return stored
    if stored is not None or not store.backend.is_empty():
        _log.warning(
            "store %s: local offset %s is outside the changelog's [%d, %d]: "
            "wiping it and restoring from the beginning", store.name, stored, begin, end,
        )
        store.backend.wipe()
        store.invalidate()
    return begin


def restore_store(
    broker: Broker, store: ManagedStore, partition: TopicPartition,
    *, quiet_s: float = QUIET_S,
) -> int:
    """Replay ``partition`` of the store's changelog into its backend; returns the
    number of records replayed.

    The offset stored with each batch is the consumer's position after it, never
    more: if restore stops early, the next one resumes from where this one was."""
    admin = broker.admin()
    try:
        begin = admin.begin_offsets([partition])[partition]
        end = admin.end_offsets([partition])[partition]
    finally:
        admin.close()
    offset = start_offset(store, begin, end)
    if offset >= end:
        _log.info("store %s: up to date at %s offset %d", store.name, partition.topic, offset)
        if store.backend.changelog_offset() is None:
            store.backend.apply({}, end)
        return 0
    _log.info("store %s: restoring %s[%d] from offset %d to %d",
              store.name, partition.topic, partition.partition, offset, end)
    replayed = 0
    consumer = broker.consumer(group_id=None, isolation_level="read_committed")
    try:
        consumer.assign([partition])
        consumer.seek(partition, offset)
        last_progress = last_log = time.monotonic()
        while offset < end:
            records = [r for r in consumer.poll_batch(RESTORE_BATCH, timeout=0.5)
                       if r.topic_partition == partition]
            position = consumer.position(partition)
            if records:
                position = max(position, records[-1].offset + 1)
            if position > offset:
                store.backend.apply(store.restore_changes(records), position)
                replayed += len(records)
                offset = position
                last_progress = time.monotonic()
            now = time.monotonic()
            if now - last_progress > quiet_s:
                _log.warning(
                    "store %s: nothing readable in %s[%d] from offset %d to its end %d for "
                    "%.1fs: taking those offsets to be aborted or open transactions",
                    store.name, partition.topic, partition.partition, offset, end, quiet_s)
                break
            if now - last_log > _PROGRESS_EVERY_S:
                _log.info("store %s: restored %d records, at offset %d of %d",
                          store.name, replayed, offset, end)
                last_log = now
    finally:
        consumer.close()
    store.invalidate()
    _log.info("store %s: restored %d records from %s[%d]",
              store.name, replayed, partition.topic, partition.partition)
    return replayed
