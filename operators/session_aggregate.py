"""The session-window aggregate processor.

Sessions are stored as windows ``[first, last + 1)``. A record merges every
open session it touches (see :mod:`operators.windows.sessions`): their
accumulators are merged in start order, the old sessions are deleted and the
merged one is stored (and, in update mode, emitted). As in Kafka Streams, no
retraction is emitted for the absorbed sessions: the merged session, whose
``[start, end)`` covers them, supersedes their earlier results.

A session ``[start, end)`` closes when ``end + gap + grace <= stream time``
(no on-time record can reach it any more). A closed session is final: a later
record never extends or bridges it, and starts a new session instead.
"""

from __future__ import annotations

from operators.windowed_aggregate import WindowedAggregate
from operators.windows.sessions import merged_session
from streamkit.processor import Aggregator, Message

EARLIEST = -(2**62)


class SessionWindowAggregate(WindowedAggregate):
    """Aggregates each key's records into sessions separated by ``gap_ms`` of
    inactivity."""

    def __init__(
        self,
        aggregator: Aggregator,
        *,
        gap_ms: int,
        grace_ms: int,
        store_name: str,
        emit_final: bool,
        idle_timeout_ms: int | None = None,
    ) -> None:
        super().__init__(
            aggregator,
            store_name=store_name,
            emit_final=emit_final,
            close_delay_ms=gap_ms + grace_ms,
            punctuate_every_ms=max(gap_ms, 1),
            idle_timeout_ms=idle_timeout_ms,
        )
        self._gap_ms = gap_ms

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        key = message.key
        timestamp = message.timestamp
        gap = self._gap_ms
        touched = [
            (start, end, accumulator)
            # Sessions can be long, so any start up to timestamp + gap may reach
            # back to the record; the store only holds sessions within retention.
            for start, end, accumulator in self._store.fetch(key, EARLIEST, timestamp + gap)
            if end - 1 + gap >= timestamp and self._is_open(end, stream_time)
        ]
        start, end = merged_session(timestamp, ((s, e) for s, e, _ in touched))
        if not self._is_open(end, stream_time):
            return False
        aggregator = self._aggregator
        accumulator = aggregator.initialize()
        for old_start, old_end, old_accumulator in touched:
            accumulator = aggregator.merge(accumulator, old_accumulator)
            if (old_start, old_end) != (start, end):
                self._store.delete(key, old_start, old_end)
        accumulator = aggregator.add(accumulator, message.value)
        self._store.put(key, start, end, accumulator)
        self._updated(key, start, end, accumulator, new=True)
        return True
