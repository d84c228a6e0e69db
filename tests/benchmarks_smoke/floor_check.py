"""What the floor tests of W1 and W2 share: clicks as the benchmark writes them,
and a floor's results beside streamkit's app's on the same stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import strategies as st

from streamkit import App
from streamkit.testing import TestDriver
from tests.benchmarks.floor import Transform

streams = st.lists(st.tuples(st.integers(0, 4_000), st.sampled_from(["u1", "u2", "u3"])),
                   max_size=40)
"""Out-of-order clicks ``(ts, user)`` of a few users."""


def click(ts: int, user: str = "u1") -> bytes:
    return orjson.dumps({"user": user, "page": "/p/1", "amount": 1, "ts": ts})


def results(outputs: Any) -> list[dict[str, Any]]:
    return [orjson.loads(value) for _key, value in outputs]


def windowed_count_app(name: str, build: Callable[[Any], Any]) -> App:
    """An app that counts ``clicks`` per user in the windows ``build(stream)``
    aggregates, and writes every update to ``out`` as the benchmark apps do."""
    app = App(name)
    clicks = app.topic("clicks", value="json")
    out = app.topic("out", value="json")
    (build(app.stream(clicks)).updates()
     .map(lambda w: {"user": w.key, "start": w.start, "end": w.end, "count": w.value})
     .to(out))
    return app


def floor_and_streamkit(floor: Transform, app: App,
                        stream: list[tuple[int, str]]) -> tuple[list[Any], list[Any]]:
    """What ``floor`` writes for ``stream`` (one partition), and what ``app`` does."""
    written = [r for ts, user in stream for r in results(floor(user.encode(), click(ts, user), 0))]
    with TestDriver(app) as driver:
        for ts, user in stream:
            driver.pipe_bytes("clicks", click(ts, user), user.encode(), timestamp=ts)
        return written, [value for _key, value, _ts in driver.read("out")]
