"""CPython's cyclic garbage collector, tuned while a worker processes records.

A stream app allocates a few container objects per record (decoded values,
accumulators, results) and frees almost all of them at once through reference
counting; what it keeps (store caches, window panes) grows slowly. With
CPython's default thresholds the collector still runs every 700 net
allocations, and every so often walks every object the process holds: 0.4 to
0.6 s of a 6 s run of benchmark B3 (see ``docs/benchmarks.md``). A worker
therefore:

- freezes the objects that exist when processing starts (modules, the app, its
  topology), so that no collection walks them again (:func:`gc.freeze`);
- raises the youngest generation's threshold to :data:`YOUNG_THRESHOLD` net
  allocations, so that the collector runs when garbage can have built up, not
  every few records.

Reference cycles are still collected, later: at most about that many objects
wait for a collection. ``streamkit run --gc-threshold 0`` leaves the collector as
Python set it.

>>> import gc
>>> before = gc.get_threshold()
>>> with tuned_collector(50_000):
...     gc.get_threshold()[0]
50000
>>> gc.get_threshold() == before
True
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000
"""Net allocations between two collections of the youngest generation while a
worker runs (CPython's default is 700)."""


_lock = threading.Lock()
_tuned_workers = 0
_untuned_thresholds: tuple[int, ...] = ()


@contextmanager
def tuned_collector(young_threshold: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the body with the collector tuned for a processing loop (see the
    module); ``young_threshold <= 0`` leaves it alone. The first of several
    workers in one process (threads, in tests) tunes it and the last to leave
    gives the thresholds and the frozen objects back, so an embedding process
    (a test run, a notebook) gets its collector back as it was."""
    global _tuned_workers, _untuned_thresholds
    if young_threshold <= 0:
        yield
        return
    with _lock:
        if _tuned_workers == 0:
            _untuned_thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(young_threshold, _untuned_thresholds[0]),
                             *_untuned_thresholds[1:])
        _tuned_workers += 1
    try:
        yield
    finally:
        with _lock:
            _tuned_workers -= 1
            if _tuned_workers == 0:
                gc.set_threshold(*_untuned_thresholds)
                gc.unfreeze()
