"""What queries (``streamkit state``, ``--serve``) show of a windowed aggregation's
store: each window's *result*, as the app emits it, rather than the accumulator
it keeps (``[sum, count]`` for a mean). Pure functions of a key's stored windows:
see :class:`streamkit.processor.WindowView`.

A hopping aggregation folded into panes keeps panes, not windows
(:mod:`operators.pane_aggregate`); its view merges them back into the windows
that are still **open**:

>>> from operators import agg
>>> view = pane_windows(agg.mean(), size_ms=30, step_ms=10, grace_ms=0)
>>> panes = [(0, 10, [4, 2]), (20, 30, [9, 1])]  # sums and counts of two panes
>>> view(panes, latest_end=30)
[(0, 30, 4.333333333333333), (10, 40, 9.0), (20, 50, 9.0)]
>>> view(panes, latest_end=40)  # stream time is 30 to 39: window [0, 30) closed
[(10, 40, 9.0), (20, 50, 9.0)]

A closed window cannot be shown from panes: a record accepted by later windows
also lands in the panes of closed ones, and retention drops a key's oldest panes
first. The view does not know the stream time, only the latest pane
``[latest_end - step, latest_end)``, so stream time is below ``latest_end``, and
at or above ``latest_end - step`` (when every record reaches the aggregation).
It shows the windows open even at ``latest_end``: at most the oldest open one,
which may just have closed, is left out.
"""

from __future__ import annotations

from operators.windows.assign import FIRST_START
from streamkit.processor import Aggregator, WindowEntry, WindowView


def window_results(aggregator: Aggregator) -> WindowView:
    """Each stored window with its accumulator turned into the aggregation's result.

    >>> from operators import agg
    >>> window_results(agg.mean())([(0, 10, [6, 3])], latest_end=10)
    [(0, 10, 2.0)]
    """
    result = aggregator.result

    def view(windows: list[WindowEntry], latest_end: int) -> list[WindowEntry]:
        return [(start, end, result(accumulator)) for start, end, accumulator in windows]

    return view


def pane_windows(aggregator: Aggregator, *, size_ms: int, step_ms: int, grace_ms: int) -> WindowView:
    """The open hopping windows of ``size_ms`` every ``step_ms`` that a key's
    panes make up, each the result of merging the panes it covers (see the
    module): those with ``start + size + grace >= latest_end``."""
    merge, result = aggregator.merge, aggregator.result
    panes_per_window = size_ms // step_ms

    def view(windows: list[WindowEntry], latest_end: int) -> list[WindowEntry]:
        panes = {start: accumulator for start, _end, accumulator in windows}
        lowest = max(FIRST_START, latest_end - size_ms - grace_ms)
        starts = sorted({start for pane in panes for k in range(panes_per_window)
                         if (start := pane - k * step_ms) >= lowest})
        shown = []
        for start in starts:
            covered = [panes[pane] for pane in range(start, start + size_ms, step_ms) if pane in panes]
            merged = covered[0]
            for accumulator in covered[1:]:
                merged = merge(merged, accumulator)
            shown.append((start, start + size_ms, result(merged)))
        return shown

    return view
