"""B3 on streamkit: mean amount per user in hopping 60 s windows every 10 s, on
every update.

    streamkit run tests/benchmarks/apps/hopping_mean.py --until-idle 5

tests/benchmarks/final_hopping.py runs it with ``STREAMKIT_BENCH_EMIT=final`` (once
per window, when it closes), and with ``STREAMKIT_BENCH_PANES=off`` for a mean not
marked order-insensitive, whose state is kept per window rather than per pane.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settings import input_counter, setting

from operators import agg, windows
from streamkit import App

mean = agg.mean("amount")
if setting("PANES", "on") == "off":
    mean = agg.aggregator(initialize=mean.initialize, add=mean.add, result=mean.result,
                          merge=mean.merge)

app = App(setting("APP", "bench-hopping"), commit_interval_ms=1000)
clicks = app.topic(setting("INPUT", "clicks"), value="json")
means = app.topic(setting("OUTPUT", "mean-amounts"), value="json")

windowed = (
    app.stream(clicks)
    .peek(input_counter())
    .window(windows.hopping(60_000, 10_000))
    .aggregate(mean, name="mean-amount")
)
results = windowed.final() if setting("EMIT", "updates") == "final" else windowed.updates()
results.map(lambda w: {"user": w.key, "start": w.start, "end": w.end, "mean": w.value}).to(means)
