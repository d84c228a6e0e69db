"""``--serve`` on a running app: workers register their stores as tasks come and
go, and instances point each other to the owner of a key (both backends)."""

from __future__ import annotations

import functools
import http.client
import runpy
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from streamkit.log import Broker
from streamkit.processor import StoreSpec, TaskId
from streamkit.query.directory import StoreDirectory
from streamkit.query.instances import InstanceMembership
from streamkit.query.service import QueryService
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.task_state import task_state_factory
from streamkit.runtime.topics import prepare_topics
from streamkit.state.manager import open_store
from tests.contract import polling
from tests.runtime.logs import produce_json, unique

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LINES: list[object] = [{"text": "the quick brown fox"}, {"text": "The lazy dog"}, {"text": "the end"}]
COUNTS = Counter(["the", "quick", "brown", "fox", "the", "lazy", "dog", "the", "end"])
WAIT_S = 90.0
wait_for = functools.partial(polling.wait_for, timeout=WAIT_S)


def get(address: str, path: str) -> tuple[int, Any]:
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, orjson.loads(response.read())
    finally:
        connection.close()


def wordcount(broker: Broker) -> Any:
    names = {"name": unique("wcq"), "lines": unique("lines"), "word_counts": unique("counts")}
    app = runpy.run_path(str(EXAMPLES / "wordcount.py"))["build"](**names)
    admin = broker.admin()
    try:
        prepare_topics(admin, app.topology, dead_letter_topic=app.dead_letter_topic)
    finally:
        admin.close()
    return app


def lines_topic(app: Any) -> str:
    return next(t for t in app.topology.source_topic_names() if not t.endswith("-repartition"))


def held_partitions(address: str) -> list[int]:
    _, stores = get(address, "/stores")
    return next(s["partitions"] for s in stores["stores"] if s["name"] == "counts-store")


@contextmanager
def serving_worker(app: Any, broker: Broker, state_dir: Path, worker_id: str) -> Iterator[QueryService]:
    """A worker thread wired to a query service exactly as the run loop must do it."""
    service = QueryService(app, broker, "127.0.0.1:0")
    service.start()
    factory = service.queryable(task_state_factory(app.name, state_dir, broker))
    worker = Worker(app, broker, WorkerOptions(worker_id=worker_id, state_dir=state_dir,
                                               commit_interval_ms=200), state_factory=factory)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield service
    finally:
        stop.set()
        thread.join(60)
        service.close()


def test_a_running_app_answers_key_lookups_and_scans(broker: Broker, tmp_path: Path) -> None:
    app = wordcount(broker)
    with serving_worker(app, broker, tmp_path / "state", "0") as service:
        address = service.address
        assert address is not None
        produce_json(broker, lines_topic(app), LINES)

        def the_counted() -> Any:
            status, body = get(address, "/stores/counts-store/keys/the")
            return body if status == 200 and body["value"] == COUNTS["the"] else None

        assert wait_for(the_counted, "the count of 'the'")["key"] == "the"

        def all_counted() -> Any:
            _, scan = get(address, "/stores/counts-store?limit=100")
            got = {e["key"]: e["value"] for e in scan["entries"]}
            return scan if got == dict(COUNTS) else None

        wait_for(all_counted, "every word counted")
        _, stores = get(address, "/stores")
        [counts] = [s for s in stores["stores"] if s["name"] == "counts-store"]
        assert counts["partitions"] == [0, 1]
        assert [i["address"] for i in stores["instances"]] == [address]

        assert get(address, "/stores/counts-store/keys/zebra")[0] == 404


def test_instances_point_to_the_owner_of_a_key(broker: Broker, tmp_path: Path) -> None:
    app = wordcount(broker)
    with serving_worker(app, broker, tmp_path / "a", "a") as first, \
            serving_worker(app, broker, tmp_path / "b", "b") as second:
        addresses = [str(first.address), str(second.address)]
        produce_json(broker, lines_topic(app), LINES)
        redirects = 0

        def answer(word: str) -> Any:
            """Ask the first instance; follow its pointer to the owner once."""
            nonlocal redirects
            status, body = get(addresses[0], f"/stores/counts-store/keys/{word}")
            if status == 404 and body.get("owner") not in (None, addresses[0]):
                redirects += 1
                status, body = get(body["owner"], f"/stores/counts-store/keys/{word}")
            return body if status == 200 else None

        def every_word_found() -> Any:
            found = {word: answer(word) for word in COUNTS}
            complete = all(b is not None and b["value"] == COUNTS[w] for w, b in found.items())
            return found if complete else None

        wait_for(every_word_found, "every word's count through its owner")

        def both_instances_known() -> Any:
            _, stores = get(addresses[0], "/stores")
            known = {i["address"] for i in stores["instances"]}
            return known == set(addresses)

        wait_for(both_instances_known, "both instances in <app>-instances")
        held = [held_partitions(a) for a in addresses]
        assert sorted(held[0] + held[1]) == [0, 1]  # each partition served exactly once
        if held[0] and held[1]:  # the group split the store: some lookups were redirected
            assert redirects > 0


def test_membership_announces_tasks_and_withdraws_on_close(broker: Broker, tmp_path: Path) -> None:
    app_name = unique("members")
    spec = StoreSpec("s", logged=False)
    directories = [StoreDirectory(), StoreDirectory()]
    stores = [open_store(spec, tmp_path / str(i), TaskId(0, i)) for i in range(2)]
    members = [InstanceMembership(broker, app_name, f"i{i}", f"host{i}:80", directories[i],
                                  poll_timeout_s=0.1) for i in range(2)]
    try:
        for member in members:
            member.start()
        directories[0].register(TaskId(0, 0), "s", stores[0])
        directories[1].register(TaskId(0, 1), "s", stores[1])

        wait_for(lambda: (o := members[1].owners.owner_of(TaskId(0, 0))) and o.address == "host0:80",
                   "the second instance learning the first's task")
        members[0].close()
        wait_for(lambda: members[1].owners.owner_of(TaskId(0, 0)) is None,
                   "the first instance's withdrawal")
        assert members[1].owners.owner_of(TaskId(0, 1)).address == "host1:80"  # type: ignore[union-attr]
    finally:
        for member in members:
            member.close()
        for store in stores:
            store.backend.close()
