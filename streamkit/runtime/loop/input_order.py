"""Handing records to tasks in event-time order across partitions.

A consumer returns what it has fetched in runs per partition: librdkafka hands
over a fetch's worth of one partition (thousands of records of a backlog) before
the next. Processed in that order, a partition read ahead moves event time past
the others. After a re-key, a repartition partition then receives records far
behind its stream time, and windows drop them as late.

:class:`InputBuffer` holds records back and releases them in order of their
*partition time*: the highest event time their partition had shown up to and
including them. A record's event time is its timestamp or, for a topic that a
stream reads with a ``timestamp=`` extractor, what the extractor returns
(:func:`event_times`): Kafka Streams orders records by extracted time too.
Partition time never decreases within a partition, so sorting by it (stably)
keeps each partition's offset order. A record is released once no
partition that has more to read could still bring a record of lower partition
time: once its partition time is at most the *horizon*, the lowest partition
time among the partitions whose consumer knows of records it has not fetched
yet. Partitions that are caught up do not hold anything back, so live input
goes straight through.

Kafka Streams does the same within a task (its ``PartitionGroup``): it waits
without a bound for a partition whose lag is unknown or positive, and up to
``max.task.idle.ms`` (0 by default) for new records of one caught up. Here the
wait is bounded (:data:`ORDER_WAIT_MS`), and a merge group
(:func:`merge_groups`) may span the tasks of a sub-topology too, since the
re-keyed records of each of them meet again in every repartition partition;
:class:`InputOrder` keeps one buffer per group.

Holding records back takes memory, so a partition that has more than
``pause_above`` records held (or more than its share of the group's
:data:`MAX_HELD_RECORDS`) is *paused*: its consumer stops fetching it (and
Kafka's client drops what it prefetched of it) until no more than half that
many are held, while the partitions it waits for are fetched. Should the group
still come to hold more than ``max_held``, every partition of it that holds
records is paused until the group holds half that many; those that hold none
are fetched, and the one that holds the others back is always among them. This
is flow control, as Kafka Streams' ``buffered.records.per.partition`` and
``input.buffer.max.bytes``: :meth:`InputBuffer.flow` says which partitions to
pause and resume, and the worker tells its consumer. Nothing is handed on early
for want of memory: only the order wait's bound does that.

>>> from streamkit.log.records import Record
>>> buffer = InputBuffer(max_wait_s=1.0)
>>> lag = {("a", 0): 0, ("a", 1): 5}  # partition 1 has records not fetched yet
>>> buffer.add([Record("a", 0, 0, 10, None, b"x"), Record("a", 0, 1, 30, None, b"y")])
>>> buffer.add([Record("a", 1, 0, 20, None, b"z")])
>>> [r.timestamp for r in buffer.release(lag.get, now=0.0)]  # waits for more of partition 1
[10, 20]
>>> lag[("a", 1)] = 0  # caught up
>>> [r.timestamp for r in buffer.release(lag.get, now=0.1)]
[30]
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any

from streamkit.log.records import Record
from streamkit.runtime.topology import SinkNode, SubTopology

PartitionKey = tuple[str, int]
"""A partition as records name it: ``(topic, partition)``."""

LagFn = Callable[[PartitionKey], "int | None"]
"""Records known to be readable in a partition past what the consumer returned;
``None`` when not known (which holds records back only until the partition
delivers its first record)."""

TimeFn = Callable[[Record], int]
"""A record's event time."""

MergeGroup = tuple[int, bool]
"""Where a source topic's partitions are merged: ``(sub-topology id, by task)``."""

ORDER_WAIT_MS = 5_000
"""The default longest wait for a partition known to have more to read (App's
``order_wait_ms``), after which the records held for it are handed on and its
own older ones may come late. Kafka Streams waits without a bound for data known
to be on the broker; a bound keeps a partition whose lag cannot be trusted from
stalling the worker for good. It was 500 ms: with three 1.5 s pauses of the
broker (SIGSTOP, as a long GC pause would) while replaying 400,000 clicks
(benchmark B2, Kafka, exactly-once), the wait expired in 2 of 3 runs, and 1 % and
6 % of the clicks were dropped as late; at 5,000 ms none were in 3 runs, as in
runs without pauses (tests/faults/test_broker_pause.py does the same to the
page-views app)."""

PAUSE_ABOVE_RECORDS = 25_000
"""The default number of records held for one partition past which it is paused
(App's ``buffered_records_per_partition``). Pausing is not free on Kafka:
librdkafka drops what it prefetched of a paused partition and fetches it again
on resume. At 10,000, replaying 400,000 preloaded clicks (benchmark B2) paused
partitions dozens of times, ran about 13 % slower, and while partitions were
refetched others stalled past ``order_wait_ms`` and a few hundred clicks came
late; at 25,000 it never paused, on 1,000,000 clicks either."""

MAX_HELD_RECORDS = 200_000
"""Records a merge group holds back before it pauses every partition of it that
holds any (a soft limit, as Kafka Streams' ``input.buffer.max.bytes``): about
70 MB of 100-byte records. Pausing each partition of a group of ``n`` at
``min(pause_above, max_held // n)`` (:meth:`InputBuffer.flow`) keeps the group
below it unless a partition overshoots its share by the run it last delivered
(with 500-record polls, in groups of more than about 20 partitions). Past it,
only partitions that hold nothing are fetched, each until it delivers a run, so
a group holds at most ``max_held`` plus a run per partition. Earlier, the
earliest records were handed on past the limit instead, and the records they
had waited for could come late: before pausing existed, librdkafka delivered
one partition of a backlog up to 68,000 records ahead of the others for seconds
at a time (replaying a million preloaded clicks, benchmark B2), and with a limit
of 50,000 up to 14 % of the clicks were dropped as late."""

_BEFORE_ALL = -(2**63)
_partition_of = itemgetter(0, 1)  # (topic, partition) of a Record
_timestamp_of = itemgetter(3)


def event_times(subtopologies: Iterable[SubTopology]) -> dict[str, TimeFn]:
    """For each source topic read with a ``timestamp=`` extractor, the event time
    its task will give a record: the record decoded and passed to the extractor.
    Without this, a backlog whose log timestamps are not its event times (written
    at the time of writing, say, with the event's time in the value) would be
    merged by the wrong time, and records re-keyed by it come late.

    A record is decoded here and again by its task: the cost of ordering by a
    time inside the value. One that fails to decode, or whose extractor fails,
    keeps its log timestamp here; its task sends it to the dead letters."""
    times: dict[str, TimeFn] = {}
    for sub in subtopologies:
        for source in sub.sources:
            if source.timestamp is not None:
                for topic in source.topics:
                    times[topic.name] = _extracted_time(
                        source.timestamp, topic.key_serde.deserialize,
                        topic.value_serde.deserialize)
    return times


def _extracted_time(extract: Callable[[Any, Any, int], int],
                    decode_key: Callable[[bytes | None], Any],
                    decode_value: Callable[[bytes | None], Any]) -> TimeFn:
    def time_of(record: Record) -> int:
        try:
            return extract(decode_key(record.key), decode_value(record.value), record.timestamp)
        except Exception:  # noqa: BLE001 - its task dead-letters it, saying why
            return record.timestamp

    return time_of


def merge_groups(subtopologies: Iterable[SubTopology]) -> dict[str, MergeGroup]:
    """The source topics whose partitions' records meet, each with its
    :data:`MergeGroup`. Records are merged by time within a group only.

    - A sub-topology that writes to a repartition topic: the partitions of all
      its source topics, since each repartition partition receives records
      from every one of them (one group for the sub-topology).
    - A sub-topology that reads several topics (a join, a merge): each task's
      partitions, partition ``n`` of each topic (a group per task).

    Other sub-topologies are left out: each of their tasks reads one partition,
    in that partition's order, and the order across tasks changes no result.
    Merging those would only interleave tasks record by record, which cost
    benchmark B3 (hopping windows, four tasks) a fifth of its throughput on
    Kafka: each record then touches another task's state than the last."""
    groups: dict[str, MergeGroup] = {}
    for sub in subtopologies:
        if any(isinstance(node, SinkNode) and node.topic is not None and node.topic.internal
               for node in sub.nodes):
            by_task = False
        elif len(sub.source_topics) > 1:
            by_task = True
        else:
            continue
        for topic in sub.source_topics:
            groups[topic.name] = (sub.id, by_task)
    return groups


class _Partition:
    """One partition's held records and their partition times (parallel lists)."""

    __slots__ = ("paused", "records", "stalled", "time", "times")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.times: list[int] = []
        self.time = _BEFORE_ALL  # partition time of the last record added
        self.stalled = False  # waited on for max_wait_s in vain: not again until it delivers
        self.paused = False  # its consumer was told to stop fetching it (see flow)

    def take(self, upto: int) -> tuple[list[int], list[Record]]:
        """Remove and return the records whose partition time is at most ``upto``."""
        count = bisect_right(self.times, upto)
        times, records = self.times[:count], self.records[:count]
        del self.times[:count], self.records[:count]
        return times, records


class InputBuffer:
    """Holds polled records and releases them in partition-time order (see the
    module). ``max_wait_s`` bounds how long records wait for a lagging partition
    that delivers nothing (its lag may count records it cannot read yet): then
    everything held is released, and that partition holds nothing back until it
    delivers a record. A partition holding more than ``pause_above`` records,
    or than its share of ``max_held``, is to be paused until it holds half that
    many (:meth:`flow`). Should the group still hold more than ``max_held``,
    every partition holding records is to be paused until the group holds half
    that many, and :attr:`limits_reached` counts it."""

    def __init__(self, max_wait_s: float, max_held: int = MAX_HELD_RECORDS,
                 pause_above: int = PAUSE_ABOVE_RECORDS) -> None:
        self._max_wait_s = max_wait_s
        self._max_held = max_held
        self._pause_above = pause_above
        self._partitions: dict[PartitionKey, _Partition] = {}
        self._held = 0
        self._full = False  # held more than max_held, not yet down to half of it
        self._waiting_since: float | None = None
        # Partitions waited on for max_wait_s in vain, each time that happened
        # (the caller reports and clears them): their records may come late.
        self.gave_up: list[PartitionKey] = []
        # Times the group came to hold more than max_held and paused every
        # partition holding records (the caller reports and resets it).
        self.limits_reached = 0

    def __len__(self) -> int:
        return self._held

    def add(self, records: Iterable[Record], time_of: TimeFn = _timestamp_of) -> None:
        """Hold ``records`` (of any partitions, each partition's in offset order),
        whose event times ``time_of`` gives."""
        partitions = self._partitions
        # Consumers return runs per partition: add run by run.
        for key, group in groupby(records, _partition_of):
            partition = partitions.get(key)
            if partition is None:
                partition = partitions[key] = _Partition()
            run = list(group)
            latest = partition.time
            # A comprehension rather than accumulate(max): a third of the cost.
            times = [latest := t if t > latest else latest  # noqa: FURB136
                     for t in map(time_of, run)]
            partition.time = latest
            partition.stalled = False
            partition.times += times
            partition.records += run
            self._held += len(run)

    def release(self, lag: LagFn, now: float) -> list[Record]:
        """The held records no lagging partition can precede any more, in
        partition-time order; all of them once records have waited ``max_wait_s``
        (``now`` is a monotonic clock in seconds)."""
        if not self._held:
            self._waiting_since = None
            return []
        horizon = self._horizon(lag)
        released = self._take(horizon)
        if released or not self._held:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = now
        elif now - self._waiting_since >= self._max_wait_s:
            # Stop waiting for the partitions that kept everything back (their
            # lag may count records they cannot deliver) until they deliver.
            self._waiting_since = None
            for key, partition in self._partitions.items():
                if (not partition.records and partition.time <= horizon
                        and not partition.stalled and self._holds_back(partition, lag(key))):
                    partition.stalled = True
                    self.gave_up.append(key)
            released = self._take(2**63)
        return released

    def flow(self) -> tuple[list[PartitionKey], list[PartitionKey]]:
        """The partitions to pause and to resume, each once: the caller tells
        the consumer. A partition is paused when it holds more records than the
        smaller of ``pause_above`` and an equal share of ``max_held``, or when
        it holds any while the group holds more than ``max_held``; it is resumed
        once it holds at most half its limit, and none while the group is over
        (until it holds half of ``max_held``). The partition that holds the
        others back has released all it held, so it is fetched: no deadlock."""
        pause: list[PartitionKey] = []
        resume: list[PartitionKey] = []
        if self._held > self._max_held:
            if not self._full:
                self._full = True
                self.limits_reached += 1
        elif self._held <= self._max_held // 2:
            self._full = False
        full = self._full
        limit = min(self._pause_above, self._max_held // max(1, len(self._partitions)))
        for key, partition in self._partitions.items():
            held = len(partition.records)
            if not partition.paused:
                if held > limit or (full and held):
                    partition.paused = True
                    pause.append(key)
            elif held <= limit // 2 and not (full and held):
                partition.paused = False
                resume.append(key)
        return pause, resume

    def _horizon(self, lag: LagFn) -> int:
        """The lowest partition time a record not yet fetched could have. A
        partition that has delivered nothing yet and whose lag is not known
        either (before its first fetch) may hold records of any time."""
        horizon = 2**63
        for key, partition in self._partitions.items():
            # Ask only when the answer could lower the horizon.
            if (partition.time < horizon and not partition.stalled
                    and self._holds_back(partition, lag(key))):
                horizon = partition.time
        return horizon

    @staticmethod
    def _holds_back(partition: _Partition, behind: int | None) -> bool:
        """Whether ``partition``, ``behind`` records short of its end, may still
        bring records older than the others': it has some to read, or it has
        delivered nothing and its lag is not known yet."""
        if behind is None:
            return partition.time == _BEFORE_ALL
        return behind > 0

    def _take(self, horizon: int) -> list[Record]:
        taken = [p.take(horizon) for p in self._partitions.values() if p.times]
        taken = [(times, records) for times, records in taken if records]
        if not taken:
            return []
        if len(taken) == 1:
            records = taken[0][1]
        else:  # merge: a stable sort by partition time keeps each partition's order
            times = [t for ts, _ in taken for t in ts]
            merged = [r for _, rs in taken for r in rs]
            records = [merged[i] for i in sorted(range(len(times)), key=times.__getitem__)]
        self._held -= len(records)
        return records

    def track(self, keys: Iterable[PartitionKey]) -> None:
        """Start following partitions (newly assigned): until one delivers a
        record, a lag on it holds every other back."""
        for key in keys:
            self._partitions.setdefault((key[0], key[1]), _Partition())

    def held(self, key: PartitionKey) -> int:
        """How many records are held for partition ``key``."""
        partition = self._partitions.get(key)
        return len(partition.records) if partition is not None else 0

    def first(self, key: PartitionKey) -> Record | None:
        """The first record held for partition ``key``, if any."""
        partition = self._partitions.get(key)
        return partition.records[0] if partition is not None and partition.records else None

    def drop(self, keys: Iterable[PartitionKey]) -> list[PartitionKey]:
        """Forget partitions (revoked, or sought elsewhere): their held records
        will be read again by whoever reads them next. Returns those of them
        that are paused, to be resumed: a consumer may keep a partition paused
        across its revocation and reassignment."""
        paused = []
        for key in keys:
            partition = self._partitions.pop((key[0], key[1]), None)
            if partition is not None:
                self._held -= len(partition.records)
                if partition.paused:
                    paused.append((key[0], key[1]))
        return paused

    def clear(self) -> list[PartitionKey]:
        """Forget every partition; returns the paused ones (see :meth:`drop`)."""
        return self.drop(list(self._partitions))


class InputOrder:
    """The worker's input: each partition's records go to the
    :class:`InputBuffer` of its merge group (:func:`merge_groups`), those of
    partitions in no group straight on. ``times`` gives the event time of the
    records of topics read with an extractor (:func:`event_times`); others go
    by their timestamps."""

    def __init__(self, groups: dict[str, MergeGroup], max_wait_s: float,
                 pause_above: int = PAUSE_ABOVE_RECORDS,
                 max_held: int = MAX_HELD_RECORDS,
                 times: dict[str, TimeFn] | None = None) -> None:
        self._groups = groups
        self._times = times or {}
        self._max_wait_s = max_wait_s
        self._pause_above = pause_above
        self._max_held = max_held
        self._buffers: dict[tuple[int, int | None], InputBuffer] = {}

    def __len__(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def _buffer(self, key: PartitionKey) -> InputBuffer | None:
        group = self._groups.get(key[0])
        if group is None:
            return None
        sub, by_task = group
        buffer_key = (sub, key[1] if by_task else None)
        buffer = self._buffers.get(buffer_key)
        if buffer is None:
            buffer = self._buffers[buffer_key] = InputBuffer(
                self._max_wait_s, self._max_held, self._pause_above)
        return buffer

    def release(self, polled: list[Record], lag: LagFn, now: float) -> list[Record]:
        """Take ``polled`` (each partition's records in offset order) and return
        the records to process now: those of partitions in no group, then what
        each group releases (see :meth:`InputBuffer.release`)."""
        released: list[Record] = []
        for key, run in groupby(polled, _partition_of):
            buffer = self._buffer(key)
            if buffer is None:
                released += run
            else:
                buffer.add(run, self._times.get(key[0], _timestamp_of))
        for buffer in self._buffers.values():
            released += buffer.release(lag, now)
        return released

    def gave_up(self) -> list[PartitionKey]:
        """The partitions waited on for ``max_wait_s`` in vain since the last call
        (once per time; see :meth:`InputBuffer.release`)."""
        keys: list[PartitionKey] = []
        for buffer in self._buffers.values():
            if buffer.gave_up:
                keys += buffer.gave_up
                buffer.gave_up.clear()
        return keys

    def limits_reached(self) -> int:
        """How many times since the last call a group came to hold more than
        ``max_held`` records and paused every partition holding any."""
        count = 0
        for buffer in self._buffers.values():
            count += buffer.limits_reached
            buffer.limits_reached = 0
        return count

    def flow(self) -> tuple[list[PartitionKey], list[PartitionKey]]:
        """The partitions to pause and to resume (see :meth:`InputBuffer.flow`)."""
        pause: list[PartitionKey] = []
        resume: list[PartitionKey] = []
        for buffer in self._buffers.values():
            more_paused, more_resumed = buffer.flow()
            pause += more_paused
            resume += more_resumed
        return pause, resume

    def track(self, keys: Iterable[PartitionKey]) -> None:
        """Follow newly assigned partitions (see :meth:`InputBuffer.track`)."""
        for key in keys:
            buffer = self._buffer(key)
            if buffer is not None:
                buffer.track([key])

    def first(self, key: PartitionKey) -> Record | None:
        """The first record held for partition ``key``, if any."""
        buffer = self._buffer(key)
        return buffer.first(key) if buffer is not None else None

    def drop(self, keys: Iterable[PartitionKey]) -> list[PartitionKey]:
        """Forget partitions; returns the paused ones (see :meth:`InputBuffer.drop`)."""
        keys = list(keys)
        return [key for buffer in self._buffers.values() for key in buffer.drop(keys)]

    def clear(self) -> list[PartitionKey]:
        """Forget every partition; returns the paused ones, to be resumed."""
        paused = [key for buffer in self._buffers.values() for key in buffer.clear()]
        self._buffers.clear()
        return paused
