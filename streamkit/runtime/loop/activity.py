"""Whether a worker is working, for ``--until-idle``: it reports when it first has
tasks (:meth:`Activity.joined`) and whenever it processes or commits something
(:meth:`Activity.active`)."""

from __future__ import annotations

import time
from typing import Protocol

JOIN_GRACE_S = 20.0  # how long a worker may wait for its first partitions before idling


class Activity(Protocol):
    """Where a worker reports that it is alive and working."""

    def joined(self) -> None: ...

    def active(self) -> None: ...


class LocalActivity:
    """Tracks idleness within one process: idle time counts from when the worker
    first had tasks (or, if it never gets any, from the end of a join grace).
    Reports go on to ``shared`` too, which tracks the workers of a run together."""

    def __init__(self, shared: Activity | None = None) -> None:
        self._shared = shared
        self._joined = False
        self._started = self._last = time.monotonic()

    def joined(self) -> None:
        if not self._joined:
            self._joined = True
            self._last = time.monotonic()
        if self._shared is not None:
            self._shared.joined()

    def active(self) -> None:
        self._last = time.monotonic()
        if self._shared is not None:
            self._shared.active()

    def idle_for(self) -> float:
        now = time.monotonic()
        if self._joined:
            return now - self._last
        # More workers than partitions: this one may never get any.
        return max(0.0, now - self._started - JOIN_GRACE_S)
