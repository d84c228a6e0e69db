"""The window store's per-record shortcuts keep its state exact: index entries
written only with a window's first put, remembered serialized keys, and stored
bytes copied out of orjson's oversized buffers."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.log.records import Record
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state import window as window_module
from streamkit.state.backend import DATA
from streamkit.state.manager import open_store
from streamkit.state.store import ManagedStore, compact
from streamkit.state.window import BY_END
from streamkit.state.window_keys import decode_primary_key, index_key, primary_key

from .conftest import checkpoint

MakeStore = Callable[..., ManagedStore]
WINDOW = StoreKind.WINDOW

windows = st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 12), st.integers(1, 6))
operations = st.lists(
    st.tuples(
        st.sampled_from(["put", "put", "put", "delete", "expire", "seal", "commit", "abort",
                         "checkpoint"]),
        windows,
        st.integers(0, 9),
    ),
    max_size=40,
)


def backend_index_matches_data(store: ManagedStore) -> None:
    """The committed by-end index holds exactly one entry per committed window."""
    data = [key for key, _ in store.backend.scan(DATA, None, None)]
    index = [key for key, _ in store.backend.scan(BY_END, None, None)]
    assert sorted(index) == sorted(index_key(*decode_primary_key(key)) for key in data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations)
def test_index_entries_follow_windows_through_seals_commits_aborts_and_expiry(
        make_store: MakeStore, operations: list[tuple[str, tuple[str, int, int], int]]) -> None:
    # conftest's stores keep only 16 committed entries cached: puts see cache
    # hits and misses alike.
    store = make_store(WINDOW)
    committed: dict[tuple[str, int, int], int] = {}
    sealed: dict[tuple[str, int, int], int] | None = None
    current: dict[tuple[str, int, int], int] = {}
    for op, (key, start, size), value in operations:
        window = (key, start, start + size)
        if op == "put":
            store.put(*window, value)
            current[window] = value
        elif op == "delete":
            store.delete(*window)
            current.pop(window, None)
        elif op == "expire":
            store.expire(start)  # type: ignore[attr-defined]
            current = {w: v for w, v in current.items() if w[2] >= start}
        elif op == "seal":  # a checkpoint in flight: later writes stay dirty
            store.seal()
            sealed = dict(current)
        elif op == "commit" and sealed is not None:
            store.backend.apply(store.sealed_changes(), None)
            store.committed()
            committed, sealed = sealed, None
        elif op == "checkpoint":
            checkpoint(store)
            committed, sealed = dict(current), None
        elif op == "abort":
            store.abort()
            current, sealed = dict(committed), None
        got = {(k, s, e): v for k, s, e, v in store.windows_ending_by(100)}
        assert got == current
        for probe in (window, (key, start + 1, start + 1 + size), ("b", 12, 13)):
            assert store.get(*probe) == current.get(probe)
    checkpoint(store)
    backend_index_matches_data(store)
    assert {(k, s, e): v for k, s, e, v in store.windows_ending_by(100)} == current


def test_keys_that_are_equal_in_python_but_serialize_differently_stay_apart(
        make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    for value, key in enumerate([1, 1.0, True, "1"]):
        store.put(key, 0, 10, value)
    assert [store.get(key, 0, 10) for key in (1, 1.0, True, "1")] == [0, 1, 2, 3]
    assert sorted(v for _, _, _, v in store.windows_ending_by(10)) == [0, 1, 2, 3]


def test_remembered_keys_start_over_past_the_limit(
        make_store: MakeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window_module, "MEMO_LIMIT", 3)
    store = make_store(WINDOW)
    keys = [f"k{i}" for i in range(10)]
    for value, key in enumerate(keys):
        store.put(key, 0, 10, value)
    checkpoint(store)
    assert [store.get(key, 0, 10) for key in keys] == list(range(10))
    assert len(store._prefixes) <= 3  # type: ignore[attr-defined]


def test_unhashable_keys_work_without_being_remembered(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    store.put(["a", 1], 0, 10, "x")
    store.put({"k": 2}, 0, 10, "y")
    assert store.get(["a", 1], 0, 10) == "x"
    assert store.get({"k": 2}, 0, 10) == "y"
    assert list(store.fetch(["a", 1], 0, 10)) == [(0, 10, "x")]


def test_compact_copies_bytes_exactly() -> None:
    data = orjson.dumps({"page": "/p/1", "count": 3})
    assert compact(data) == data
    assert compact(b"") == b""


def test_stored_values_do_not_pin_orjson_output_buffers(make_store: MakeStore) -> None:
    # orjson.dumps returns bytes holding its whole output buffer (KiBs); a store
    # that kept them would need that much per window.
    store = make_store(WINDOW)
    count = 2_000
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for i in range(count):
            store.put("key", i, i + 10, [i, 1])
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (after - before) / count < 400  # bytes per window: keys, values, dict slots


def test_a_reopened_store_reads_committed_windows_and_knows_later_ones_are_new(
        tmp_path: Path) -> None:
    spec = StoreSpec("w", kind=WINDOW, logged=False)
    store = open_store(spec, tmp_path, TaskId(0, 0))
    store.put("a", 100, 110, 1)  # type: ignore[attr-defined]
    store.put("a", 0, 10, 2)  # type: ignore[attr-defined]
    checkpoint(store)
    store.put("a", 200, 210, 3)  # type: ignore[attr-defined]  # uncommitted: lost
    store.backend.close()

    reopened = open_store(spec, tmp_path, TaskId(0, 0))
    try:
        assert reopened.get("a", 100, 110) == 1  # type: ignore[attr-defined]
        assert reopened.get("a", 0, 10) == 2  # type: ignore[attr-defined]
        assert reopened.get("a", 200, 210) is None  # type: ignore[attr-defined]
        reopened.put("a", 300, 310, 4)  # type: ignore[attr-defined]
        reopened.seal()  # in flight: sealed, not yet committed
        assert reopened.get("a", 300, 310) == 4  # type: ignore[attr-defined]
        reopened.backend.apply(reopened.sealed_changes(), None)
        reopened.committed()
        assert reopened.get("a", 300, 310) == 4  # type: ignore[attr-defined]
    finally:
        reopened.backend.close()


def test_windows_restored_from_the_changelog_are_found(make_store: MakeStore) -> None:
    store = make_store(WINDOW)
    key = orjson.dumps("a")
    records = [Record("changelog", 0, offset, 0, primary_key(key, start, start + 10), b"7")
               for offset, start in enumerate([0, 50, 500])]
    store.backend.apply(store.restore_changes(records), 3)
    store.invalidate()
    assert [store.get("a", start, start + 10) for start in (0, 50, 500)] == [7, 7, 7]  # type: ignore[attr-defined]
    assert store.get("a", 600, 610) is None  # type: ignore[attr-defined]


def test_after_orjson_refuses_a_value_the_store_asks_its_serde_first(make_store: MakeStore) -> None:
    # Non-string keys: orjson's plain dumps raises; the JSON serde encodes them
    # with its options. Trying the plain dumps on every update would waste it.
    store = make_store(WINDOW)
    tried_plain: list[object] = []
    plain = store._encode  # type: ignore[attr-defined]

    def counting(value: object) -> bytes:
        tried_plain.append(value)
        return plain(value)  # type: ignore[no-any-return]

    store._encode = counting  # type: ignore[attr-defined]
    for n in range(5):
        store.update("k", 0, 10, lambda acc, n=n: {**(acc or {}), n: n * 10})
    assert len(tried_plain) == 1
    assert store.get("k", 0, 10) == {str(n): n * 10 for n in range(5)}
    checkpoint(store)
    assert store.get("k", 0, 10) == {str(n): n * 10 for n in range(5)}
