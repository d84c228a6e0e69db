"""The embedded consumer: manual assignment or group membership, reading each
partition through a :class:`PartitionReader`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from streamkit.log.embedded.assignment import assign_range
from streamkit.log.embedded.group import GroupMembership
from streamkit.log.embedded.offsets import GroupOffsets
from streamkit.log.embedded.reader import PartitionReader
from streamkit.log.embedded.topics import TopicStore
from streamkit.log.errors import BrokerError, CommitFailed, OffsetOutOfRange, TopicNotFound
from streamkit.log.records import GroupMetadata, Record, TopicPartition

log = logging.getLogger("streamkit.log.embedded")

PartitionsCallback = Callable[[list[TopicPartition]], None]
REBALANCE_CHECK_S = 0.15
ROLL_FORWARD_CHECK_S = 1.0


class EmbeddedConsumer:
    """A :class:`~streamkit.log.broker.Consumer` on the embedded log.

    Assignment callbacks are incremental (like Kafka's cooperative protocol):
    ``on_assign`` gets the partitions just gained, ``on_revoke`` those about to
    be lost, always before another member can take them.
    """

    def __init__(
        self,
        topics: TopicStore,
        group_id: str | None,
        isolation_level: str,
        auto_offset_reset: str,
        roll_forward: Callable[[], object],
    ) -> None:
        self._topics = topics
        self._group_id = group_id
        self._isolation_level = isolation_level  # the log only holds committed data
        self._reset = auto_offset_reset
        self._roll_forward = roll_forward
        self._offsets = GroupOffsets(topics.root, group_id) if group_id else None
        self._membership: GroupMembership | None = None
        self._subscription: list[str] = []
        self._on_assign: PartitionsCallback | None = None
        self._on_revoke: PartitionsCallback | None = None
        self._assigned: list[TopicPartition] = []
        self._positions: dict[TopicPartition, int] = {}
        self._paused: set[TopicPartition] = set()
        self._readers: dict[TopicPartition, PartitionReader] = {}
        self._next_rebalance = 0.0
        self._next_roll_forward = 0.0
        self._rotation = 0
        self._closed = False

    # -- assignment ---------------------------------------------------------------

    def subscribe(
        self,
        topics: Sequence[str],
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
    ) -> None:
        """Join the group for ``topics``; partitions arrive during poll_batch."""
        if self._group_id is None:
            raise BrokerError("subscribe() needs a consumer made with a group_id")
        if self._membership is None:
            self._membership = GroupMembership(self._topics.root, self._group_id)
        self._revoke(list(self._assigned))
        self._subscription = list(topics)
        self._on_assign, self._on_revoke = on_assign, on_revoke
        self._membership.join(self._subscription)
        self._next_rebalance = 0.0

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read exactly these partitions, outside group rebalancing."""
        if self._membership is not None:
            self._revoke(list(self._assigned))
            self._membership.leave()
            self._membership = None
            self._subscription = []
        for tp in partitions:
            self._topics.describe(tp.topic)  # TopicNotFound early
        self._assigned = [TopicPartition(*tp) for tp in partitions]
        self._positions = {tp: p for tp, p in self._positions.items() if tp in self._assigned}
        self._paused &= set(self._assigned)

    def assignment(self) -> list[TopicPartition]:
        return list(self._assigned)

    def _rebalance(self) -> None:
        membership = self._membership
        assert membership is not None
        members = membership.live_members()
        counts: dict[str, int] = {}
        for topic in sorted({t for topics in members.values() for t in topics}):
            try:
                counts[topic] = self._topics.describe(topic).partitions
            except TopicNotFound:
                continue
        target = set(assign_range(members, counts).get(membership.member_id, []))
        lost = [tp for tp in self._assigned if tp not in target]
        if lost:
            self._revoke(lost)
        gained = [
            tp for tp in sorted(target)
            if tp not in self._assigned and membership.try_acquire(tp)
        ]
        if gained:
            self._assigned.extend(gained)
            log.debug("member %s gained %s", membership.member_id, gained)
            if self._on_assign is not None:
                self._on_assign(gained)
        # poll again soon while some assigned partition's old owner still holds it
        pending = len(target.intersection(self._assigned)) < len(target)
        self._next_rebalance = time.monotonic() + (0.02 if pending else REBALANCE_CHECK_S)

    def _revoke(self, lost: list[TopicPartition]) -> None:
        if not lost:
            return
        if self._on_revoke is not None and self._membership is not None:
            self._on_revoke(list(lost))
        for tp in lost:
            if self._membership is not None:
                self._membership.release(tp)
            if tp in self._assigned:
                self._assigned.remove(tp)
            self._positions.pop(tp, None)
            self._paused.discard(tp)
            reader = self._readers.pop(tp, None)
            if reader is not None:
                reader.close()

    # -- reading ----------------------------------------------------------------

    def poll_batch(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        """Up to ``max_records`` records, waiting up to ``timeout`` s for the first."""
        deadline = time.monotonic() + timeout
        sleep = 0.0005
        while True:
            now = time.monotonic()
            if self._membership is not None and now >= self._next_rebalance:
                self._rebalance()
            if now >= self._next_roll_forward:
                self._roll_forward()
                self._next_roll_forward = now + ROLL_FORWARD_CHECK_S
            records = self._fetch(max_records)
            if records or now >= deadline:
                return records
            time.sleep(min(sleep, max(0.0, deadline - now)))
            sleep = min(sleep * 2, 0.01)

    def _fetch(self, max_records: int) -> list[Record]:
        """Up to ``max_records`` records, shared evenly among the partitions that
        have them. Filling the batch from one partition, then the next, lets the
        first in line run ahead of the others in event time: after a re-key, a
        repartition partition then receives records far behind its stream time,
        which windows drop as late."""
        active = [tp for tp in self._assigned if tp not in self._paused]
        if not active:
            return []
        self._rotation = (self._rotation + 1) % len(active)
        candidates = active[self._rotation :] + active[: self._rotation]
        out: list[Record] = []
        while candidates and len(out) < max_records:
            share = max(1, (max_records - len(out)) // len(candidates))
            have_more = []
            for tp in candidates:
                room = min(share, max_records - len(out))
                if room <= 0:
                    break
                records = self._read(tp, room)
                out.extend(records)
                if len(records) == room:
                    have_more.append(tp)
            candidates = have_more
        return out

    def _read(self, tp: TopicPartition, max_records: int) -> list[Record]:
        """Up to ``max_records`` records of ``tp`` from its position, advancing it."""
        reader = self._reader(tp)
        try:
            records = reader.read(self.position(tp), max_records)
        except OffsetOutOfRange:
            self._positions[tp] = self._reset_position(tp)
            records = reader.read(self._positions[tp], max_records)
        if records:
            self._positions[tp] = records[-1].offset + 1
        return records

    def _reader(self, tp: TopicPartition) -> PartitionReader:
        reader = self._readers.get(tp)
        if reader is None:
            reader = self._readers[tp] = PartitionReader(
                self._topics.partition_dir(*tp), tp.topic, tp.partition
            )
        return reader

    def _reset_position(self, tp: TopicPartition) -> int:
        reader = self._reader(tp)
        if self._reset == "earliest":
            return reader.begin_offset()
        if self._reset == "latest":
            return reader.end_offset()
        raise OffsetOutOfRange(
            f"no valid offset for {tp.topic}[{tp.partition}] and auto_offset_reset='error': "
            "seek() to an offset first"
        )

    def seek(self, partition: TopicPartition, offset: int) -> None:
        """Read ``partition`` from ``offset`` next."""
        tp = TopicPartition(*partition)
        if tp not in self._assigned:
            raise BrokerError(f"cannot seek {tp}: it is not assigned to this consumer")
        self._positions[tp] = offset

    def position(self, partition: TopicPartition) -> int:
        """The next offset this consumer returns from ``partition``."""
        tp = TopicPartition(*partition)
        position = self._positions.get(tp)
        if position is None:
            committed = self._offsets.read().get(tp) if self._offsets else None
            position = committed if committed is not None else self._reset_position(tp)
            self._positions[tp] = position
        return position

    def fetch_lag(self, partition: TopicPartition) -> int | None:
        """Records past the position; exact, since the log holds only committed data."""
        tp = TopicPartition(*partition)
        if tp not in self._positions and tp not in self._assigned:
            return None
        return max(0, self._reader(tp).end_offset() - self.position(tp))

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self._paused.update(TopicPartition(*tp) for tp in partitions)

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self._paused.difference_update(TopicPartition(*tp) for tp in partitions)

    # -- offsets ----------------------------------------------------------------

    def check_owns(self, partitions: Iterable[TopicPartition]) -> None:
        """Raise :class:`CommitFailed` unless this consumer may commit them."""
        if self._membership is None:
            return  # manual assignment: Kafka lets standalone consumers commit
        for tp in partitions:
            if not self._membership.owns(TopicPartition(*tp)):
                raise CommitFailed(
                    f"{tp.topic}[{tp.partition}] is not owned by member "
                    f"{self._membership.member_id} of group {self._group_id!r} (it was "
                    "revoked): seek to the committed offset and reprocess"
                )

    def commit(
        self,
        offsets: Mapping[TopicPartition, int] | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit durably (with ``metadata`` per partition if given);
        :class:`CommitFailed` for partitions this member lost."""
        if self._offsets is None:
            raise BrokerError("commit() needs a consumer made with a group_id")
        if offsets is None:
            offsets = {tp: self.position(tp) for tp in self._assigned}
        wanted = {TopicPartition(*tp): int(o) for tp, o in offsets.items()}
        self._offsets.commit(wanted, lambda: self.check_owns(wanted), metadata)

    def committed(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        stored = self._offsets.read() if self._offsets else {}
        return {TopicPartition(*tp): stored.get(TopicPartition(*tp)) for tp in partitions}

    def committed_metadata(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, str | None]:
        stored = self._offsets.read_metadata() if self._offsets else {}
        return {TopicPartition(*tp): stored.get(TopicPartition(*tp)) for tp in partitions}

    def group_metadata(self) -> GroupMetadata:
        if self._group_id is None:
            raise BrokerError("group_metadata() needs a consumer made with a group_id")
        member = self._membership.member_id if self._membership else ""
        return GroupMetadata(self._group_id, -1, member, native=self)

    def close(self) -> None:
        """Revoke (through the callback) and leave the group; close files."""
        if self._closed:
            return
        self._closed = True
        if self._membership is not None:
            self._revoke(list(self._assigned))
            self._membership.leave()
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
