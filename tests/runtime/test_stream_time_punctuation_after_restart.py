"""A stream-time punctuation keeps its schedule across a restart: it is measured
from the stream time the task resumes from, so it neither fires on the first
record after the restart nor waits as if stream time had started over."""

from __future__ import annotations

from pathlib import Path

from streamkit import App, Message, ProcessorContext, Punctuation
from streamkit.log import Broker
from tests.examples.test_examples import run_in_process
from tests.runtime.logs import json_values, produce_json, read_all, unique

T = 1_700_000_000_000
EVERY_MS = 10_000


class Ticker:
    """Forwards the stream time at which each punctuation fires."""

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        context.schedule(EVERY_MS, Punctuation.STREAM_TIME, self.tick)

    def process(self, message: Message) -> None:
        pass

    def tick(self, now: int) -> None:
        self.context.forward("tick", now - T, timestamp=now)

    def close(self) -> None:
        pass


def ticker_app(name: str) -> App:
    app = App(name)
    (app.stream(app.topic(f"{name}-in", value="json"), timestamp=lambda v: v["ts"])
        .process(Ticker, name="ticker")
        .to(app.topic(f"{name}-ticks", value="json")))
    return app


def events(*offsets_ms: int) -> list[object]:
    return [{"ts": T + offset} for offset in offsets_ms]


def test_a_stream_time_punctuation_resumes_its_schedule_after_a_restart(
    broker: Broker, tmp_path: Path
) -> None:
    name = unique("tick")
    admin = broker.admin()
    admin.create_topic(f"{name}-in", 1)
    admin.close()

    # The schedule starts at the first record (1 s) and fires at 15 s: next due at 25 s.
    produce_json(broker, f"{name}-in", events(1_000, 15_000))
    run_in_process(ticker_app(name), broker, tmp_path)
    assert json_values(read_all(broker, f"{name}-ticks")) == [15_000]

    # Restarted at stream time 15 s: not due at 22 s (it would be, counted from 9 s).
    produce_json(broker, f"{name}-in", events(9_000, 22_000, 26_000))
    run_in_process(ticker_app(name), broker, tmp_path)
    assert json_values(read_all(broker, f"{name}-ticks")) == [15_000, 26_000]
