"""A task's stream time survives a restart: a record too late for a window that
closed before the restart is still late after it. Were stream time to start over,
the record would reopen the window and its final result would be emitted twice."""

from __future__ import annotations

from pathlib import Path

from streamkit.log import Broker
from tests.examples.test_examples import build, run_in_process
from tests.runtime.logs import json_values, produce_json, read_all, window_app_topics

T = 1_700_000_000_000  # a multiple of page_views' 10 s windows


def click(i: int, offset_ms: int) -> dict[str, object]:
    return {"user": "u1", "page": "/p/1", "amount": 1, "ts": T + offset_ms, "id": i}


def test_a_window_closed_before_a_restart_stays_closed(broker: Broker, tmp_path: Path) -> None:
    names = window_app_topics(broker, "st", "page_views", "late")

    # Stream time 15 s passes [0, 10 s) + 2 s grace: the window closes with 1 view.
    produce_json(broker, names["clicks"], [click(0, 1_000), click(1, 15_000)])
    run_in_process(build("page_views", **names), broker, tmp_path, exactly_once=True)
    assert [(v["window_start"], v["count"]) for v in  # type: ignore[index]
            json_values(read_all(broker, names["page_views"]))] == [(T, 1)]

    # After the restart, 9 s is still too late; 30 s closes [10 s, 20 s).
    produce_json(broker, names["clicks"], [click(2, 9_000), click(3, 30_000)])
    run_in_process(build("page_views", **names), broker, tmp_path, exactly_once=True)
    views = json_values(read_all(broker, names["page_views"]))
    assert [(v["window_start"], v["count"]) for v in views] == [  # type: ignore[index]
        (T, 1), (T + 10_000, 1)]
    assert [v["id"] for v in json_values(read_all(broker, names["late"]))] == [2]  # type: ignore[index]
