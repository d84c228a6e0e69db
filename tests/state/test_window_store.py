"""Window store semantics, on RocksDB and in memory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.processor import StoreKind, WindowStore
from streamkit.state.store import ManagedStore

from .conftest import checkpoint

MakeStore = Callable[..., ManagedStore]
WINDOW = StoreKind.WINDOW


def test_is_a_window_store(make_store: MakeStore) -> None:
    assert isinstance(make_store(WINDOW), WindowStore)


def test_get_put_delete_one_window(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    store.put("page", 0, 10, 3)
    assert store.get("page", 0, 10) == 3
    assert store.get("page", 0, 20) is None
    checkpoint(store)
    store.delete("page", 0, 10)
    assert store.get("page", 0, 10) is None
    checkpoint(store)
    assert list(store.windows_ending_by(100)) == []


def test_fetch_returns_the_keys_windows_by_start_within_bounds(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    for start in (30, 0, 10, 20):
        store.put("a", start, start + 10, start)
    store.put("ab", 10, 20, "other key")  # shares a's serialized prefix, not its windows
    checkpoint(store)
    store.put("a", 15, 25, "uncommitted")
    assert list(store.fetch("a", 10, 20)) == [(10, 20, 10), (15, 25, "uncommitted"), (20, 30, 20)]
    assert [s for s, _, _ in store.fetch("a", -100, 10**15)] == [0, 10, 15, 20, 30]
    assert list(store.fetch("b", 0, 100)) == []


def test_windows_ending_by_come_in_end_order_across_keys(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    store.put("x", 0, 30, "x0")
    store.put("y", 5, 10, "y5")
    checkpoint(store)
    store.put("z", 0, 20, "z0")
    store.put("a", 10, 20, "a10")
    found = [(k, e) for k, _, e, _ in store.windows_ending_by(20)]
    assert found == [("y", 10), ("a", 20), ("z", 20)]
    assert [e for _, _, e, _ in store.windows_ending_by(10**12)] == [10, 20, 20, 30]


def test_closing_windows_while_iterating_deletes_them(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    for i in range(5):
        store.put(f"k{i}", i, i + 10, i)
    checkpoint(store)
    closed = []
    for key, start, end, value in store.windows_ending_by(12):
        closed.append(value)
        store.delete(key, start, end)
    assert closed == [0, 1, 2]
    assert [v for *_, v in store.windows_ending_by(100)] == [3, 4]


def test_update_folds_into_a_window_in_one_step(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    assert store.update("k", 0, 10, lambda count: (count or 0) + 1) == 1
    checkpoint(store)
    assert store.update("k", 0, 10, lambda count: (count or 0) + 1) == 2
    assert store.get("k", 0, 10) == 2
    assert [(k, s, e, v) for k, s, e, v in store.windows_ending_by(10)] == [("k", 0, 10, 2)]

    def fails(_count: object) -> int:
        raise ValueError("the fold failed")

    with pytest.raises(ValueError):
        store.update("k", 0, 10, fails)
    assert store.get("k", 0, 10) == 2  # nothing written
    assert store.update("k", 0, 10, lambda _count: None) is None  # None deletes
    assert store.get("k", 0, 10) is None
    assert list(store.windows_ending_by(10)) == []


def test_a_window_written_again_is_indexed_whatever_happened_in_between(
        make_store: MakeStore) -> None:
    # The by-end index entry is written with a window's first write only: a
    # delete, an expiry or an abort between two writes must not make the second
    # skip the entry of a window that no longer is.
    store = make_store(WINDOW)
    for between in (lambda: store.delete("k", 0, 10), lambda: store.expire(11), store.abort):
        store.update("k", 0, 10, lambda _: "uncommitted")
        assert store.get("k", 0, 10) == "uncommitted"
        between()
        store.update("k", 0, 10, lambda _: "again")
        assert [(k, s, e) for k, s, e, _ in store.windows_ending_by(10)] == [("k", 0, 10)]
        checkpoint(store)
        assert [(k, s, e) for k, s, e, _ in store.windows_ending_by(10)] == [("k", 0, 10)]
        store.delete("k", 0, 10)
        checkpoint(store)


def test_expire_drops_windows_ending_before_the_bound(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    for end in (10, 20, 30):
        store.put("k", end - 10, end, end)
    assert store.expire(20) == 1
    assert [e for _, _, e, _ in store.windows_ending_by(100)] == [20, 30]


def test_windows_below_an_expiry_are_found_again_when_put_back_or_restored_by_abort(
        make_store: MakeStore) -> None:
    # Scans of the index start where the last expiry ended; windows below that
    # bound can still come back.
    store = make_store(WINDOW)
    for end in (10, 20, 30):
        store.put("k", end - 10, end, end)
    checkpoint(store)
    store.expire(25)
    assert [e for _, _, e, _ in store.windows_ending_by(100)] == [30]
    store.abort()  # the expiry never happened
    assert [e for _, _, e, _ in store.windows_ending_by(100)] == [10, 20, 30]
    store.expire(25)
    checkpoint(store)
    store.put("old", 0, 5, "put back below the expiry")
    assert [e for _, _, e, _ in store.windows_ending_by(100)] == [5, 30]
    assert store.expire(25) == 1


def test_retention_is_applied_at_each_checkpoint(make_store: MakeStore) -> None:
    store = make_store(WINDOW, retention_ms=100)
    store.put("k", 0, 10, "old")
    store.put("k", 95, 105, "recent")
    checkpoint(store)  # latest start 95: keeps windows ending at or after -5
    assert store.get("k", 0, 10) == "old"
    store.put("k", 200, 210, "new")
    checkpoint(store)  # latest start 200: drops windows ending before 100
    assert store.get("k", 0, 10) is None
    assert [(s, e) for s, e, _ in store.fetch("k", 0, 1000)] == [(95, 105), (200, 210)]


def test_an_aborted_write_does_not_move_retention(make_store: MakeStore) -> None:
    store = make_store(WINDOW, retention_ms=100)
    store.put("k", 0, 10, "open")
    checkpoint(store)
    store.put("k", 1_000, 1_010, "rolled back")  # a record far ahead, then a failed commit
    store.abort()
    store.put("k", 5, 15, "redone")
    checkpoint(store)  # retention counts from the latest start committed or redone: 5
    assert store.get("k", 0, 10) == "open"


def test_negative_times_sort_before_positive_ones(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    store.put("k", 5, 15, "pos")
    store.put("k", -20, -10, "neg")
    assert [v for _, _, v in store.fetch("k", -100, 100)] == ["neg", "pos"]
    assert [v for *_, v in store.windows_ending_by(0)] == ["neg"]


windows = st.tuples(st.sampled_from(["a", "b", "ab"]), st.integers(0, 50), st.integers(1, 20))
operations = st.lists(
    st.tuples(st.sampled_from(["get", "put", "update", "delete", "expire", "commit", "abort"]),
              windows, st.integers(0, 9)),
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations, end_to=st.integers(0, 80))
def test_behaves_like_a_dict_of_windows(
        make_store: MakeStore, operations: list[tuple[str, tuple[str, int, int], int]],
        end_to: int) -> None:
    store = make_store(WINDOW)
    committed: dict[tuple[str, int, int], int] = {}
    current: dict[tuple[str, int, int], int] = {}
    for op, (key, start, size), value in operations:
        window = (key, start, start + size)
        if op == "get":
            assert store.get(*window) == current.get(window)
        elif op == "update":  # adds value, or deletes the window when it is 0
            added = store.update(*window, lambda old, add=value: ((old or 0) + add) or None)
            assert added == (((current.get(window) or 0) + value) or None)
            if added is None:
                current.pop(window, None)
            else:
                current[window] = added
        elif op == "put":
            store.put(*window, value)
            current[window] = value
        elif op == "delete":
            store.delete(*window)
            current.pop(window, None)
        elif op == "expire":  # later scans start past the windows it deleted
            before_end = value * 8
            store.expire(before_end)
            current = {w: v for w, v in current.items() if w[2] >= before_end}
        elif op == "commit":
            checkpoint(store)
            committed = dict(current)
        else:
            store.abort()
            current = dict(committed)
    ending = [(k, s, e, v) for (k, s, e), v in current.items() if e <= end_to]
    got = list(store.windows_ending_by(end_to))
    assert sorted(got) == sorted(ending)
    assert [e for _, _, e, _ in got] == sorted(e for _, _, e, _ in ending)
    for key in ("a", "b", "ab"):
        expected = sorted((s, e, v) for (k, s, e), v in current.items() if k == key and 10 <= s <= 30)
        assert list(store.fetch(key, 10, 30)) == expected
