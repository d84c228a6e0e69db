"""examples/page_views.py run by the real runtime, under exactly-once, on both
backends: out-of-order clicks give exactly the reference's windows and late clicks.
And window results aggregated again after a repartition, on both backends."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import orjson

from streamkit.log import Broker
from tests.examples.test_examples import build, run_in_process
from tests.operators import window_reference as reference
from tests.runtime.logs import json_values, read_all, unique


def out_of_order_clicks(count: int, seed: int) -> list[dict[str, object]]:
    """Clicks on 6 pages whose timestamps mostly increase; some are up to 2.5 s
    late (within grace) and some up to 15 s late (too late for their window)."""
    rng = random.Random(seed)
    now = 1_700_000_000_000
    clicks = []
    for i in range(count):
        now += rng.randint(0, 400)
        lateness = rng.choice([0, 0, 0, rng.randint(0, 2_500), rng.randint(0, 15_000)])
        clicks.append({"user": f"u{rng.randint(1, 20)}", "page": f"/p/{rng.randint(1, 6)}",
                       "amount": rng.randint(1, 50), "ts": now - lateness, "id": i})
    return clicks


def produce_clicks(broker: Broker, topic: str, clicks: list[dict[str, object]]) -> None:
    """Create ``topic`` with 4 partitions and append ``clicks`` to it, keyed by user."""
    admin = broker.admin()
    admin.create_topic(topic, 4)
    admin.close()
    producer = broker.producer()
    for click in clicks:
        producer.send(topic, orjson.dumps(click), str(click["user"]).encode())
    producer.flush()
    producer.close()


def clicks_by_partition(broker: Broker, topic: str,
                        key_field: str) -> list[list[tuple[str, int, int]]]:
    """Each partition's clicks in ``topic`` as ``(click[key_field], id, ts)``, in
    offset order: what the task reading that partition saw, with its own stream
    time, and so what the reference runs on."""
    by_partition: dict[int, list[tuple[str, int, int]]] = {}
    for record in read_all(broker, topic):
        click = orjson.loads(record.value)  # type: ignore[arg-type]
        by_partition.setdefault(record.partition, []).append(
            (click[key_field], click["id"], click["ts"]))
    return list(by_partition.values())


def test_page_views_gives_the_reference_windows_on_each_backend(broker: Broker,
                                                                 tmp_path: Path) -> None:
    name = unique("pv")
    names = {"name": name, "clicks": f"{name}-clicks", "page_views": f"{name}-views",
             "late": f"{name}-late"}
    app = build("page_views", **names, guarantee="exactly-once")
    clicks = out_of_order_clicks(800, seed=11)
    produce_clicks(broker, names["clicks"], clicks)

    run_in_process(app, broker, tmp_path, exactly_once=True)

    # Each windowing task reads one repartition partition (re-keyed by page).
    partitions = clicks_by_partition(broker, f"{name}-by-page-repartition", "page")
    assert sum(map(len, partitions)) == len(clicks)
    expected_views: Counter[tuple[str, int, int, int]] = Counter()
    expected_late: list[int] = []
    for records in partitions:
        outcome = reference.fixed(records, size=10_000, step=10_000, grace=2_000)
        expected_views.update((k, s, e, len(ids)) for k, s, e, ids in outcome.final)
        expected_late.extend(outcome.late)

    views = json_values(read_all(broker, names["page_views"]))
    late = json_values(read_all(broker, names["late"]))
    assert expected_late and expected_views, "the input should exercise both outputs"
    assert Counter((v["page"], v["window_start"], v["window_end"], v["count"])  # type: ignore[index]
                   for v in views) == expected_views
    assert sorted(v["id"] for v in late) == sorted(expected_late)  # type: ignore[index]


def test_window_results_cross_a_repartition_as_window_results(broker: Broker, tmp_path: Path) -> None:
    """A second windowed aggregation over the first one's results, through a
    repartition on the real backend: the steps after it read window results."""
    from tests.operators.test_window_result import CLICKS, two_stage_app

    name = unique("two-stage")
    app = two_stage_app(name)
    producer = broker.producer()
    admin = broker.admin()
    admin.create_topic(f"{name}-clicks", 2)
    admin.close()
    for user, ts in CLICKS:
        producer.send(f"{name}-clicks", orjson.dumps({"user": user}), user.encode(), None, ts)
    producer.flush()

    run_in_process(app, broker, tmp_path, exactly_once=True)

    assert json_values(read_all(broker, f"{name}-busiest")) == [
        {"hour": 0, "busiest_minute_clicks": 2}]
    assert read_all(broker, f"{name}-dlq", timeout=0.5) == []
