"""W1 on streamkit: clicks per user session (30 s of inactivity closes one), the
session's count on every update.

    streamkit run tests/benchmarks/apps/session_count.py --until-idle 5
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settings import input_counter, setting

from operators import agg, windows
from streamkit import App

app = App(setting("APP", "bench-sessions"), commit_interval_ms=1000)
clicks = app.topic(setting("INPUT", "clicks"), value="json")
sessions = app.topic(setting("OUTPUT", "session-counts"), value="json")

(
    app.stream(clicks)
    .peek(input_counter())
    .window(windows.session(30_000))
    .aggregate(agg.count(), name="session-count")
    .updates()
    .map(lambda w: {"user": w.key, "start": w.start, "end": w.end, "count": w.value})
    .to(sessions)
)
