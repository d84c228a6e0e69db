"""Committed consumer-group offsets: ``<root>/__groups/<group>/offsets.json``,
replaced atomically (temp file, fsync, rename) under the group's lock.

The file maps ``"<topic>\\x00<partition>"`` to the committed offset, or to
``{"offset": N, "metadata": "..."}`` for an offset committed with metadata
(files written before metadata existed hold plain offsets only).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from streamkit.log.embedded.fileio import locked, read_json, write_json_atomic
from streamkit.log.records import TopicPartition

_SEP = "\x00"


def group_dir(root: str, group_id: str) -> str:
    """The directory holding a group's members, owners and offsets."""
    safe = group_id.replace("%", "%25").replace("/", "%2F")
    if safe in (".", ".."):
        safe = safe.replace(".", "%2E")
    return os.path.join(root, "__groups", safe)


def group_id_of(dirname: str) -> str:
    """Inverse of the escaping in :func:`group_dir`."""
    return dirname.replace("%2F", "/").replace("%2E", ".").replace("%25", "%")


class GroupOffsets:
    """Reads and durably commits one group's offsets."""

    def __init__(self, root: str, group_id: str) -> None:
        self.directory = group_dir(root, group_id)
        os.makedirs(self.directory, exist_ok=True)
        self.path = os.path.join(self.directory, "offsets.json")
        self.lock_path = os.path.join(self.directory, "lock")

    def read(self) -> dict[TopicPartition, int]:
        """Every committed offset."""
        return {tp: offset for tp, (offset, _) in self._entries().items()}

    def read_metadata(self) -> dict[TopicPartition, str]:
        """The metadata of the committed offsets that carry some."""
        return {tp: metadata for tp, (_, metadata) in self._entries().items() if metadata}

    def _entries(self) -> dict[TopicPartition, tuple[int, str | None]]:
        raw: dict[str, Any] = read_json(self.path, {})
        out: dict[TopicPartition, tuple[int, str | None]] = {}
        for k, v in raw.items():
            topic, _, p = k.rpartition(_SEP)
            entry = (int(v["offset"]), v.get("metadata")) if isinstance(v, dict) else (int(v), None)
            out[TopicPartition(topic, int(p))] = entry
        return out

    def commit(
        self,
        offsets: Mapping[TopicPartition, int],
        check: Callable[[], None] | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Merge ``offsets`` into the committed ones, all or nothing, each with its
        ``metadata`` or none (as in Kafka, a commit without metadata clears it);
        ``check`` runs under the lock and may raise to refuse the commit."""
        if not offsets:
            return
        metadata = metadata or {}
        with locked(self.lock_path):
            if check is not None:
                check()
            raw: dict[str, Any] = read_json(self.path, {})
            for tp, offset in offsets.items():
                text = metadata.get(tp)
                raw[f"{tp.topic}{_SEP}{tp.partition}"] = (
                    {"offset": int(offset), "metadata": text} if text else int(offset))
            write_json_atomic(self.path, raw)
