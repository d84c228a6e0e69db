"""examples/page_views.py, run in the TestDriver on out-of-order clicks, emits
exactly the reference's final windows and late clicks."""

from __future__ import annotations

import importlib.util
import random
from collections import Counter
from pathlib import Path
from types import ModuleType

import orjson
import window_reference as reference

from streamkit.testing import TestDriver

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "page_views.py"
REPARTITION = "page-views-by-page-repartition"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("page_views_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def out_of_order_clicks(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    clicks = []
    now = 1_700_000_000_000
    for i in range(count):
        now += rng.randint(0, 400)
        lateness = rng.choice([0, 0, 0, rng.randint(0, 2_500), rng.randint(0, 15_000)])
        clicks.append(
            {
                "user": f"u{rng.randint(1, 20)}",
                "page": f"/p/{rng.randint(1, 6)}",
                "amount": rng.randint(1, 50),
                "ts": now - lateness,
                "id": i,
            }
        )
    return clicks


def test_page_views_matches_reference_on_out_of_order_clicks() -> None:
    app = load_example().app
    clicks = out_of_order_clicks(600, seed=7)
    with TestDriver(app) as driver:
        for click in clicks:
            driver.pipe("clicks", click, key=click["user"])
        views = driver.read("page-views")
        late = driver.read("page-views-late")
        # Each windowing task sees its repartition partition in offset order,
        # with its own stream time: the reference runs per partition too.
        by_partition: dict[int, list[tuple[str, int, int]]] = {}
        for record in driver.read_records(REPARTITION):
            click = orjson.loads(record.value)
            by_partition.setdefault(record.partition, []).append(
                (click["page"], click["id"], click["ts"])
            )
        metrics = driver.metrics()

    expected_views: Counter[tuple[str, int, int, int]] = Counter()
    expected_late: list[int] = []
    for records in by_partition.values():
        outcome = reference.fixed(records, size=10_000, step=10_000, grace=2_000)
        expected_views.update((k, s, e, len(ids)) for k, s, e, ids in outcome.final)
        expected_late.extend(outcome.late)

    assert expected_late, "the input should exercise late clicks"
    assert (
        Counter((key, v["window_start"], v["window_end"], v["count"]) for key, v, _ts in views)
        == expected_views
    )
    assert all(key == v["page"] and ts == v["window_end"] - 1 for key, v, ts in views)
    assert sorted(v["id"] for _key, v, _ts in late) == sorted(expected_late)
    assert metrics["late_records_dropped"] == len(expected_late)
