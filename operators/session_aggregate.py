"""The session-window aggregate processor.

Sessions are stored as windows ``[first, last + 1)``. A record merges every
open session it touches (see :mod:`operators.windows.sessions`): their
accumulators are merged in start order, the old sessions are deleted and the
merged one is stored (and, in update mode, emitted). As in Kafka Streams, no
retraction is emitted for the absorbed sessions: the merged session, whose
``[start, end)`` covers them, supersedes their earlier results.

As with every window kind, a record with a timestamp before the epoch is in
no session: it goes to the late output.

A session ``[start, end)`` closes when ``end + gap + grace <= stream time``
(no on-time record can reach it any more). A closed session is final: a later
record never extends or bridges it, and starts a new session instead.

Each record needs its key's sessions. The processor keeps them decoded per key
(read from the store once, then kept in step with every write), so a record
costs a dict look-up rather than a range scan of the store. The cache lives and
dies with the processor: a task recreated after an abort or a rebalance starts
with an empty one.
"""

from __future__ import annotations

from typing import Any

from operators.key_cache import KeyCache
from operators.windowed_aggregate import WindowedAggregate
from operators.windows.assign import FIRST_START
from operators.windows.sessions import merged_session
from streamkit.processor import Aggregator, Message, NoneAccumulator

EARLIEST = -(2**62)
LATEST = 2**62

Session = tuple[int, int, Any]
"""``(start, end, accumulator)``."""


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
        # key -> its sessions in the store, by start (closed ones may linger)
        self._sessions: KeyCache[list[Session]] = KeyCache()

    def _aggregate(self, message: Message, stream_time: int) -> bool:
        key = message.key
        try:
            return self._aggregate_key(key, message, stream_time)
        except BaseException:
            self._sessions.forget(key)  # an aggregator may have failed half-way through an update
            raise

    def _aggregate_key(self, key: Any, message: Message, stream_time: int) -> bool:
        timestamp = message.timestamp
        if timestamp < FIRST_START:
            return False  # before the epoch: in no window of any kind (to the late output)
        gap = self._gap_ms
        close_delay = self._close_delay_ms
        known = self._key_sessions(key)
        touched: list[Session] = []
        kept: list[Session] = []
        for session in known:
            end = session[1]
            if end + close_delay <= stream_time:
                continue  # closed: never joined again, and gone from the store by retention
            if session[0] - gap <= timestamp <= end - 1 + gap:
                touched.append(session)
            else:
                kept.append(session)
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
        if accumulator is None:
            raise NoneAccumulator(aggregator, "add")
        self._store.put(key, start, end, accumulator)
        kept.append((start, end, accumulator))
        if len(kept) > 1:
            kept.sort(key=_start_and_end)
        self._sessions.remember(key, kept)
        self._updated(key, start, end, accumulator, new=True)
        return True

    def _key_sessions(self, key: Any) -> list[Session]:
        """``key``'s sessions, by start: from the cache, else from the store."""
        known = self._sessions.lookup(key)
        if known is None:
            known = list(self._store.fetch(key, EARLIEST, LATEST))
        return known


def _start_and_end(session: Session) -> tuple[int, int]:
    return session[0], session[1]
