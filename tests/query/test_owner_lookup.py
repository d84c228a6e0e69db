"""Key → partition → task → owner, without a broker."""

from __future__ import annotations

import pytest

from streamkit import App
from streamkit.log.partitioner import partition_for_key
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.query.catalog import UnknownStore, UnpartitionableKey, find_route, store_routes
from streamkit.query.instances import (
    InstanceInfo,
    OwnerMap,
    decode_instance,
    encode_instance,
    locate_key,
)
from streamkit.serde import get_serde


class Keep:
    def init(self, context):  # type: ignore[no-untyped-def]
        self.context = context

    def process(self, message):  # type: ignore[no-untyped-def]
        pass

    def close(self) -> None:
        pass


def wordcount_like() -> App:
    app = App("demo")
    words = app.topic("words", partitions=4)
    app.stream(words).group_by(lambda w: w, name="by-word").count(name="counts")
    return app


def test_a_grouped_store_is_partitioned_like_its_repartition_topic() -> None:
    route = store_routes(wordcount_like().topology)["counts-store"]

    assert route.source_topic == "demo-by-word-repartition"
    for word in ["a", "hello", "streamkit", "ünïcode"]:
        expected = partition_for_key(get_serde("json").serialize(word) or b"", 4)
        assert route.task_of(word, 4) == TaskId(route.subtopology, expected)


def test_a_table_store_is_partitioned_by_its_topics_key_bytes_not_the_stores() -> None:
    app = App("demo")
    app.table(app.topic("users", key="string", partitions=8))
    route = store_routes(app.topology)["users-table-store"]

    # The producer hashed b"user-42"; the store holds b'"user-42"' (json).
    assert route.partition_of("user-42", 8) == partition_for_key(b"user-42", 8)
    assert route.spec.key_serde == "json"


def test_the_topic_feeding_the_store_is_chosen_among_several_sources() -> None:
    app = App("demo")
    users = app.table(app.topic("users", key="string", partitions=3), name="users")
    orders = app.topic("orders", key="json", partitions=3)
    app.stream(orders).join_table(users)
    route = store_routes(app.topology)["users-store"]

    assert route.source_topic == "users"


def test_window_stores_report_their_kind() -> None:
    app = App("demo")
    app.stream(app.topic("in")).process(Keep, stores=(StoreSpec("w", StoreKind.WINDOW),))

    assert store_routes(app.topology)["w"].kind == "window"


def test_an_unknown_store_lists_the_apps_stores() -> None:
    with pytest.raises(UnknownStore, match=r"no store 'count'; its stores: counts-store \(key_value\)"):
        find_route(store_routes(wordcount_like().topology), "count", "demo")


def test_a_key_the_topic_serde_cannot_encode_is_explained() -> None:
    app = App("demo")
    app.table(app.topic("ids", key="int", partitions=2), name="ids")
    route = store_routes(app.topology)["ids-store"]

    with pytest.raises(UnpartitionableKey, match="key_format=json"):
        route.partition_of("not a number", 2)
    assert route.partition_of(7, 2) == partition_for_key(get_serde("int").serialize(7) or b"", 2)


def claim(instance: str, address: str | None, tasks: set[TaskId], at: int) -> InstanceInfo:
    return InstanceInfo(instance, address, frozenset(tasks), at)


def test_the_owner_is_the_instance_claiming_the_keys_task() -> None:
    route = store_routes(wordcount_like().topology)["counts-store"]
    task = route.task_of("hello", 4)
    others = {TaskId(1, p) for p in range(4)} - {task}
    instances = [claim("a", "h1:1", others, 1), claim("b", "h2:2", {task}, 1)]

    location = locate_key(route, "hello", 4, instances)

    assert (location.partition, location.task_id, location.owner) == (task.partition, task, "h2:2")


def test_nobody_claiming_the_task_means_owner_unknown() -> None:
    route = store_routes(wordcount_like().topology)["counts-store"]

    assert locate_key(route, "hello", 4, []).owner is None


def test_when_two_instances_claim_a_task_the_latest_claim_wins() -> None:
    owners = OwnerMap()
    owners.apply(*encode_instance(claim("crashed", "old:1", {TaskId(1, 0)}, 100)))
    owners.apply(*encode_instance(claim("new", "new:1", {TaskId(1, 0)}, 200)))

    assert owners.owner_of(TaskId(1, 0)).address == "new:1"  # type: ignore[union-attr]


def test_a_tombstone_withdraws_an_instance() -> None:
    owners = OwnerMap()
    owners.apply(*encode_instance(claim("a", "h1:1", {TaskId(1, 0)}, 1)))
    owners.apply(b"a", None)

    assert owners.owner_of(TaskId(1, 0)) is None
    assert owners.instances() == []


def test_an_older_announcement_of_the_same_instance_does_not_replace_a_newer_one() -> None:
    owners = OwnerMap()
    owners.apply(*encode_instance(claim("a", "h1:1", {TaskId(1, 1)}, 20)))
    owners.apply(*encode_instance(claim("a", "h1:1", {TaskId(1, 0)}, 10)))  # a late echo

    assert owners.owner_of(TaskId(1, 1)) is not None
    assert owners.owner_of(TaskId(1, 0)) is None


def test_announcements_round_trip_and_unreadable_ones_are_ignored() -> None:
    info = claim("a", "h1:1", {TaskId(0, 2), TaskId(1, 0)}, 5)
    _, value = encode_instance(info)

    assert decode_instance(value) == info
    assert decode_instance(b"not json") is None
    owners = OwnerMap()
    owners.apply(b"x", b'{"instance_id": "x"}')
    assert owners.instances() == []
