"""The worker's side of input ordering (:mod:`~streamkit.runtime.loop.input_order`):
polled records go through an :class:`InputOrder`, which asks the consumer for
each partition's lag; the partitions it says to pause or resume are paused or
resumed; a wait that expired is logged and counted, and so is a group that came
to hold too many records (and paused every partition holding any).

Without a merge group, or with ``order_wait_ms=0``, records pass straight
through and nothing is held.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from streamkit.log.broker import Consumer
from streamkit.log.records import Record, TopicPartition
from streamkit.runtime.loop.input_order import (
    InputOrder,
    PartitionKey,
    event_times,
    merge_groups,
)
from streamkit.runtime.metrics import ORDER_HELD_LIMIT_REACHED, ORDER_WAITS_EXPIRED
from streamkit.runtime.topology import SubTopology

log = logging.getLogger("streamkit.worker")


class OrderedInput:
    """A worker's held-back input and the consumer it pauses and resumes.

    ``counters`` receives :data:`~streamkit.runtime.metrics.ORDER_WAITS_EXPIRED`
    and :data:`~streamkit.runtime.metrics.ORDER_HELD_LIMIT_REACHED`.
    The consumer is the worker's current one (:meth:`attach`); it changes when
    the worker restarts its clients.
    """

    def __init__(self, subtopologies: list[SubTopology], *, order_wait_ms: int,
                 pause_above: int, max_held: int, worker_id: str,
                 counters: Counter[str]) -> None:
        groups = merge_groups(subtopologies)
        self._order = (InputOrder(groups, order_wait_ms / 1000, pause_above, max_held,
                                  event_times(subtopologies))
                       if order_wait_ms > 0 and groups else None)
        self._max_held = max_held
        self._wait_ms = order_wait_ms
        self._worker_id = worker_id
        self._counters = counters
        self._consumer: Consumer | None = None

    def __len__(self) -> int:
        """The records held back."""
        return len(self._order) if self._order is not None else 0

    def attach(self, consumer: Consumer) -> None:
        """Ask ``consumer`` for lags, and pause and resume its partitions, from now on."""
        self._consumer = consumer

    def release(self, records: list[Record], now: float) -> list[Record]:
        """Take a poll's ``records``; return those to process now."""
        order = self._order
        if order is None:
            return records
        records = order.release(records, self._lag, now)
        gave_up = order.gave_up()
        if gave_up:
            self._report_gave_up(gave_up)
        limits_reached = order.limits_reached()
        if limits_reached:
            self._report_limits_reached(limits_reached)
        pause, resume = order.flow()
        if pause:
            log.debug("pausing %s: too many records held back", pause)
            self._consumer_now().pause([TopicPartition(*key) for key in pause])
        self._resume(resume)
        return records

    def next_offset(self, tp: TopicPartition) -> int:
        """The next offset to process in ``tp``: of its first record held back, if
        any, else the consumer's position."""
        held = self._order.first(tp) if self._order is not None else None
        return held.offset if held is not None else self._consumer_now().position(tp)

    def track(self, partitions: Iterable[TopicPartition]) -> None:
        """Follow newly assigned partitions."""
        if self._order is not None:
            self._order.track(partitions)

    def drop(self, partitions: Iterable[TopicPartition]) -> None:
        """Forget revoked partitions and what is held of them (their next owner
        reads them from the commit), resuming those paused."""
        if self._order is not None:
            self._resume(self._order.drop(partitions))

    def restart(self, assigned: Iterable[TopicPartition]) -> None:
        """Forget everything held, after a rewind to the committed offsets, and
        follow ``assigned`` afresh."""
        if self._order is not None:
            self._resume(self._order.clear())
            self._order.track(assigned)

    def clear(self) -> None:
        """Forget everything held, with the consumer about to be closed."""
        if self._order is not None:
            self._order.clear()

    def _lag(self, key: PartitionKey) -> int | None:
        return self._consumer_now().fetch_lag(TopicPartition(*key))

    def _resume(self, keys: list[PartitionKey]) -> None:
        if keys:
            self._consumer_now().resume([TopicPartition(*key) for key in keys])

    def _report_gave_up(self, keys: list[PartitionKey]) -> None:
        self._counters[ORDER_WAITS_EXPIRED] += len(keys)
        log.warning(
            "worker %s: waited %d ms in vain for records of %s (lag %s); handing on the "
            "records held for them: any of theirs older than those may now come late "
            "(raise order_wait_ms if the broker is slow rather than stuck)",
            self._worker_id, self._wait_ms,
            ", ".join(f"{topic}[{partition}]" for topic, partition in keys),
            ", ".join(str(self._lag(key)) for key in keys))

    def _report_limits_reached(self, count: int) -> None:
        # Nothing comes late of it, but paused partitions are fetched again on
        # resume (librdkafka drops what it prefetched): said once, then counted.
        if not self._counters[ORDER_HELD_LIMIT_REACHED]:
            log.info(
                "worker %s: held more than %d records back for one group of partitions; "
                "pausing every partition of it that holds any until half are handed on "
                "(counted in %s; if it recurs, spread the partitions over more workers "
                "or lower buffered_records_per_partition)",
                self._worker_id, self._max_held, ORDER_HELD_LIMIT_REACHED)
        self._counters[ORDER_HELD_LIMIT_REACHED] += count

    def _consumer_now(self) -> Consumer:
        assert self._consumer is not None, "attach a consumer first"
        return self._consumer
