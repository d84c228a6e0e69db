"""The HTTP query server over real RocksDB stores, as the runtime registers them."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from operators import agg, windows
from streamkit import App
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.query.catalog import StoreRoute, store_routes
from streamkit.query.directory import StoreDirectory
from streamkit.query.http_server import QueryServer
from streamkit.query.instances import InstanceInfo, OwnerMap, encode_instance
from streamkit.state.manager import open_store
from streamkit.state.store import ManagedStore

PARTITIONS = 4


class Keep:
    def init(self, context):  # type: ignore[no-untyped-def]
        pass

    def process(self, message):  # type: ignore[no-untyped-def]
        pass

    def close(self) -> None:
        pass


def build_app() -> App:
    app = App("shop")
    words = app.topic("words", partitions=PARTITIONS)
    app.stream(words).group_by(lambda w: w, name="by-word").count(name="counts")
    visits = app.topic("visits", partitions=PARTITIONS)
    app.stream(visits).process(Keep, stores=(StoreSpec("visits-w", StoreKind.WINDOW),))
    return app


def commit(store: ManagedStore) -> None:
    """What TaskStateManager.commit does once a checkpoint succeeded."""
    store.seal()
    store.backend.apply(store.sealed_changes(), None)
    store.committed()


class Served:
    def __init__(self, tmp_path: Path, app: App | None = None) -> None:
        self.routes = store_routes((app or build_app()).topology)
        self.directory = StoreDirectory()
        self.owners = OwnerMap()
        self.opened: list[ManagedStore] = []
        self.server = QueryServer("shop", self.routes, {n: PARTITIONS for n in self.routes},
                                  self.directory, owners=self.owners)
        self.tmp_path = tmp_path

    def open(self, store_name: str, task_id: TaskId) -> Any:  # a key-value or window store
        store = open_store(self.routes[store_name].spec, self.tmp_path / "state", task_id)
        self.opened.append(store)
        self.directory.register(task_id, store_name, store)
        return store

    def get(self, path: str) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, orjson.loads(response.read())
        finally:
            connection.close()

    def route(self, name: str) -> StoreRoute:
        return self.routes[name]


@contextlib.contextmanager
def serving(tmp_path: Path, app: App | None = None) -> Iterator[Served]:
    s = Served(tmp_path, app)
    s.server.start()
    try:
        yield s
    finally:
        s.server.close()
        for store in s.opened:
            store.backend.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serving(tmp_path) as s:
        yield s


def task_of(served: Served, key: str) -> TaskId:
    return served.route("counts-store").task_of(key, PARTITIONS)


def test_a_committed_key_is_answered_with_its_value(served: Served) -> None:
    task = task_of(served, "hello")
    store = served.open("counts-store", task)
    store.put("hello", 3)
    commit(store)

    status, body = served.get("/stores/counts-store/keys/hello")

    assert status == 200
    assert body == {"key": "hello", "value": 3, "task": str(task), "partition": task.partition}


def test_uncommitted_writes_are_not_visible(served: Served) -> None:
    store = served.open("counts-store", task_of(served, "hello"))
    store.put("hello", 1)
    commit(store)
    store.put("hello", 2)  # in the write-back cache only: could still be rolled back

    assert served.get("/stores/counts-store/keys/hello")[1]["value"] == 1


def test_an_absent_key_of_a_held_partition_is_404_with_this_instance_as_owner(served: Served) -> None:
    task = task_of(served, "nope")
    served.open("counts-store", task)

    status, body = served.get("/stores/counts-store/keys/nope")

    assert status == 404
    assert body["partition"] == task.partition
    assert body["owner"] == served.server.address


def test_a_key_held_elsewhere_is_404_naming_the_owner_and_partition(served: Served) -> None:
    task = task_of(served, "hello")
    served.owners.apply(*encode_instance(InstanceInfo("other", "10.0.0.7:8080",
                                                      frozenset({task}), 1)))

    status, body = served.get("/stores/counts-store/keys/hello")

    assert status == 404
    assert (body["owner"], body["partition"]) == ("10.0.0.7:8080", task.partition)


def test_a_key_held_by_nobody_known_is_404_with_a_null_owner(served: Served) -> None:
    status, body = served.get("/stores/counts-store/keys/hello")

    assert status == 404
    assert body["owner"] is None
    assert body["partition"] == task_of(served, "hello").partition


def test_an_unregistered_task_is_no_longer_answered(served: Served) -> None:
    task = task_of(served, "hello")
    store = served.open("counts-store", task)
    store.put("hello", 3)
    commit(store)
    served.directory.unregister(task)

    assert served.get("/stores/counts-store/keys/hello")[0] == 404


def test_keys_needing_escapes_and_json_keys(tmp_path: Path) -> None:
    app = App("shop")
    app.table(app.topic("ids", key="json", partitions=PARTITIONS), name="ids")
    routes = store_routes(app.topology)
    directory = StoreDirectory()
    server = QueryServer("shop", routes, {"ids-store": PARTITIONS}, directory)
    stores: list[Any] = [open_store(routes["ids-store"].spec, tmp_path, TaskId(0, p))
                         for p in range(PARTITIONS)]
    for p, store in enumerate(stores):
        directory.register(TaskId(0, p), "ids-store", store)
    for key, value in [(42, "forty-two"), ("a/b c", "slashed")]:
        store = stores[routes["ids-store"].partition_of(key, PARTITIONS)]
        store.put(key, value)
        commit(store)
    server.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/stores/ids-store/keys/42?key_format=json")
        assert orjson.loads(connection.getresponse().read())["value"] == "forty-two"
        connection.request("GET", "/stores/ids-store/keys/" + quote("a/b c", safe=""))
        assert orjson.loads(connection.getresponse().read())["value"] == "slashed"
        connection.request("GET", "/stores/ids-store/keys/%7Bbad?key_format=json")
        response = connection.getresponse()
        assert response.status == 400
        assert "not valid JSON" in orjson.loads(response.read())["error"]
        connection.close()
    finally:
        server.close()
        for store in stores:
            store.backend.close()


def test_scan_returns_held_partitions_with_prefix_and_limit(served: Served) -> None:
    stores = {p: served.open("counts-store", TaskId(1, p)) for p in range(PARTITIONS)}
    words = ["apple", "apricot", "avocado", "banana", "blueberry", "cherry"]
    for n, word in enumerate(words):
        stores[task_of(served, word).partition].put(word, n)
    for store in stores.values():
        commit(store)

    status, body = served.get("/stores/counts-store?prefix=a")
    assert status == 200
    assert sorted(e["key"] for e in body["entries"]) == ["apple", "apricot", "avocado"]
    assert body["truncated"] is False

    _, limited = served.get("/stores/counts-store?limit=4")
    assert len(limited["entries"]) == 4
    assert limited["truncated"] is True

    assert served.get("/stores/counts-store?limit=0")[0] == 400


def test_a_window_store_answers_every_window_of_a_key(served: Served) -> None:
    route = served.route("visits-w")
    task = route.task_of("/home", PARTITIONS)
    store = served.open("visits-w", task)
    store.put("/home", 0, 10, 5)
    store.put("/home", 10, 20, 7)
    store.put("/homepage", 0, 10, 1)
    commit(store)

    status, body = served.get("/stores/visits-w/keys/%2Fhome")
    assert status == 200
    assert body["windows"] == [{"start": 0, "end": 10, "value": 5},
                               {"start": 10, "end": 20, "value": 7}]

    _, scanned = served.get("/stores/visits-w?prefix=%2Fhome")
    assert [(e["key"], e["start"], e["end"]) for e in scanned["entries"]] == [
        ("/home", 0, 10), ("/home", 10, 20), ("/homepage", 0, 10)]


def test_hopping_windows_kept_as_panes_are_answered_as_windows(tmp_path: Path) -> None:
    app = App("rolling")
    (app.stream(app.topic("clicks", partitions=PARTITIONS))
     .group_by(lambda click: click["user"], name="by-user")
     .window(windows.hopping(20, 10)).aggregate(agg.mean(), name="spend").updates())
    with serving(tmp_path, app) as served:
        task = served.route("spend-store-panes").task_of("u", PARTITIONS)
        store = served.open("spend-store-panes", task)
        store.put("u", 0, 10, [6, 2])  # panes: sums and counts
        store.put("u", 10, 20, [9, 1])
        commit(store)

        status, body = served.get("/stores/spend-store-panes/keys/u")

    assert status == 200
    assert body["windows"] == [{"start": 0, "end": 20, "value": 5.0},
                               {"start": 10, "end": 30, "value": 9.0}]


def test_stores_lists_names_kinds_and_held_partitions(served: Served) -> None:
    served.open("counts-store", TaskId(1, 2))
    served.owners.apply(*encode_instance(InstanceInfo("x", "h:1", frozenset({TaskId(1, 0)}), 1)))

    status, body = served.get("/stores")

    assert status == 200
    by_name = {s["name"]: s for s in body["stores"]}
    assert by_name["counts-store"]["kind"] == "key_value"
    assert by_name["counts-store"]["partitions"] == [2]
    assert by_name["visits-w"]["kind"] == "window"
    assert by_name["visits-w"]["partitions"] == []
    assert body["instances"] == [{"instance_id": "x", "address": "h:1", "tasks": ["1_0"]}]


def test_an_unknown_store_is_404_listing_the_stores(served: Served) -> None:
    status, body = served.get("/stores/count/keys/a")

    assert status == 404
    assert body["stores"] == ["counts-store (key_value)", "visits-w (window)"]
    assert served.get("/nowhere")[0] == 404
