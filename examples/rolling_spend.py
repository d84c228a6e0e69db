"""Spend per user over the last minute, and alerts on bursts of spending.

Reads JSON clicks ``{"user", "page", "amount", "ts"}`` keyed by user (event
time: ``ts``, ms) from ``clicks`` and writes two topics, keyed by user:

- ``spend-per-minute``: the user's spend in each 60 s window, windows starting
  every 10 s (hopping), updated on every click::

      {"user": "u7", "window_start": 1700000040000, "window_end": 1700000100000, "spend": 93}

  A click is in six windows, so it updates six results. ``sum`` is
  order-insensitive, so the state is kept per 10 s pane: a click writes one
  pane, and each window is merged from its six panes when emitted.

- ``spend-alerts``: every time a user's spend within any 10 s span (sliding
  windows: each distinct set of clicks at most 10 s apart) goes above
  ``alert_above``::

      {"user": "u7", "from": 1700000031200, "to": 1700000041200, "spend": 180}

  ``from`` and ``to`` are the first and last instant of the span (inclusive).

- ``biggest-clicks``: the user's biggest click of each minute (tumbling 60 s
  windows, a reduce), once the minute has closed; the earliest of equal ones::

      {"user": "u7", "window_start": 1700000040000, "window_end": 1700000100000,
       "page": "/p/3", "amount": 50}

Every window accepts clicks until 5 s of stream time after its end (grace). A
click too late for every window it belongs to is dropped and counted in the
``late_records_dropped`` metric.

    streamkit run examples/rolling_spend.py --until-idle 5

Then a user's open windows, with their spend, as the app last emitted them
(the store keeps panes; a query merges them into windows)::

    streamkit state get examples/rolling_spend.py spend-per-minute-store-panes u7
"""

from datetime import timedelta

from operators import agg, windows
from streamkit import App


def build(name: str = "rolling-spend", clicks: str = "clicks",
          spend: str = "spend-per-minute", alerts: str = "spend-alerts",
          biggest: str = "biggest-clicks", alert_above: int = 150,
          **options: object) -> App:
    """The rolling-spend app (names are parameters so tests can run it in isolation)."""
    app = App(name, **options)  # type: ignore[arg-type]
    source = app.topic(clicks, value="json", partitions=4)
    spend_topic = app.topic(spend, value="json")
    alerts_topic = app.topic(alerts, value="json")
    biggest_topic = app.topic(biggest, value="json")
    grace = timedelta(seconds=5)

    # The input is keyed by user already: no repartition.
    by_user = app.stream(source, timestamp=lambda click: click["ts"])
    (
        by_user.window(windows.hopping(timedelta(minutes=1), timedelta(seconds=10), grace=grace))
        .aggregate(agg.sum("amount"), name="spend-per-minute")
        .updates()
        .map(lambda w: {"user": w.key, "window_start": w.start, "window_end": w.end,
                        "spend": w.value})
        .to(spend_topic)
    )
    (
        by_user.window(windows.sliding(timedelta(seconds=10), grace=grace))
        .aggregate(agg.sum("amount"), name="spend-bursts")
        .updates()
        .filter(lambda w: w.value > alert_above)
        # A sliding window [start, end) covers [start, end - 1] inclusive.
        .map(lambda w: {"user": w.key, "from": w.start, "to": w.end - 1, "spend": w.value})
        .to(alerts_topic)
    )
    (
        by_user.window(windows.tumbling(timedelta(minutes=1), grace=grace))
        .reduce(lambda biggest, click: click if click["amount"] > biggest["amount"] else biggest,
                name="biggest-click")
        .final()
        .map(lambda w: {"user": w.key, "window_start": w.start, "window_end": w.end,
                        "page": w.value["page"], "amount": w.value["amount"]})
        .to(biggest_topic)
    )
    return app


app = build()
