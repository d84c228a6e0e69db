"""Pure sliding-window logic (record-driven, as Kafka Streams' SlidingWindows).

With a time difference ``d``, two records share a window when their timestamps
differ by at most ``d`` (inclusive). Windows are ``[start, start + d + 1)``
(i.e. ``[start, start + d]`` inclusive). The windows of a key are exactly:

- for each record at ``t``: its *left* window ``[t - d, t + 1)`` (ending at it);
- for each record at ``t`` with another record in ``(t, t + d + 1]``: its
  *right* window ``[t + 1, t + d + 2)`` (starting just after it);

so (away from the epoch) every distinct set of records within ``d`` of each
other has one window, and a window never exists without records. As in Kafka
Streams, no window starts before the epoch: the left window of a record at
``t < d`` is ``[0, d + 1)``, which all such records share (with every record up
to ``d``); a record with a negative timestamp is in no window.

>>> window_of_start(3_000, difference_ms=5_000)  # the left window of a record at 8000
(3000, 8001)
>>> new_window_starts(9_200, [8_000], difference_ms=5_000)
[4200, 8001]
>>> new_window_starts(3_000, [1_000], difference_ms=5_000)  # [0, 5000] holds both
[0, 1001]
"""

from __future__ import annotations

from collections.abc import Iterable

from operators.windows.assign import FIRST_START


def window_of_start(start: int, *, difference_ms: int) -> tuple[int, int]:
    """The sliding window that begins at ``start``."""
    return start, start + difference_ms + 1


def new_window_starts(
    timestamp: int, nearby_record_times: Iterable[int], *, difference_ms: int
) -> list[int]:
    """Starts of the windows that may appear when a record at ``timestamp``
    arrives, given the key's other record times within ``d + 1`` of it.

    At most three: the record's left window (``[0, d]`` near the epoch), its
    right window (if a later record is within ``d + 1``), and the right window
    of the latest earlier record within ``d + 1`` (the only earlier record whose
    right window could have been missing: every other one has a later record in
    range). Windows that already exist are the caller's to skip.
    """
    d = difference_ms
    starts = [max(timestamp - d, FIRST_START)]
    latest_before = None
    has_later = False
    for time in nearby_record_times:
        if timestamp < time <= timestamp + d + 1:
            has_later = True
        elif timestamp - d - 1 <= time < timestamp and (
            latest_before is None or time > latest_before
        ):
            latest_before = time
    if latest_before is not None:
        starts.append(latest_before + 1)
    if has_later:
        starts.append(timestamp + 1)
    return starts
