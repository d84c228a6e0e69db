"""Both examples run end to end on both backends, with one and two workers."""

from __future__ import annotations

import runpy
import threading
from collections import Counter
from pathlib import Path

import pytest

from streamkit.log import Broker
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.workers import RunConfig, run
from tests.runtime.logs import json_values, produce_json, produce_raw, read_all, unique

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LINES = [{"text": "the quick brown fox"}, {"text": "The lazy dog"}, {"text": "the end"}]
EXPECTED_COUNTS = Counter(" ".join(l["text"] for l in LINES).lower().split())


def build(example: str, **names: str):  # type: ignore[no-untyped-def]
    return runpy.run_path(str(EXAMPLES / f"{example}.py"))["build"](**names)


def run_in_process(app, broker: Broker, tmp_path: Path, exactly_once: bool = False) -> dict:  # type: ignore[no-untyped-def]
    options = WorkerOptions(exactly_once=exactly_once, state_dir=tmp_path / "state",
                            commit_interval_ms=200)
    return Worker(app, broker, options).run(threading.Event(), until_idle_s=2.0)


def run_processes(example: str, names: dict[str, str], broker: Broker, tmp_path: Path,
                  workers: int) -> int:
    app_file = tmp_path / "app.py"
    app_file.write_text(
        "import runpy\n"
        f"app = runpy.run_path({str(EXAMPLES / (example + '.py'))!r})['build'](**{names!r})\n")
    return run(RunConfig(str(app_file), broker.url, workers, until_idle_s=3.0,
                         state_root=tmp_path / "state"))


def last_counts(records) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    for value in json_values(records):
        counts[value["word"]] = value["count"]  # type: ignore[index]
    return counts


@pytest.mark.parametrize("guarantee", ["at-least-once", "exactly-once"])
def test_wordcount_counts_every_word_once(broker: Broker, tmp_path: Path, guarantee: str) -> None:
    names = {"name": unique("wc"), "lines": unique("lines"), "word_counts": unique("counts")}
    app = build("wordcount", **names)
    admin = broker.admin()
    admin.create_topic(names["lines"], 2)
    admin.close()
    produce_json(broker, names["lines"], LINES)

    metrics = run_in_process(app, broker, tmp_path, exactly_once=guarantee == "exactly-once")

    outputs = read_all(broker, names["word_counts"])
    assert last_counts(outputs) == dict(EXPECTED_COUNTS)
    assert len(outputs) == sum(EXPECTED_COUNTS.values())  # one update per word, no duplicate
    assert metrics["processed"] == len(LINES) + sum(EXPECTED_COUNTS.values())


def test_wordcount_resumes_from_committed_state(broker: Broker, tmp_path: Path) -> None:
    names = {"name": unique("wc"), "lines": unique("lines"), "word_counts": unique("counts")}
    produce_first = build("wordcount", **names)
    run_in_process(produce_first, broker, tmp_path)  # creates topics, nothing to do
    produce_json(broker, names["lines"], LINES[:1])
    run_in_process(build("wordcount", **names), broker, tmp_path)
    produce_json(broker, names["lines"], LINES[1:])
    run_in_process(build("wordcount", **names), broker, tmp_path / "other-host")  # restores

    assert last_counts(read_all(broker, names["word_counts"])) == dict(EXPECTED_COUNTS)


def test_wordcount_with_two_worker_processes(broker: Broker, tmp_path: Path) -> None:
    names = {"name": unique("wc"), "lines": unique("lines"), "word_counts": unique("counts")}
    admin = broker.admin()
    admin.create_topic(names["lines"], 2)
    admin.close()
    produce_json(broker, names["lines"], LINES * 5)

    assert run_processes("wordcount", names, broker, tmp_path, workers=2) == 0

    outputs = read_all(broker, names["word_counts"])
    assert last_counts(outputs) == {w: c * 5 for w, c in EXPECTED_COUNTS.items()}
    assert len(outputs) == 5 * sum(EXPECTED_COUNTS.values())


CLICKS = [
    {"user": "u1", "page": "/shop/shoes/1", "amount": 10, "ts": 1000},
    {"user": "u2", "page": "/blog", "amount": -5, "ts": 1001},
    {"user": "u3", "page": "/", "amount": 0, "ts": 1002},
]


@pytest.mark.parametrize("workers", [1, 2])
def test_clicks_enrich_filters_enriches_and_dead_letters(broker: Broker, tmp_path: Path,
                                                         workers: int) -> None:
    names = {"name": unique("ce"), "clicks": unique("clicks"), "enriched": unique("enriched")}
    admin = broker.admin()
    admin.create_topic(names["clicks"], 2)
    admin.close()
    produce_json(broker, names["clicks"], CLICKS[:2])
    produce_raw(broker, names["clicks"], b"{not json", key=b"bad")
    produce_json(broker, names["clicks"], CLICKS[2:])

    if workers == 1:
        run_in_process(build("clicks_enrich", **names), broker, tmp_path)
    else:
        assert run_processes("clicks_enrich", names, broker, tmp_path, workers) == 0

    enriched = sorted(json_values(read_all(broker, names["enriched"])), key=lambda c: c["user"])  # type: ignore[index]
    assert enriched == [
        {**CLICKS[0], "page_group": "shop"},
        {**CLICKS[2], "page_group": ""},
    ]
    [dead] = read_all(broker, f"{names['name']}-dlq")
    assert (dead.key, dead.value) == (b"bad", b"{not json")
    headers = dict(dead.headers)
    assert headers["streamkit.error.topic"] == names["clicks"].encode()
    assert headers["streamkit.error.type"] == b"SerdeError"
    assert int(headers["streamkit.error.offset"]) >= 0
    assert b"cannot decode JSON" in headers["streamkit.error.message"]
