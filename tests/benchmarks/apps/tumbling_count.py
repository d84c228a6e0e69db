"""B2 on streamkit: clicks per page in tumbling 10 s windows (2 s grace), final.

    streamkit run tests/benchmarks/apps/tumbling_count.py --until-idle 5

With ``STREAMKIT_BENCH_EXTRACTOR=on`` event time comes from the click's ``ts``
through a ``timestamp=`` extractor rather than from the record (the same times:
the loader stamps records with ``ts``), which the worker then also decodes to
merge the input partitions by it.
"""

import os
import sys
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settings import input_counter, setting, source_hook

from operators import agg, windows
from streamkit import App

app = App(setting("APP", "bench-tumbling"), commit_interval_ms=1000)
clicks = app.topic(setting("INPUT", "clicks"), key="bytes", value="json")
views = app.topic(setting("OUTPUT", "page-views"), value="json")

extractor = (lambda click: click["ts"]) if setting("EXTRACTOR", "off") == "on" else None

(
    app.stream(clicks, timestamp=extractor)
    .peek(source_hook())  # starts the clock on the first input read
    .rekey(lambda click: click["page"], name="by-page")
    .peek(input_counter())  # after the repartition, as for the Quix peer
    .group_by_key()
    .window(windows.tumbling(timedelta(seconds=10), grace=timedelta(seconds=2)))
    .aggregate(agg.count(), name="views")
    .final()
    .map(lambda w: {"page": w.key, "start": w.start, "end": w.end, "count": w.value})
    .to(views)
)
