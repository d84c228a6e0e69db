"""Purging repartition topics: a repartition record is read once, by the task that
owns its partition, so once the worker has committed past it nobody needs it again.
Repartition topics keep records forever (``retention.ms=-1``: they carry event
time), so without this they would grow without bound. Like Kafka Streams
(``repartition.purge.interval.ms``), the worker deletes the records below its
committed offsets, at most every ``interval_s``.

Purging is housekeeping: it runs on a background thread, so a slow or failing
broker never holds up processing, and a failure is only logged (the next purge
covers what this one missed). User topics are never purged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from streamkit.log.broker import Broker
from streamkit.log.records import TopicPartition

log = logging.getLogger("streamkit.purge")


class RepartitionPurger:
    """Deletes the records of ``topics`` (an app's repartition topics) below the
    offsets a worker committed."""

    def __init__(self, broker: Broker, topics: Iterable[str], interval_s: float) -> None:
        self._broker = broker
        self._topics = frozenset(topics)
        self._interval_s = interval_s
        self._next_purge = time.monotonic() + interval_s
        self._purged: dict[TopicPartition, int] = {}  # written by the purge thread
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future[None] | None = None

    def after_commit(self, committed: Mapping[TopicPartition, int]) -> None:
        """Start purging the repartition partitions among ``committed`` (offsets
        the worker has just committed) up to those offsets, unless the last purge
        was less than ``interval_s`` ago or is still running."""
        if not self._topics or time.monotonic() < self._next_purge:
            return
        if self._running is not None and not self._running.done():
            return
        offsets = {tp: offset for tp, offset in committed.items()
                   if tp.topic in self._topics and offset > self._purged.get(tp, 0)}
        if not offsets:
            return
        self._next_purge = time.monotonic() + self._interval_s
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="streamkit-purge")
        self._running = self._executor.submit(self._purge, offsets)

    def _purge(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            admin = self._broker.admin()
            try:
                admin.delete_records(offsets)
            finally:
                admin.close()
        except Exception as error:  # noqa: BLE001 - a failed purge never affects processing
            log.warning("purging repartition topics up to the committed offsets failed (%s): "
                        "retrying in %.0f s", error, self._interval_s)
            return
        self._purged.update(offsets)
        log.debug("purged repartition records below %s", offsets)

    def close(self) -> None:
        """Wait for a purge in progress to finish."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
