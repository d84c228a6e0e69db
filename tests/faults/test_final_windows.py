"""Issue 6's crash test: examples/page_views.py's shape (clicks repartitioned by
page, tumbling windows with grace, one final result per window) under
exactly-once, SIGKILLed several times: every window is emitted exactly once,
none is lost, and every count equals the reference.

All clicks go to one input partition in timestamp order (jittered by less than
the grace), so the order each windowing task sees, and therefore the reference,
does not depend on how the kills interleave the input partitions.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from streamkit.log import Broker
from tests.faults.apps import GRACE_MS, PARTITIONS, WINDOW_MS
from tests.faults.inputs import Feeder, produce_values
from tests.faults.killing import KillRun
from tests.faults.processes import write_app_file
from tests.runtime.logs import read_all, unique

BASE_TS = 1_700_000_000_000
STEP_MS = 10
JITTER_MS = GRACE_MS // 2  # late by less than the grace: never dropped


def clicks(seed: int, count: int, pages: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"i": i, "page": f"/p/{rng.randrange(pages)}",
             "ts": BASE_TS + i * STEP_MS - rng.randrange(JITTER_MS)} for i in range(count)]


def reference(values: list[dict[str, object]]) -> dict[tuple[str, int], int]:
    """(page, window start) → count."""
    return dict(Counter((str(v["page"]), int(v["ts"]) // WINDOW_MS * WINDOW_MS)  # type: ignore[call-overload]
                        for v in values))


def check_final_windows(broker: Broker, tmp_path: Path, *, seed: int, kills: int,
                        count: int, pages: int) -> None:
    names = {"name": unique("pv"), "clicks": unique("clicks"), "views": unique("views")}
    admin = broker.admin()
    admin.create_topic(names["clicks"], PARTITIONS)
    # Results carry event times of 2023: on Kafka, time-based retention (7 days by
    # default) would delete them within minutes of being written.
    admin.create_topic(names["views"], PARTITIONS, {"retention.ms": "-1"})
    admin.close()
    values = clicks(seed, count, pages)
    (tmp_path / "logs").mkdir()
    run = KillRun(write_app_file(tmp_path, "window_counter", **names), broker.url,
                  tmp_path / "state", tmp_path / "logs", "exactly-once", seed)
    feeder = Feeder(broker.url, names["clicks"], values, batch=max(1, count // 50),
                    pause_s=0.3, partition=0)
    feeder.start()
    run.kill_repeatedly(kills)
    feeder.finish()
    # Stream time passes every window's end + grace in every windowing task; the
    # windows of these last clicks stay open and are not checked.
    future = BASE_TS + count * STEP_MS + 100 * WINDOW_MS
    produce_values(broker, names["clicks"],
                   [{"i": count + p, "page": f"/p/{p}", "ts": future} for p in range(pages)],
                   partition=0)
    run.finish()

    emitted = Counter()
    got: dict[tuple[str, int], int] = {}
    for record in read_all(broker, names["views"]):
        view = orjson.loads(record.value)  # type: ignore[arg-type]
        assert view["window_end"] - view["window_start"] == WINDOW_MS
        window = (view["page"], view["window_start"])
        emitted[window] += 1
        got[window] = view["count"]
    duplicates = sorted(w for w, n in emitted.items() if n > 1)
    assert not duplicates, f"windows emitted twice {run.describe()}: {duplicates[:10]}"
    expected = reference(values)
    lost = sorted(set(expected) - set(got))
    assert not lost, f"{len(lost)} windows never emitted {run.describe()}: {lost[:10]}"
    extra = sorted(set(got) - set(expected))
    assert not extra, f"windows nobody clicked in were emitted {run.describe()}: {extra[:10]}"
    wrong = {w: (got[w], n) for w, n in expected.items() if got[w] != n}
    assert not wrong, f"counts differ from the reference {run.describe()}: {list(wrong.items())[:10]}"


def test_every_final_window_is_emitted_exactly_once_across_kill_9(broker: Broker,
                                                                  tmp_path: Path) -> None:
    check_final_windows(broker, tmp_path, seed=66, kills=6, count=3_000, pages=8)


@pytest.mark.soak
def test_every_final_window_is_emitted_exactly_once_across_many_kill_9(broker: Broker,
                                                                       tmp_path: Path) -> None:
    check_final_windows(broker, tmp_path, seed=int(time.time()), kills=30, count=20_000, pages=20)
