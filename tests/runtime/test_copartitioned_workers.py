"""A task that reads several topics (here a stream joined with a table) must get
partition n of each on one worker. With three worker processes in one group, every
order finds its customer: none is dropped because its customer's partition went
to another member."""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from streamkit.log import Broker, TopicPartition
from tests.contract.polling import wait_for
from tests.faults.processes import AppProcess
from tests.runtime.logs import json_values, read_all, unique

CUSTOMERS = 40
ORDERS = 200
WAIT_S = 90.0

APP = """\
from streamkit import App

app = App({name!r})
customers = app.topic({customers!r}, key="string", value="json", partitions=4)
orders = app.topic({orders!r}, key="string", value="json", partitions=4)
table = app.table(customers)
(app.stream(orders)
    .join_table(table, lambda order, customer: {{**order, "name": customer["name"]}})
    .to(app.topic({out!r}, key="string", value="json")))
"""


def produce(broker: Broker, topic: str, records: list[tuple[str, dict[str, object]]]) -> None:
    producer = broker.producer()
    for key, value in records:
        producer.send(topic, orjson.dumps(value), key.encode())
    producer.flush()
    producer.close()


def wait_until(condition, what: str, app: AppProcess) -> None:  # type: ignore[no-untyped-def]
    wait_for(condition, what, WAIT_S, lambda: time.sleep(0.5), detail=app.tail)


def test_three_workers_join_every_order_with_its_customer(broker: Broker, tmp_path: Path) -> None:
    name = unique("copart")
    topics = {"customers": f"{name}-customers", "orders": f"{name}-orders",
              "out": f"{name}-out"}
    admin = broker.admin()
    for topic in topics.values():
        admin.create_topic(topic, 4)
    produce(broker, topics["customers"],
            [(f"c{i}", {"name": f"customer {i}"}) for i in range(CUSTOMERS)])
    customer_ends = admin.end_offsets([TopicPartition(topics["customers"], p) for p in range(4)])
    app_file = tmp_path / "app.py"
    app_file.write_text(APP.format(name=name, **topics))

    app = AppProcess.start(app_file, broker.url, tmp_path / "state", tmp_path / "run.log",
                           guarantee="at-least-once", workers=3)
    try:
        # Orders are sent once the table is loaded, so every lookup can match.
        wait_until(lambda: all(admin.group_offsets(name).get(tp, 0) >= end
                               for tp, end in customer_ends.items()),
                   "the workers to load the customers table", app)
        produce(broker, topics["orders"],
                [(f"c{i % CUSTOMERS}", {"order": i}) for i in range(ORDERS)])
        wait_until(lambda: len(read_all(broker, topics["out"])) >= ORDERS,
                   f"{ORDERS} joined orders", app)
    finally:
        assert app.terminate() == 0, app.tail()
        admin.close()

    joined = json_values(read_all(broker, topics["out"]))
    assert sorted(o["order"] for o in joined) == list(range(ORDERS))  # type: ignore[index]
    assert all(o["name"] == f"customer {o['order'] % CUSTOMERS}" for o in joined)  # type: ignore[index]
