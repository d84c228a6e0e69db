"""Topic and group administration of the embedded log, plus its maintenance
(retention, compaction) on demand."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from streamkit.log.embedded.batch import decode_records
from streamkit.log.embedded.compaction import compact
from streamkit.log.embedded.offsets import GroupOffsets, group_id_of
from streamkit.log.embedded.partition_log import LogConfig, PartitionLog
from streamkit.log.embedded.reader import PartitionReader
from streamkit.log.embedded.segment import (
    SegmentIndex,
    iter_valid_batches,
    list_segments,
    segment_path,
)
from streamkit.log.embedded.topics import TopicStore
from streamkit.log.errors import BrokerError, OffsetOutOfRange
from streamkit.log.records import TopicDescription, TopicPartition


class EmbeddedAdmin:
    """An :class:`~streamkit.log.broker.Admin` on the embedded log."""

    def __init__(self, topics: TopicStore) -> None:
        self._topics = topics

    def create_topic(
        self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None
    ) -> None:
        self._topics.create(name, partitions, config)

    def delete_topic(self, name: str) -> None:
        self._topics.delete(name)

    def list_topics(self) -> list[str]:
        return self._topics.list()

    def describe_topic(self, name: str) -> TopicDescription:
        return self._topics.describe(name)

    def _reader(self, tp: TopicPartition) -> PartitionReader:
        self._topics.describe(tp.topic)  # TopicNotFound for a missing topic
        return PartitionReader(self._topics.partition_dir(*tp), tp.topic, tp.partition)

    def begin_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        out = {}
        for tp in partitions:
            reader = self._reader(TopicPartition(*tp))
            out[TopicPartition(*tp)] = reader.begin_offset()
            reader.close()
        return out

    def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        out = {}
        for tp in partitions:
            reader = self._reader(TopicPartition(*tp))
            out[TopicPartition(*tp)] = reader.end_offset()
            reader.close()
        return out

    def offsets_for_time(
        self, timestamps: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int | None]:
        """Earliest offset with timestamp >= the given one, via the time index."""
        out: dict[TopicPartition, int | None] = {}
        for tp, timestamp in timestamps.items():
            tp = TopicPartition(*tp)
            end = self._reader(tp).end_offset()
            out[tp] = self._offset_for_time(self._topics.partition_dir(*tp), timestamp, end)
        return out

    @staticmethod
    def _offset_for_time(directory: str, timestamp: int, end: int) -> int | None:
        for base in list_segments(directory):
            path = segment_path(directory, base)
            start = SegmentIndex(path, base).position_for_time(timestamp)
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # deleted by retention meanwhile
            try:
                for _, header, chunk, at in iter_valid_batches(fd, start):
                    if header.next_offset > end:
                        return None
                    if header.max_timestamp < timestamp:
                        continue
                    for record in decode_records(chunk, at, header, "", 0):
                        if record.timestamp >= timestamp:
                            return record.offset
            finally:
                os.close(fd)
        return None

    def delete_records(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Delete the records before each offset, in whole segments: the begin
        offset moves to the start of the segment holding the offset (so to the
        offset itself only at a segment boundary). Safe while other processes
        append and read, as retention is."""
        for tp, offset in offsets.items():
            tp = TopicPartition(*tp)
            partition_log = self._log(tp)
            try:
                partition_log.delete_records(offset)
            except OffsetOutOfRange as error:
                raise OffsetOutOfRange(f"cannot delete the records of {tp.topic}[{tp.partition}] "
                                       f"before offset {offset}: {error}") from None
            finally:
                partition_log.close()

    def list_groups(self) -> list[str]:
        base = os.path.join(self._topics.root, "__groups")
        try:
            return sorted(group_id_of(n) for n in os.listdir(base) if not n.startswith("."))
        except FileNotFoundError:
            return []

    def group_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        return GroupOffsets(self._topics.root, group_id).read()

    # -- maintenance (embedded only) ------------------------------------------------

    def _logs(self, topic: str) -> list[PartitionLog]:
        description = self._topics.describe(topic)
        config = LogConfig.from_topic_config(description.config)
        return [
            PartitionLog(self._topics.partition_dir(topic, p), config)
            for p in range(description.partitions)
        ]

    def _log(self, tp: TopicPartition) -> PartitionLog:
        logs = self._logs(tp.topic)
        if not 0 <= tp.partition < len(logs):
            raise BrokerError(f"topic {tp.topic!r} has {len(logs)} partition(s): there is no "
                              f"partition {tp.partition}")
        return logs[tp.partition]

    def compact(self, topic: str) -> int:
        """Compact every partition of a ``cleanup.policy=compact`` topic now
        (it also happens whenever such a topic rolls a segment); records removed.
        A topic that is not compacted is left alone."""
        if not self._topics.describe(topic).compacted:
            return 0
        removed = 0
        for partition_log in self._logs(topic):
            removed += compact(partition_log)
            partition_log.close()
        return removed

    def enforce_retention(self, topic: str) -> int:
        """Delete the segments of ``topic`` past its retention now; how many."""
        deleted = 0
        for partition_log in self._logs(topic):
            deleted += len(partition_log.enforce_retention())
            partition_log.close()
        return deleted

    def run_maintenance(self) -> None:
        """Retention and compaction for every topic (internal ones included)."""
        for topic in self._topics.list(include_internal=True):
            self.enforce_retention(topic)
            self.compact(topic)

    def close(self) -> None:
        pass
