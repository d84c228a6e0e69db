"""B3 on streamkit: mean amount per user in hopping 60 s windows every 10 s, on
every update.

    streamkit run tests/benchmarks/apps/hopping_mean.py --until-idle 5
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settings import input_counter, setting

from operators import agg, windows
from streamkit import App

app = App(setting("APP", "bench-hopping"), commit_interval_ms=1000)
clicks = app.topic(setting("INPUT", "clicks"), value="json")
means = app.topic(setting("OUTPUT", "mean-amounts"), value="json")

(
    app.stream(clicks)
    .peek(input_counter())
    .window(windows.hopping(60_000, 10_000))
    .aggregate(agg.mean("amount"), name="mean-amount")
    .updates()
    .map(lambda w: {"user": w.key, "start": w.start, "end": w.end, "mean": w.value})
    .to(means)
)
