"""Page views per page in 10-second windows, counted once each window closes.

Reads JSON clicks ``{"user", "page", "amount", "ts"}`` (event time: ``ts``, ms)
from ``clicks`` and writes, keyed by page, one record per page and window to
``page-views``::

    {"page": "/p/42", "window_start": 1700000000000, "window_end": 1700000010000, "count": 17}

Windows are tumbling, 10 s, with 2 s of grace for out-of-order clicks. Clicks
that arrive after their window closed go to ``page-views-late`` unchanged.
Reading a backlog (a replay, or a start far behind), the worker hands the clicks
of its four partitions on in event-time order, so that the re-key by page does
not make them late (``order_wait_ms``, docs/windows.md;
tests/runtime/test_backlog_order.py runs this app on such a backlog).

    streamkit run examples/page_views.py --until-idle 5
"""

from datetime import timedelta

from operators import agg, windows
from streamkit import App


def build(name: str = "page-views", clicks: str = "clicks", page_views: str = "page-views",
          late: str = "page-views-late", **options: object) -> App:
    """The page-views app (names are parameters so tests can run it in isolation)."""
    app = App(name, **options)  # type: ignore[arg-type]
    source = app.topic(clicks, value="json", partitions=4)
    views = app.topic(page_views, value="json")
    late_clicks = app.topic(late, value="json")

    counts = (
        app.stream(source, timestamp=lambda click: click["ts"])
        .group_by(lambda click: click["page"], name="by-page")  # repartition by page
        .window(windows.tumbling(timedelta(seconds=10), grace=timedelta(seconds=2)))
        .aggregate(agg.count(), name="views-per-page")
    )
    (
        counts.final()  # one result per page and window, when stream time passes end + grace
        .map(lambda w: {"page": w.key, "window_start": w.start, "window_end": w.end,
                        "count": w.value})
        .to(views)
    )
    counts.late().to(late_clicks)
    return app


app = build()
