"""Windows an idle timeout closed stay closed across a restart: the timeout moves
the task's stream time, which is committed. Were the advance the processor's own,
a record for such a window after a restart would open it again and its final
result would be emitted twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from operators import agg, windows
from streamkit import App
from streamkit.log import Broker
from tests.examples.test_examples import run_in_process
from tests.runtime.logs import json_values, produce_json, read_all, window_app_topics

T = 1_700_000_000_000  # a multiple of the 10 s windows


def build(name: str, clicks: str, views: str, late: str, *, idle: bool = True) -> App:
    app = App(name)
    idle_timeout = timedelta(milliseconds=300) if idle else None
    counts = (
        app.stream(app.topic(clicks, value="json"), timestamp=lambda click: click["ts"])
        .window(windows.tumbling(timedelta(seconds=10), grace=timedelta(seconds=2),
                                 idle_timeout=idle_timeout))
        .aggregate(agg.count(), name="views")
    )
    counts.final().map(lambda w: {"start": w.start, "count": w.value}).to(
        app.topic(views, value="json"))
    counts.late().to(app.topic(late, value="json"))
    return app


def click_after_restart_is_late(broker: Broker, names: dict[str, str], tmp_path: Path) -> None:
    """After a restart, a click for the window [T, T + 10 s) that was closed with
    one view goes to the late topic: the window is not emitted a second time."""
    produce_json(broker, names["clicks"], [{"ts": T + 5_000, "id": 1}], key=b"u1")
    run_in_process(build(**names), broker, tmp_path, exactly_once=True)
    assert json_values(read_all(broker, names["views"])) == [{"start": T, "count": 1}]
    assert [v["id"] for v in json_values(read_all(broker, names["late"]))] == [1]  # type: ignore[index]


def test_a_window_closed_by_the_idle_timeout_stays_closed_after_a_restart(
        broker: Broker, tmp_path: Path) -> None:
    names = window_app_topics(broker, "idle", "views", "late")

    # No click passes [0, 10 s) + grace: only the idle timeout can close it.
    produce_json(broker, names["clicks"], [{"ts": T + 1_000, "id": 0}], key=b"u1")
    run_in_process(build(**names), broker, tmp_path, exactly_once=True)
    assert json_values(read_all(broker, names["views"])) == [{"start": T, "count": 1}]

    click_after_restart_is_late(broker, names, tmp_path)


def test_a_restored_window_the_idle_timeout_closes_without_input_stays_closed(
        broker: Broker, tmp_path: Path) -> None:
    names = window_app_topics(broker, "idle-restored", "views", "late")
    produce_json(broker, names["clicks"], [{"ts": T + 1_000, "id": 0}], key=b"u1")
    run_in_process(build(**names, idle=False), broker, tmp_path, exactly_once=True)
    assert json_values(read_all(broker, names["views"])) == []  # the window is still open

    # A run that reads nothing: the idle timeout closes the restored window.
    run_in_process(build(**names), broker, tmp_path, exactly_once=True)
    assert json_values(read_all(broker, names["views"])) == [{"start": T, "count": 1}]

    click_after_restart_is_late(broker, names, tmp_path)
