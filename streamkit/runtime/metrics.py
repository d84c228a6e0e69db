"""Per-task counters: nothing is dropped uncounted."""

from __future__ import annotations

from collections import Counter

PROCESSED = "processed"
DEAD_LETTERED = "dead_lettered"
SKIPPED = "skipped"
RETRIED = "retried"
PUNCTUATION_ERRORS = "punctuation_errors"
# A worker's own: partitions whose records it stopped waiting for (order_wait_ms).
ORDER_WAITS_EXPIRED = "order_waits_expired"
# A worker's own: times a group of merged partitions came to hold too many
# records and paused every partition holding any (input_order.MAX_HELD_RECORDS).
ORDER_HELD_LIMIT_REACHED = "order_held_limit_reached"


class TaskMetrics:
    """Named counters of one task (``processed``, ``dead_lettered``, ``skipped``,
    operator counters such as ``late_records_dropped`` ...)."""

    __slots__ = ("counters",)

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()

    def count(self, metric: str, amount: int = 1) -> None:
        self.counters[metric] += amount

    def snapshot(self) -> dict[str, int]:
        return dict(self.counters)


def merge(snapshots: list[dict[str, int]]) -> dict[str, int]:
    """Sum counters of several tasks.

    >>> merge([{"processed": 2}, {"processed": 1, "skipped": 1}])
    {'processed': 3, 'skipped': 1}
    """
    total: Counter[str] = Counter()
    for snap in snapshots:
        total.update(snap)
    return dict(total)


def format_counters(counters: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(counters.items())) or "idle"
