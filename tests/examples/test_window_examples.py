"""examples/rolling_spend.py (hopping and sliding windows, updates) and
examples/user_sessions.py (session windows, final) run by the real runtime,
under exactly-once, on both backends: out-of-order clicks give exactly the
reference's results."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

from streamkit.log import Broker
from streamkit.query.catalog import store_routes
from streamkit.state.query import read_store
from tests.examples.test_examples import build, run_in_process
from tests.examples.test_page_views_backends import clicks_by_partition, produce_clicks
from tests.operators import window_reference as reference
from tests.runtime.logs import json_values, read_all, unique

Click = dict[str, Any]


def bursty_clicks(count: int, seed: int) -> list[Click]:
    """Clicks of 8 users, a few hundred ms apart, with a pause of 20–45 s every
    60 clicks (so that sessions end, or go on across a short pause). Some
    clicks are up to 4 s late (within grace), some up to 40 s (too late, or
    late enough to bridge two sessions)."""
    rng = random.Random(seed)
    now = 1_700_000_000_000
    clicks = []
    for i in range(count):
        now += rng.randint(20_000, 45_000) if i % 60 == 59 else rng.randint(0, 700)
        lateness = rng.choice([0, 0, 0, 0, rng.randint(0, 4_000), rng.randint(0, 40_000)])
        clicks.append({"user": f"u{rng.randint(1, 8)}", "page": f"/p/{rng.randint(1, 4)}",
                       "amount": rng.randint(1, 50), "ts": now - lateness, "id": i})
    return clicks


def run_example(broker: Broker, tmp_path: Path, example: str, names: dict[str, str],
                clicks: list[Click]) -> list[list[tuple[str, int, int]]]:
    """Run ``example`` under exactly-once over ``clicks`` (keyed by user, in
    four partitions); each input partition's ``(user, id, ts)`` in offset order,
    which is what its task saw, with its own stream time."""
    app = build(example, **names, guarantee="exactly-once")
    produce_clicks(broker, names["clicks"], clicks)

    run_in_process(app, broker, tmp_path, exactly_once=True)

    partitions = clicks_by_partition(broker, names["clicks"], "user")
    assert sorted(i for records in partitions for _, i, _ in records) == list(range(len(clicks)))
    return partitions


def test_rolling_spend_gives_the_reference_windows(broker: Broker, tmp_path: Path) -> None:
    name = unique("rs")
    names = {"name": name, "clicks": f"{name}-clicks", "spend": f"{name}-spend",
             "alerts": f"{name}-alerts", "biggest": f"{name}-biggest"}
    clicks = bursty_clicks(600, seed=5)
    amount = {click["id"]: click["amount"] for click in clicks}
    page = {click["id"]: click["page"] for click in clicks}
    partitions = run_example(broker, tmp_path, "rolling_spend", names, clicks)

    expected_spend: Counter[tuple[str, int, int, int]] = Counter()
    expected_alerts: Counter[tuple[str, int, int, int]] = Counter()
    expected_biggest: Counter[tuple[str, int, int, str, int]] = Counter()
    late = 0
    for records in partitions:
        hopping = reference.fixed(records, size=60_000, step=10_000, grace=5_000)
        expected_spend.update((user, start, end, sum(amount[i] for i in ids))
                              for user, start, end, ids in hopping.updates)
        sliding = reference.sliding(records, difference=10_000, grace=5_000)
        for user, start, end, ids in sliding.updates:
            spend = sum(amount[i] for i in ids)
            if spend > 150:
                expected_alerts[(user, start, end - 1, spend)] += 1
        # ids are in arrival order within a partition: max() keeps the earliest of equals
        tumbling = reference.fixed(records, size=60_000, step=60_000, grace=5_000)
        for user, start, end, ids in tumbling.final:
            biggest = max(ids, key=amount.__getitem__)
            expected_biggest[(user, start, end, page[biggest], amount[biggest])] += 1
        late += len(hopping.late) + len(sliding.late)
    assert expected_alerts and late, "the input should raise alerts and have late clicks"
    assert len(expected_biggest) > 8, "several minutes of each user should close"

    spend = json_values(read_all(broker, names["spend"]))
    alerts = json_values(read_all(broker, names["alerts"]))
    assert Counter((s["user"], s["window_start"], s["window_end"], s["spend"])  # type: ignore[index]
                   for s in spend) == expected_spend
    assert Counter((a["user"], a["from"], a["to"], a["spend"])  # type: ignore[index]
                   for a in alerts) == expected_alerts
    biggest_clicks = json_values(read_all(broker, names["biggest"]))
    assert Counter((b["user"], b["window_start"], b["window_end"], b["page"], b["amount"])  # type: ignore[index]
                   for b in biggest_clicks) == expected_biggest

    # Queried afterwards, the panes show as each user's open windows, each as
    # the app last emitted it.
    last = {(s["user"], s["window_start"], s["window_end"]): s["spend"] for s in spend}  # type: ignore[index]
    spec = store_routes(build("rolling_spend", **names).topology)["spend-per-minute-store-panes"].spec
    (tmp_path / "root").mkdir()  # `streamkit state` reads <root>/<app>/: the worker's state_dir
    (tmp_path / "root" / name).symlink_to(tmp_path / "state")
    shown = {(e.key, e.start, e.end): e.value for e in read_store(tmp_path / "root", name, spec)}
    assert shown, "a query should show open windows"
    assert shown == {window: last[window] for window in shown}


def test_user_sessions_gives_the_reference_sessions(broker: Broker, tmp_path: Path) -> None:
    name = unique("us")
    names = {"name": name, "clicks": f"{name}-clicks", "sessions": f"{name}-sessions"}
    clicks = bursty_clicks(600, seed=8)
    partitions = run_example(broker, tmp_path, "user_sessions", names, clicks)

    def summary(user: str, start: int, end: int, ids: tuple[int, ...]) -> tuple[Any, ...]:
        of = [clicks[i] for i in ids]
        return (user, start, end, len(of), sum(c["amount"] for c in of),
                tuple(sorted({c["page"] for c in of})))

    expected: Counter[tuple[Any, ...]] = Counter()
    bridged = 0
    for records in partitions:
        outcome = reference.session(records, gap=30_000, grace=5_000)
        expected.update(summary(*window) for window in outcome.final)
        bridged += _bridges(outcome.updates)
    assert len(expected) > 20 and bridged, "the input should end many sessions, bridge some"

    sessions = json_values(read_all(broker, names["sessions"]))
    assert Counter((s["user"], s["session_start"], s["session_end"], s["clicks"],  # type: ignore[index]
                    s["spend"], tuple(s["pages"])) for s in sessions) == expected  # type: ignore[index]


def _bridges(updates: list[reference.Window]) -> int:
    """How many of a reference's session updates joined two or more sessions."""
    live: dict[str, list[frozenset[int]]] = {}
    bridges = 0
    for user, _start, _end, ids in updates:
        joined = frozenset(ids)
        sessions = live.setdefault(user, [])
        absorbed = [s for s in sessions if s <= joined]
        bridges += len(absorbed) >= 2
        live[user] = [s for s in sessions if not s <= joined] + [joined]
    return bridges
