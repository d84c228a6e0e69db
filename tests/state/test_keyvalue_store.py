"""Key-value store semantics, on RocksDB and in memory, checked against a dict."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.processor import KeyValueStore, StoreSpec
from streamkit.state.errors import StateError
from streamkit.state.store import ManagedStore

from .conftest import checkpoint

MakeStore = Callable[..., ManagedStore]


def test_is_a_key_value_store(make_store: MakeStore) -> None:
    assert isinstance(make_store(), KeyValueStore)


def test_reads_see_own_uncommitted_writes(make_store: MakeStore) -> None:
    store = make_store()
    store.put("a", {"n": 1})
    assert store.get("a") == {"n": 1}
    assert store.backend.get("data", b'"a"') is None  # nothing reached the backend
    store.delete("a")
    assert store.get("a") is None


def test_put_none_deletes(make_store: MakeStore) -> None:
    store = make_store()
    store.put("a", 1)
    checkpoint(store)
    store.put("a", None)
    assert store.get("a") is None
    assert list(store.all()) == []


def test_range_merges_committed_and_uncommitted_entries(make_store: MakeStore) -> None:
    store = make_store()
    for key in "abcde":
        store.put(key, key.upper())
    checkpoint(store)
    store.put("bb", "new")
    store.delete("c")
    store.put("d", "changed")
    assert list(store.range("b", "e")) == [("b", "B"), ("bb", "new"), ("d", "changed")]
    assert list(store.range(end="b")) == [("a", "A")]
    assert [k for k, _ in store.range("d")] == ["d", "e"]


def test_prefix_of_json_string_keys_matches_keys_starting_with_it(make_store: MakeStore) -> None:
    store = make_store()
    for key in ["user:1", "user:2", "user", "users", "admin:1"]:
        store.put(key, 0)
    checkpoint(store)
    store.put("user:3", 0)
    assert [k for k, _ in store.prefix("user:")] == ["user:1", "user:2", "user:3"]
    assert [k for k, _ in store.prefix("user")] == ["user", "user:1", "user:2", "user:3", "users"]


def test_prefix_with_the_string_serde(make_store: MakeStore) -> None:
    store = make_store(key_serde="string")
    store.put('"q"x', 1)
    store.put('"q"', 2)
    store.put("q", 3)
    assert [k for k, _ in store.prefix('"q"')] == ['"q"', '"q"x']


def test_writes_during_iteration_are_safe(make_store: MakeStore) -> None:
    store = make_store()
    for i in range(10):
        store.put(f"k{i}", i)
    checkpoint(store)
    for key, value in store.all():
        store.delete(key)
        store.put(key + "-copy", value)
    assert sorted(store.all()) == sorted((f"k{i}-copy", i) for i in range(10))


def test_none_keys_are_refused_with_a_hint(make_store: MakeStore) -> None:
    with pytest.raises(StateError, match="give the record a key"):
        make_store().put(None, 1)


def test_hot_keys_are_served_from_the_cache_after_commit(make_store: MakeStore) -> None:
    store = make_store()
    store.put("hot", 1)
    checkpoint(store)
    if store.spec.persistent:
        store.backend.apply({"data": {b'"hot"': b"2"}}, None)  # behind the cache's back
        assert store.get("hot") == 1  # served from the clean cache, no RocksDB read


keys = st.text(alphabet="abc", max_size=3)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), keys, st.integers(0, 9)),
        st.tuples(st.just("delete"), keys, st.none()),
        st.tuples(st.just("commit"), st.none(), st.none()),
        st.tuples(st.just("abort"), st.none(), st.none()),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations, bounds=st.tuples(keys, keys), prefix=keys)
def test_behaves_like_a_dict_with_commit_and_abort(
        make_store: MakeStore, operations: list[tuple[str, str | None, int | None]],
        bounds: tuple[str, str], prefix: str) -> None:
    store = make_store()  # a fresh one for each example
    committed: dict[str, int] = {}
    current: dict[str, int] = {}
    for op, key, value in operations:
        if op == "put":
            store.put(key, value)
            current[key] = value  # type: ignore[index,assignment]
        elif op == "delete":
            store.delete(key)
            current.pop(key, None)  # type: ignore[arg-type]
        elif op == "commit":
            checkpoint(store)
            committed = dict(current)
        else:
            store.abort()
            current = dict(committed)
    ordered = sorted(current.items(), key=lambda kv: ('"' + kv[0] + '"').encode())
    assert list(store.all()) == ordered
    assert all(store.get(k) == v for k, v in current.items())
    low, high = sorted(bounds)
    expected = [(k, v) for k, v in ordered if low <= k < high]
    assert list(store.range(low, high)) == expected
    assert list(store.prefix(prefix)) == [(k, v) for k, v in ordered if k.startswith(prefix)]


def test_spec_defaults_are_json(make_store: MakeStore) -> None:
    assert make_store().spec.key_serde == StoreSpec("x").key_serde == "json"
