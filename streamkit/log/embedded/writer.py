"""The embedded producer's background writer: appends batches it is handed on
its own thread, a linger after the oldest hand-over, so that the sender goes on
encoding while they are written and fsynced."""

from __future__ import annotations

import threading
import time

from streamkit.log.embedded.batch import BatchBuilder
from streamkit.log.embedded.partition_log import PartitionLog
from streamkit.log.errors import DeliveryFailed

Jobs = list[tuple[PartitionLog, list[BatchBuilder]]]
"""Batches to append, per partition log, each list in order."""


class BackgroundWriter:
    """Appends handed-over batches on one background thread, in the order they
    were handed over (``pwrite`` and ``fdatasync`` release the GIL, so the
    sender keeps encoding meanwhile).

    The thread writes ``linger_s`` after the oldest hand-over it has not
    written yet (at once when :meth:`wait` asks), so that hand-overs close
    together share one write and one ``fdatasync`` per partition; while it
    writes, further hand-overs queue up for the next write (group commit).

    Once ``bound_bytes`` are queued they are written without lingering, and
    :meth:`hand_over` blocks while twice that is unwritten: a sender faster
    than the disk is slowed down, not buffered without bound.

    A failed append is kept until :meth:`wait` raises it; until then the
    thread writes nothing more, so that a partition never gets later records
    after a gap.
    """

    def __init__(self, linger_s: float, bound_bytes: int) -> None:
        self._linger_s = linger_s
        self._bound = bound_bytes
        self._changed = threading.Condition()
        self._queue: Jobs = []
        self._queued_bytes = 0
        self._unwritten_bytes = 0  # queued, or being written
        self._oldest = 0.0  # when the oldest job in the queue was handed over
        self._writing = False
        self._hurry = False  # wait() is waiting: write without lingering
        self._stopping = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def hand_over(self, jobs: Jobs) -> None:
        """Queue ``jobs`` for a background append. After a failed append they
        are dropped: :meth:`wait` raises for every record since it last did."""
        with self._changed:
            if self._error is not None:
                return
            if not self._queue:
                self._oldest = time.monotonic()
            self._queue.extend(jobs)
            size = sum(len(builder) for _, builders in jobs for builder in builders)
            self._queued_bytes += size
            self._unwritten_bytes += size
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="streamkit-embedded-writer", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
            while self._unwritten_bytes > 2 * self._bound and self._error is None:
                self._changed.wait()

    def wait(self) -> None:
        """Return once every job handed over is durable; raise
        :class:`DeliveryFailed` if any append since the last ``wait`` failed."""
        with self._changed:
            self._hurry = True
            self._changed.notify_all()
            while (self._queue or self._writing) and self._error is None:
                self._changed.wait()
            self._hurry = False
            error, self._error = self._error, None
        if isinstance(error, OSError):
            raise DeliveryFailed(f"could not append to the embedded log: {error}") from error
        if error is not None:
            raise error

    def stop(self) -> None:
        """Let the thread end (after :meth:`wait`, nothing is left to write)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopping and not (self._queue and self._due()):
                    self._changed.wait(self._time_left())
                if not self._queue:
                    return  # stopping, nothing left
                jobs, self._queue = self._queue, []
                size, self._queued_bytes = self._queued_bytes, 0
                self._writing = True
            try:
                for log, builders in by_partition(jobs):
                    log.append(builders)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the sender by wait()
                with self._changed:
                    self._error = exc
                    self._queue = []
                    size += self._queued_bytes
                    self._queued_bytes = 0
            with self._changed:
                self._unwritten_bytes -= size
                self._writing = False
                self._changed.notify_all()

    def _due(self) -> bool:
        return (self._hurry or self._stopping or self._queued_bytes >= self._bound
                or time.monotonic() >= self._oldest + self._linger_s)

    def _time_left(self) -> float | None:
        if not self._queue:
            return None
        return max(0.0, self._oldest + self._linger_s - time.monotonic())


def by_partition(jobs: Jobs) -> Jobs:
    """``jobs`` with one entry per partition log, its batches in their order."""
    merged: dict[PartitionLog, list[BatchBuilder]] = {}
    for log, builders in jobs:
        merged.setdefault(log, []).extend(builders)
    return list(merged.items())
