"""``streamkit state``: read the stores an app left on disk after a real run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from streamkit.cli.main import app as cli_app
from streamkit.log import open_broker
from streamkit.runtime.workers import RunConfig, run
from tests.runtime.logs import produce_json

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LINES: list[object] = [{"text": "the quick brown fox"}, {"text": "The lazy dog"}, {"text": "the end"}]
COUNTS = Counter(["the", "quick", "brown", "fox", "the", "lazy", "dog", "the", "end"])

runner = CliRunner()


def state(*args: str) -> Result:
    return runner.invoke(cli_app, ["state", *args])


def documents(result: Result) -> list[dict]:  # type: ignore[type-arg]
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def run_wordcount(tmp_path: Path, workers: int = 1) -> tuple[str, Path]:
    """Run examples/wordcount.py (under names of its own) to idle; the app file
    and the state directory it ran with."""
    app_file = tmp_path / "wc.py"
    app_file.write_text(
        "import runpy\n"
        f"app = runpy.run_path({str(EXAMPLES / 'wordcount.py')!r})['build']("
        "name='wc', lines='wc-lines', word_counts='wc-counts')\n")
    broker_url = f"embedded://{tmp_path / 'log'}"
    broker = open_broker(broker_url)
    try:
        admin = broker.admin()
        admin.create_topic("wc-lines", 2)
        admin.close()
        produce_json(broker, "wc-lines", LINES)
    finally:
        broker.close()
    state_root = tmp_path / "state"
    assert run(RunConfig(str(app_file), broker_url, workers, until_idle_s=2.0,
                         state_root=state_root)) == 0
    return str(app_file), state_root


@pytest.fixture(scope="module")
def wordcount_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return run_wordcount(tmp_path_factory.mktemp("wc"))


def test_get_prints_the_committed_count_of_a_word(wordcount_run: tuple[str, Path]) -> None:
    app_file, state_root = wordcount_run

    [entry] = documents(state("get", app_file, "counts-store", "the", "--state-dir", str(state_root)))

    assert entry["key"] == "the"
    assert entry["value"] == COUNTS["the"] == 3
    assert entry["task"] in {"1_0", "1_1"}


def test_scan_prints_every_word_once(wordcount_run: tuple[str, Path]) -> None:
    app_file, state_root = wordcount_run

    entries = documents(state("scan", app_file, "counts-store", "--state-dir", str(state_root)))

    assert {e["key"]: e["value"] for e in entries} == dict(COUNTS)
    assert len(entries) == len(COUNTS)


def test_scan_with_prefix_and_limit(wordcount_run: tuple[str, Path]) -> None:
    app_file, state_root = wordcount_run

    with_t = documents(state("scan", app_file, "counts-store", "--prefix", "t",
                             "--state-dir", str(state_root)))
    limited = documents(state("scan", app_file, "counts-store", "--limit", "2",
                              "--state-dir", str(state_root)))

    assert sorted(e["key"] for e in with_t) == ["the"]
    assert len(limited) == 2


def test_a_missing_key_exits_1_and_says_so(wordcount_run: tuple[str, Path]) -> None:
    app_file, state_root = wordcount_run

    result = state("get", app_file, "counts-store", "zebra", "--state-dir", str(state_root))

    assert result.exit_code == 1
    assert "no key 'zebra' in store 'counts-store'" in result.output


def test_an_unknown_store_lists_the_apps_stores(wordcount_run: tuple[str, Path]) -> None:
    app_file, state_root = wordcount_run

    result = state("scan", app_file, "counts", "--state-dir", str(state_root))

    assert result.exit_code == 1
    assert "has no store 'counts'; its stores: counts-store (key_value)" in result.output


def test_no_local_state_says_where_it_looked(wordcount_run: tuple[str, Path], tmp_path: Path) -> None:
    app_file, _ = wordcount_run

    result = state("get", app_file, "counts-store", "the", "--state-dir", str(tmp_path / "empty"))

    assert result.exit_code == 1
    assert str(tmp_path / "empty" / "wc") in result.output.replace("\n", "")
    assert "must have run" in result.output or "run it here first" in result.output


def test_stores_lists_the_local_tasks(wordcount_run: tuple[str, Path]) -> None:
    app_file, state_root = wordcount_run

    [listing] = documents(state("stores", app_file, "--state-dir", str(state_root)))

    assert listing == {"store": "counts-store", "kind": "key_value", "persistent": True,
                       "local_tasks": ["1_0", "1_1"]}


def test_state_left_by_two_worker_processes_is_read_once_per_task(tmp_path: Path) -> None:
    app_file, state_root = run_wordcount(tmp_path, workers=2)

    entries = documents(state("scan", app_file, "counts-store", "--state-dir", str(state_root)))

    assert {e["key"]: e["value"] for e in entries} == dict(COUNTS)
    assert len(entries) == len(COUNTS)


CLICKS: list[object] = [{"page": "/a", "ts": 1_000, "ms": 2}, {"page": "/a", "ts": 2_000, "ms": 4},
                        {"page": "/a", "ts": 12_000, "ms": 9}, {"page": "/b", "ts": 3_000, "ms": 1}]


def run_views(tmp_path: Path, window: str, aggregation: str) -> tuple[str, Path]:
    """An app aggregating CLICKS per page in ``window``, run to idle; the app file
    and the state directory it ran with."""
    app_file = tmp_path / "views.py"
    app_file.write_text(
        "from operators import agg, windows\n"
        "from streamkit import App\n"
        "app = App('views')\n"
        "clicks = app.topic('views-clicks', value='json', partitions=2)\n"
        "(app.stream(clicks, timestamp=lambda c: c['ts'])\n"
        " .group_by(lambda c: c['page'], name='by-page')\n"
        f" .window(windows.{window})\n"
        f" .aggregate(agg.{aggregation}, name='per-page').updates()\n"
        " .to(app.topic('views-out', value='json')))\n")
    broker_url = f"embedded://{tmp_path / 'log'}"
    broker = open_broker(broker_url)
    try:
        admin = broker.admin()
        admin.create_topic("views-clicks", 2)
        admin.close()
        produce_json(broker, "views-clicks", CLICKS, key=b"one-partition")  # in order: none late
    finally:
        broker.close()
    state_root = tmp_path / "state"
    assert run(RunConfig(str(app_file), broker_url, 1, until_idle_s=2.0, state_root=state_root)) == 0
    return str(app_file), state_root


def windows_of(app_file: str, state_root: Path, page: str) -> list[tuple[int, int, object]]:
    stores = documents(state("stores", app_file, "--state-dir", str(state_root)))
    [store] = [s["store"] for s in stores if s["kind"] == "window"]
    found = documents(state("get", app_file, store, page, "--state-dir", str(state_root)))
    return [(w["start"], w["end"], w["value"]) for w in found]


def test_window_stores_print_window_bounds(tmp_path: Path) -> None:
    app_file, state_root = run_views(tmp_path, "tumbling(10_000)", "count()")
    assert windows_of(app_file, state_root, "/a") == [(0, 10_000, 2), (10_000, 20_000, 1)]


def test_windows_show_the_result_not_the_accumulator(tmp_path: Path) -> None:
    app_file, state_root = run_views(tmp_path, "tumbling(10_000)", "mean('ms')")
    # The store keeps [sum, count]; the app emits, and queries show, the mean.
    assert windows_of(app_file, state_root, "/a") == [(0, 10_000, 3.0), (10_000, 20_000, 9.0)]


def test_hopping_windows_kept_as_panes_show_as_windows(tmp_path: Path) -> None:
    app_file, state_root = run_views(tmp_path, "hopping(20_000, 10_000)", "mean('ms')")
    # The store keeps panes [0, 10 s) and [10 s, 20 s); both windows holding
    # the last click are open (stream time is 12 s).
    assert windows_of(app_file, state_root, "/a") == [(0, 20_000, 5.0), (10_000, 30_000, 9.0)]
    scanned = documents(state("scan", app_file, "per-page-store-panes", "--state-dir", str(state_root)))
    assert sorted((d["key"], d["start"], d["value"]) for d in scanned) == [
        ("/a", 0, 5.0), ("/a", 10_000, 9.0), ("/b", 0, 1.0)]
