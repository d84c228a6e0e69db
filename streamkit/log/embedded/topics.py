"""Topic metadata on disk: ``<root>/topics/<name>/topic.json`` plus one
directory per partition (``<root>/topics/<name>/<partition>/``)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Mapping

from streamkit.log.embedded.fileio import fsync_dir, read_json, write_json_atomic
from streamkit.log.embedded.partition_log import LogConfig
from streamkit.log.errors import BrokerError, TopicAlreadyExists, TopicNotFound
from streamkit.log.records import TopicDescription

_LEGAL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


class TopicStore:
    """Creates, deletes and describes the topics under one data directory."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.topics_dir = os.path.join(root, "topics")
        os.makedirs(self.topics_dir, exist_ok=True)

    def topic_dir(self, name: str) -> str:
        return os.path.join(self.topics_dir, name)

    def partition_dir(self, name: str, partition: int) -> str:
        return os.path.join(self.topics_dir, name, str(partition))

    def create(
        self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None
    ) -> None:
        """Create a topic atomically (built aside, then renamed into place)."""
        if not _LEGAL_NAME.match(name) or name in (".", ".."):
            raise BrokerError(
                f"illegal topic name {name!r}: use up to 249 of [A-Za-z0-9._-]"
            )
        if partitions < 1:
            raise BrokerError(f"topic {name!r} needs at least 1 partition, got {partitions}")
        config = {str(k): str(v) for k, v in (config or {}).items()}
        LogConfig.from_topic_config(config)  # reject malformed numbers early
        staging = os.path.join(self.topics_dir, f".creating-{uuid.uuid4().hex}")
        os.makedirs(staging)
        try:
            for p in range(partitions):
                os.makedirs(os.path.join(staging, str(p)))
            write_json_atomic(
                os.path.join(staging, "topic.json"), {"partitions": partitions, "config": config}
            )
            try:
                os.rename(staging, self.topic_dir(name))
            except OSError as exc:
                raise TopicAlreadyExists(name) from exc
            fsync_dir(self.topics_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def delete(self, name: str) -> None:
        """Delete a topic and its data (renamed away first, so it vanishes at once)."""
        if not _LEGAL_NAME.match(name) or not os.path.exists(self._meta_path(name)):
            raise TopicNotFound(name)
        trash = os.path.join(self.topics_dir, f".deleted-{uuid.uuid4().hex}")
        try:
            os.rename(self.topic_dir(name), trash)
        except FileNotFoundError as exc:
            raise TopicNotFound(name) from exc
        fsync_dir(self.topics_dir)
        shutil.rmtree(trash, ignore_errors=True)

    def list(self, include_internal: bool = False) -> list[str]:
        """Topic names, sorted; internal (``__``) topics only when asked."""
        names = [
            n for n in os.listdir(self.topics_dir)
            if not n.startswith(".") and os.path.exists(self._meta_path(n))
        ]
        if not include_internal:
            names = [n for n in names if not n.startswith("__")]
        return sorted(names)

    def describe(self, name: str) -> TopicDescription:
        """Partition count and configuration; :class:`TopicNotFound` if absent."""
        meta = read_json(self._meta_path(name)) if _LEGAL_NAME.match(name) else None
        if meta is None:
            raise TopicNotFound(name)
        return TopicDescription(name, int(meta["partitions"]), dict(meta.get("config", {})))

    def exists(self, name: str) -> bool:
        return bool(_LEGAL_NAME.match(name)) and os.path.exists(self._meta_path(name))

    def _meta_path(self, name: str) -> str:
        return os.path.join(self.topics_dir, name, "topic.json")
