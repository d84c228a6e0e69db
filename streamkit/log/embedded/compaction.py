"""Log compaction: keep only the latest record per key in the closed segments.

Runs under the partition's lock, when a compacted topic rolls a segment and on
demand (:meth:`EmbeddedAdmin.compact`). Each closed segment is rewritten beside
itself and renamed over the original, so a reader holding the old file keeps a
consistent view and offsets never change (batches just get gaps). Tombstones
(null values) are kept until they are ``delete.retention.ms`` old, so that
readers catching up still see the delete. The active segment is never touched.
"""

from __future__ import annotations

import logging
import os
import time

from streamkit.log.embedded.batch import BatchBuilder, decode_records
from streamkit.log.embedded.fileio import fsync_dir, locked
from streamkit.log.embedded.partition_log import PartitionLog
from streamkit.log.embedded.segment import (
    iter_valid_batches,
    list_segments,
    rebuild_index,
    scan_valid_end,
    segment_path,
)

log = logging.getLogger("streamkit.log.embedded")


def compact(partition_log: PartitionLog) -> int:
    """Compact one partition now; how many records were removed."""
    with locked(partition_log.lock_path):
        partition_log.sync_tail_locked()
        return compact_locked(partition_log)


def compact_locked(partition_log: PartitionLog) -> int:
    """:func:`compact` for a caller that already holds the partition lock."""
    directory = partition_log.directory
    bases = list_segments(directory)
    if len(bases) < 2:
        return 0
    # latest offset of every key, over the whole log including the active segment
    latest: dict[bytes | None, int] = {}
    for base in bases:
        for record in _records(segment_path(directory, base)):
            latest[record.key] = record.offset
    horizon = time.time() * 1000 - partition_log.config.delete_retention_ms
    removed = 0
    for base in bases[:-1]:
        path = segment_path(directory, base)
        kept_builders: list[tuple[int, BatchBuilder]] = []
        dropped = 0
        for batch_base, records in _batches(path):
            builder = BatchBuilder()
            for r in records:
                superseded = r.key is not None and latest.get(r.key) != r.offset
                expired_tombstone = r.value is None and r.timestamp < horizon
                if superseded or expired_tombstone:
                    dropped += 1
                    continue
                builder.add(r.timestamp, r.key, r.value, r.headers, r.offset - batch_base)
            if builder.count:
                kept_builders.append((batch_base, builder))
        if not dropped:
            continue
        removed += dropped
        tmp = path + ".cleaned"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, b"".join(b.seal(batch_base) for batch_base, b in kept_builders))
            os.fsync(fd)
        finally:
            os.close(fd)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            _, _, batches = scan_valid_end(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        rebuild_index(path, base, batches)
        log.info("compaction: %s: removed %d records", path, dropped)
    if removed:
        fsync_dir(directory)
    return removed


def _batches(path: str):  # type: ignore[no-untyped-def]
    fd = os.open(path, os.O_RDONLY)
    try:
        for pos, header, chunk, at in iter_valid_batches(fd):
            yield header.base_offset, decode_records(chunk, at, header, "", 0)
    finally:
        os.close(fd)


def _records(path: str):  # type: ignore[no-untyped-def]
    for _, records in _batches(path):
        yield from records
