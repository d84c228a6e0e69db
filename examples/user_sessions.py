"""User sessions: bursts of activity separated by 30 s of silence, summarized
once each has ended.

Reads JSON clicks ``{"user", "page", "amount", "ts"}`` keyed by user (event
time: ``ts``, ms) from ``clicks`` and writes one record per session to
``user-sessions``, keyed by user, once the session is over (no click of the user
for 30 s of stream time, plus 5 s of grace for clicks out of order)::

    {"user": "u7", "session_start": 1700000000000, "session_end": 1700000042001,
     "clicks": 5, "spend": 120, "pages": ["/", "/p/3"]}

``session_end`` is one past the last click. A click that arrives late but within
30 s of two sessions of its user joins them into one. The summary is a custom
aggregation: sessions that join are merged with its ``merge``.

    streamkit run examples/user_sessions.py --until-idle 5
"""

from datetime import timedelta
from typing import Any

from operators import agg, windows
from streamkit import App

Summary = dict[str, Any]


def _add(summary: Summary, click: dict[str, Any]) -> Summary:
    return {"clicks": summary["clicks"] + 1, "spend": summary["spend"] + click["amount"],
            "pages": sorted(set(summary["pages"]) | {click["page"]})}


def _merge(left: Summary, right: Summary) -> Summary:
    return {"clicks": left["clicks"] + right["clicks"], "spend": left["spend"] + right["spend"],
            "pages": sorted(set(left["pages"]) | set(right["pages"]))}


session_summary = agg.aggregator(
    initialize=lambda: {"clicks": 0, "spend": 0, "pages": []}, add=_add, merge=_merge)
"""Clicks, spend and the distinct pages of a session (accumulators are JSON)."""


def build(name: str = "user-sessions", clicks: str = "clicks", sessions: str = "user-sessions",
          **options: object) -> App:
    """The user-sessions app (names are parameters so tests can run it in isolation)."""
    app = App(name, **options)  # type: ignore[arg-type]
    source = app.topic(clicks, value="json", partitions=4)
    sessions_topic = app.topic(sessions, value="json")
    (
        app.stream(source, timestamp=lambda click: click["ts"])
        .window(windows.session(timedelta(seconds=30), grace=timedelta(seconds=5)))
        .aggregate(session_summary, name="sessions")
        .final()
        .map(lambda w: {"user": w.key, "session_start": w.start, "session_end": w.end,
                        **w.value})
        .to(sessions_topic)
    )
    return app


app = build()
