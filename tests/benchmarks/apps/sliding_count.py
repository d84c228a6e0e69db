"""W2 on streamkit: each user's clicks within 10 s of each other (sliding windows,
2 s grace), every changed window's count on every update.

    streamkit run tests/benchmarks/apps/sliding_count.py --until-idle 5
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settings import input_counter, setting

from operators import agg, windows
from streamkit import App

app = App(setting("APP", "bench-sliding"), commit_interval_ms=1000)
clicks = app.topic(setting("INPUT", "clicks"), value="json")
counts = app.topic(setting("OUTPUT", "sliding-counts"), value="json")

(
    app.stream(clicks)
    .peek(input_counter())
    .window(windows.sliding(10_000, grace=2_000))
    .aggregate(agg.count(), name="sliding-count")
    .updates()
    .map(lambda w: {"user": w.key, "start": w.start, "end": w.end, "count": w.value})
    .to(counts)
)
