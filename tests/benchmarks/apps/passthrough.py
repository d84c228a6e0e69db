"""B1 on streamkit: keep clicks with an even amount, add ``amount_cents``.

    streamkit run tests/benchmarks/apps/passthrough.py --until-idle 5
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from settings import input_counter, setting

from streamkit import App


def enrich(click: dict) -> dict:
    click["amount_cents"] = click["amount"] * 100
    return click


app = App(setting("APP", "bench-passthrough"), commit_interval_ms=1000)
clicks = app.topic(setting("INPUT", "clicks"), key="bytes", value="json")
even = app.topic(setting("OUTPUT", "clicks-even"), key="bytes", value="json")

(
    app.stream(clicks)
    .peek(input_counter())
    .filter(lambda click: click["amount"] % 2 == 0)
    .map(enrich)
    .to(even)
)
