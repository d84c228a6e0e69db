"""Issue 6's crash test: examples/page_views.py's shape (clicks repartitioned by
page, windows with grace, one final result per window) under exactly-once,
SIGKILLed several times: every window is emitted exactly once, none is lost, and
every count equals the reference. Tumbling, hopping (from panes), session and
sliding windows.

All clicks go to one input partition in timestamp order (jittered by less than
the grace), so the order each windowing task sees, and therefore the reference,
does not depend on how the kills interleave the input partitions. Since no click
is later than the grace, no window closes before all its clicks arrived, so the
final sessions and sliding windows do not depend on the order either: they
follow from each page's click times as the definitions in docs/windows.md say.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from pathlib import Path

import orjson
import pytest

from streamkit.log import Broker
from tests.faults.apps import GRACE_MS, HOP_MS, PARTITIONS, SESSION_GAP_MS, WINDOW_MS
from tests.faults.inputs import Feeder, produce_values
from tests.faults.killing import JOINED, KillRun
from tests.faults.processes import restored_counts, write_app_file
from tests.runtime.logs import read_all, unique

BASE_TS = 1_700_000_000_000
STEP_MS = 10
JITTER_MS = GRACE_MS // 2  # late by less than the grace: never dropped


def clicks(seed: int, count: int, pages: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"i": i, "page": f"/p/{rng.randrange(pages)}",
             "ts": BASE_TS + i * STEP_MS - rng.randrange(JITTER_MS)} for i in range(count)]


Window = tuple[str, int, int]
"""(page, window start, window end)."""

APPS = {"tumbling": "window_counter", "hopping": "hopping_counter",
        "session": "session_counter", "sliding": "sliding_counter"}
"""The tests.faults.apps builder of each window kind."""


def reference(values: list[dict[str, object]], closing: list[dict[str, object]],
              kind: str) -> dict[Window, int]:
    """Window → count of every window of ``values`` in ``kind`` windows: the
    ``closing`` clicks (:func:`close_every_window`) close them all."""
    times: dict[str, list[int]] = {}
    for value in values:
        times.setdefault(str(value["page"]), []).append(int(value["ts"]))  # type: ignore[call-overload]
    windows: Counter[Window] = Counter()
    for page, page_times in times.items():
        page_times.sort()
        if kind == "session":
            windows.update(_sessions(page, page_times))
        elif kind == "sliding":
            windows.update(_sliding_windows(page, page_times))
        else:
            step_ms = HOP_MS if kind == "hopping" else WINDOW_MS
            for ts in page_times:
                latest = ts - ts % step_ms
                windows.update((page, start, start + WINDOW_MS)
                               for start in range(latest, ts - WINDOW_MS, -step_ms))
    closed_by = {str(v["page"]): int(v["ts"]) for v in closing}  # type: ignore[call-overload]
    assert all(end + SESSION_GAP_MS + GRACE_MS <= closed_by[page] for page, _s, end in windows)
    return dict(windows)


def _sessions(page: str, times: list[int]) -> Counter[Window]:
    """Sessions: runs of click times (sorted) at most ``SESSION_GAP_MS`` apart."""
    sessions: Counter[Window] = Counter()
    first = 0
    for index in range(1, len(times) + 1):
        if index == len(times) or times[index] - times[index - 1] > SESSION_GAP_MS:
            sessions[(page, times[first], times[index - 1] + 1)] = index - first
            first = index
    return sessions


def _sliding_windows(page: str, times: list[int]) -> Counter[Window]:
    """Sliding windows of ``WINDOW_MS``: each click's left window, and the right
    window of each click with a later one within ``WINDOW_MS + 1``, with the
    clicks (times sorted) each holds."""
    d = WINDOW_MS
    starts = {max(t - d, 0) for t in times}
    starts |= {t + 1 for t in times if bisect_right(times, t + d + 1) > bisect_right(times, t)}
    return Counter({(page, s, s + d + 1): bisect_right(times, s + d) - bisect_left(times, s)
                    for s in starts})


def new_run(broker: Broker, tmp_path: Path, seed: int,
            app: str = APPS["tumbling"]) -> tuple[dict[str, str], KillRun]:
    """The topics of a fresh ``app`` (a builder in tests.faults.apps), and how to run
    it (exactly-once)."""
    names = {"name": unique("pv"), "clicks": unique("clicks"), "views": unique("views")}
    admin = broker.admin()
    admin.create_topic(names["clicks"], PARTITIONS)
    # Results carry event times of 2023: on Kafka, time-based retention (7 days by
    # default) would delete them within minutes of being written.
    admin.create_topic(names["views"], PARTITIONS, {"retention.ms": "-1"})
    admin.close()
    (tmp_path / "logs").mkdir()
    run = KillRun(write_app_file(tmp_path, app, **names), broker.url,
                  tmp_path / "state", tmp_path / "logs", "exactly-once", seed)
    return names, run


def feeder(broker: Broker, topic: str, values: list[dict[str, object]],
           pause_s: float = 0.3) -> Feeder:
    """Feed ``values`` in 50 batches, ``pause_s`` apart."""
    return Feeder(broker.url, topic, values, batch=max(1, len(values) // 50), pause_s=pause_s,
                  partition=0)


def close_every_window(broker: Broker, topic: str, count: int,
                       pages: int) -> list[dict[str, object]]:
    """Append one click per page far in the future, and return them: stream time
    passes every earlier window's close in every windowing task; the windows of
    these last clicks stay open and are not checked."""
    future = BASE_TS + count * STEP_MS + 100 * WINDOW_MS
    closing = [{"i": count + p, "page": f"/p/{p}", "ts": future} for p in range(pages)]
    produce_values(broker, topic, closing, partition=0)
    return closing


def check_final_windows(broker: Broker, tmp_path: Path, *, seed: int, kills: int,
                        count: int, pages: int, kind: str = "tumbling",
                        feed_pause_s: float = 0.3) -> None:
    names, run = new_run(broker, tmp_path, seed, APPS[kind])
    values = clicks(seed, count, pages)
    feed = feeder(broker, names["clicks"], values, feed_pause_s)
    feed.start()
    run.kill_repeatedly(kills)
    feed.finish()
    closing = close_every_window(broker, names["clicks"], count, pages)
    run.finish()
    assert_each_window_once(broker, names["views"], values, closing, run.describe(), kind)


def assert_each_window_once(broker: Broker, topic: str, values: list[dict[str, object]],
                            closing: list[dict[str, object]], describe: str,
                            kind: str = "tumbling") -> None:
    """Every window of the reference was emitted once, with its count, and no other."""
    emitted: Counter[Window] = Counter()
    got: dict[Window, int] = {}
    for record in read_all(broker, topic):
        view = orjson.loads(record.value)  # type: ignore[arg-type]
        window = (view["page"], view["window_start"], view["window_end"])
        emitted[window] += 1
        got[window] = view["count"]
    duplicates = sorted(w for w, n in emitted.items() if n > 1)
    assert not duplicates, f"windows emitted twice {describe}: {duplicates[:10]}"
    expected = reference(values, closing, kind)
    lost = sorted(set(expected) - set(got))
    assert not lost, f"{len(lost)} windows never emitted {describe}: {lost[:10]}"
    extra = sorted(set(got) - set(expected))
    assert not extra, f"windows nobody clicked in were emitted {describe}: {extra[:10]}"
    wrong = {w: (got[w], n) for w, n in expected.items() if got[w] != n}
    assert not wrong, f"counts differ from the reference {describe}: {list(wrong.items())[:10]}"


def test_every_final_window_is_emitted_exactly_once_across_kill_9(broker: Broker,
                                                                  tmp_path: Path) -> None:
    check_final_windows(broker, tmp_path, seed=66, kills=6, count=3_000, pages=8)


def test_every_final_hopping_window_from_panes_is_emitted_exactly_once_across_kill_9(
        broker: Broker, tmp_path: Path) -> None:
    check_final_windows(broker, tmp_path, seed=68, kills=6, count=3_000, pages=8, kind="hopping")


@pytest.mark.parametrize("kind", ["session", "sliding"])
def test_every_final_session_and_sliding_window_is_emitted_exactly_once_across_kill_9(
        broker: Broker, tmp_path: Path, kind: str) -> None:
    # Three kills take about as long as a feed of 50 batches 0.15 s apart.
    check_final_windows(broker, tmp_path, seed=69, kills=3, count=1_500, pages=8, kind=kind,
                        feed_pause_s=0.15)


@pytest.mark.soak
@pytest.mark.parametrize("kind", list(APPS))
def test_every_final_window_is_emitted_exactly_once_across_many_kill_9(
        broker: Broker, tmp_path: Path, kind: str) -> None:
    check_final_windows(broker, tmp_path, seed=int(time.time()), kills=30, count=20_000,
                        pages=20, kind=kind)


def test_final_windows_move_with_their_partitions_exactly_once(broker: Broker,
                                                              tmp_path: Path) -> None:
    """Two hosts (separate state directories): a second one joins mid-run and
    takes tasks over (a rebalance: the first checkpoints and hands them over),
    then the first is SIGKILLed and the second takes the rest over. Windowing
    tasks that move restore their open windows from the changelogs on the
    second host. (On the embedded log the join already moves windowing tasks;
    Kafka's assignment there moved only the source tasks, in the runs seen.)
    No window is emitted twice or lost."""
    count, pages = 3_000, 8
    names, run = new_run(broker, tmp_path, seed=67)
    values = clicks(67, count, pages)
    host_a, host_b = tmp_path / "a" / "state", tmp_path / "b" / "state"
    for host in (host_a, host_b):
        host.parent.mkdir()  # each run works in its host's directory
    first = run.start("a", state_root=host_a)
    second = None
    feed = feeder(broker, names["clicks"], values)
    try:
        first.wait_for_log(JOINED)
        feed.start()
        time.sleep(2.0)
        second = run.start("b", state_root=host_b)
        second.wait_for_log(JOINED)  # the rebalance gave it tasks of the first host
        time.sleep(2.0)
        first.kill()
        # The second host takes the first's tasks once the first's session times out
        # (10 s on Kafka): wait for it to own every windowing task, or a slow start
        # leaves the rest to the final run and this host restores nothing.
        for partition in range(PARTITIONS):
            second.wait_for_log(f"task 1_{partition} started")
        feed.finish()
        closing = close_every_window(broker, names["clicks"], count, pages)
    finally:
        first.kill()
        if second is not None:
            second.kill()
    run.state_root = host_b
    run.finish()
    assert_each_window_once(broker, names["views"], values, closing, run.describe())
    # Sub-topology 1 windows the repartitioned clicks: its tasks' windows moved.
    restored_windows = {task: counts for task, counts in restored_counts(second.output()).items()
                        if task.startswith("1_") and max(counts) > 0}
    assert restored_windows, ("the second host restored no windowing task from its changelog: "
                              "the test proves nothing")
