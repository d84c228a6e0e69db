"""Pure runtime logic: topic planning, punctuation schedules, app loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit import App
from streamkit.processor import Punctuation
from streamkit.runtime.punctuation import Schedule
from streamkit.runtime.topics import MissingTopic, plan_topics
from streamkit.runtime.workers import AppNotFound, load_app


def wordcount_like() -> App:
    app = App("wc")
    app.stream(app.topic("lines")).group_by(lambda v: v, name="by").count(name="c") \
        .to_stream().to(app.topic("out"))
    return app


def test_a_missing_source_without_partitions_is_explained() -> None:
    app = wordcount_like()
    with pytest.raises(MissingTopic, match="streamkit topics create lines --partitions N"):
        plan_topics("wc", app.topology, app.topology.subtopologies(), {})


def test_internal_topics_follow_the_partitions_of_what_writes_them() -> None:
    app = wordcount_like()
    plan = plan_topics("wc", app.topology, app.topology.subtopologies(), {"lines": 6},
                       dead_letter_topic="wc-dlq")
    assert plan.partitions["wc-by-repartition"] == 6
    # Records carry event time: time-based retention must not delete them unread.
    assert plan.configs["wc-by-repartition"] == {"retention.ms": "-1",
                                                 "segment.bytes": str(50 * 1024 * 1024)}
    assert plan.partitions["wc-c-store-changelog"] == 6
    assert plan.configs["wc-c-store-changelog"] == {"cleanup.policy": "compact"}
    assert plan.partitions["out"] == 6  # undeclared output: sized like its writer
    assert plan.missing == sorted(["out", "wc-by-repartition", "wc-c-store-changelog", "wc-dlq"])


def test_stream_time_schedule_fires_once_per_passed_interval() -> None:
    fired: list[int] = []
    s = Schedule(10, Punctuation.STREAM_TIME, fired.append, None)
    assert [s.due(t) for t in (5, 14, 15, 40, 44, 45)] == [False, False, True, True, False, True]
    assert s.next_ms == 55


def test_load_app_needs_exactly_one_app_or_a_name(tmp_path: Path) -> None:
    two = tmp_path / "two.py"
    two.write_text("from streamkit import App\na = App('a')\nb = App('b')\n")
    with pytest.raises(AppNotFound, match="several Apps"):
        load_app(str(two))
    assert load_app(f"{two}:b").name == "b"
    none = tmp_path / "none.py"
    none.write_text("x = 1\n")
    with pytest.raises(AppNotFound, match="defines no App"):
        load_app(str(none))
