"""The apps the fault tests run as ``streamkit run`` subprocesses.

Topic and app names are parameters so each test runs in isolation on a shared
broker. A test writes a one-line app file that calls one of these builders (see
:func:`tests.faults.processes.write_app_file`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from operators import agg, windows
from streamkit import App

PARTITIONS = 4
COMMIT_INTERVAL_MS = 200
COUNTS_STORE = "counts-store"


def counter(name: str, inputs: str, counts: str) -> App:
    """A running count per key ``k`` of ``{"k": ..., "i": ...}`` inputs: every input
    emits ``{"k": key, "n": count}``, keyed by ``k``, through a repartition topic
    (so exactly-once spans two sub-topologies and a changelog)."""
    app = App(name, commit_interval_ms=COMMIT_INTERVAL_MS)
    source = app.topic(inputs, value="json", partitions=PARTITIONS)
    sink = app.topic(counts, value="json", partitions=PARTITIONS)
    (
        app.stream(source)
        .group_by(lambda value: value["k"], name="by-key")
        .count(name="counts")
        .to_stream()
        .map(lambda key, count: {"k": key, "n": count})
        .to(sink)
    )
    return app


WINDOW_MS = 1_000
GRACE_MS = 200


def window_counter(name: str, clicks: str, views: str) -> App:
    """examples/page_views.py with small windows: clicks ``{"page", "ts"}`` counted per
    page in tumbling windows, one final result per page and window."""
    return _page_counter(name, clicks, views, step_ms=WINDOW_MS)


HOP_MS = 250


def hopping_counter(name: str, clicks: str, views: str) -> App:
    """:func:`window_counter` in hopping windows (every ``HOP_MS``): a count is
    order-insensitive, so final windows are merged from panes."""
    return _page_counter(name, clicks, views, step_ms=HOP_MS)


SESSION_GAP_MS = 100


def session_counter(name: str, clicks: str, views: str) -> App:
    """:func:`window_counter` in sessions (``SESSION_GAP_MS`` of inactivity), whose
    processor keeps each page's sessions decoded between records."""
    spec = windows.session(timedelta(milliseconds=SESSION_GAP_MS),
                           grace=timedelta(milliseconds=GRACE_MS))
    return _page_counter(name, clicks, views, spec=spec)


def sliding_counter(name: str, clicks: str, views: str) -> App:
    """:func:`window_counter` in sliding windows (``WINDOW_MS`` difference), whose
    processor keeps each page's windows and click times decoded between records."""
    spec = windows.sliding(timedelta(milliseconds=WINDOW_MS), grace=timedelta(milliseconds=GRACE_MS))
    return _page_counter(name, clicks, views, spec=spec)


def _page_counter(name: str, clicks: str, views: str, *, step_ms: int = WINDOW_MS,
                  spec: Any = None) -> App:
    app = App(name, commit_interval_ms=COMMIT_INTERVAL_MS)
    source = app.topic(clicks, value="json", partitions=PARTITIONS)
    sink = app.topic(views, value="json", partitions=PARTITIONS)
    if spec is None:
        spec = windows.hopping(timedelta(milliseconds=WINDOW_MS), timedelta(milliseconds=step_ms),
                               grace=timedelta(milliseconds=GRACE_MS))
    (
        app.stream(source, timestamp=lambda click: click["ts"])
        .group_by(lambda click: click["page"], name="by-page")
        .window(spec)
        .aggregate(agg.count(), name="views-per-page")
        .final()
        .map(lambda w: {"page": w.key, "window_start": w.start, "window_end": w.end,
                        "count": w.value})
        .to(sink)
    )
    return app
