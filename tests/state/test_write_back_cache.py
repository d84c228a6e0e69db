"""The write-back cache always returns the latest value, whatever its two
generations of committed entries hold, scans in key order over committed and
uncommitted entries alike, and stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.state.backend import DATA, StoreBackend
from streamkit.state.cache import WriteBackCache
from streamkit.state.memory_backend import MemoryBackend
from streamkit.state.rocksdb_backend import RocksDBBackend

keys = st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f"])
operations = st.lists(
    st.tuples(st.sampled_from(["put", "put", "delete", "get", "get", "scan", "seal", "checkpoint",
                               "abort"]),
              keys, st.binary(min_size=1, max_size=2)),
    max_size=60,
)


@pytest.fixture(params=["rocksdb", "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> StoreBackend:
    if request.param == "memory":
        return MemoryBackend()
    rocks = RocksDBBackend(tmp_path / "db")
    request.addfinalizer(rocks.close)
    return rocks


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(capacity=st.integers(1, 5), operations=operations)
def test_reads_and_scans_see_the_latest_values_through_every_generation(
        backend: StoreBackend, capacity: int, operations: list[tuple[str, bytes, bytes]]) -> None:
    backend.wipe()
    cache = WriteBackCache(backend, DATA, capacity)
    committed: dict[bytes, bytes] = {}
    current: dict[bytes, bytes] = {}
    for op, key, value in operations:
        if op == "put":
            cache.put(key, value)
            current[key] = value
        elif op == "delete":
            cache.delete(key)
            current.pop(key, None)
        elif op == "get":
            assert cache.get(key) == current.get(key)
        elif op == "scan":  # all of it, and from this key up to "d"
            assert list(cache.scan(None, None)) == sorted(current.items())
            assert list(cache.scan(key, b"d")) == [
                (k, v) for k, v in sorted(current.items()) if key <= k < b"d"]
        elif op == "seal":  # a checkpoint under way: later writes stay dirty
            cache.seal()
        elif op == "checkpoint":
            backend.apply({DATA: cache.seal()}, None)
            cache.committed()
            committed = dict(current)
        else:
            cache.abort()
            current = dict(committed)
        if key not in cache.dirty and cache.has_recent(key):
            assert key in current  # "present" is never a guess (False may be)
    for key in (b"a", b"b", b"c", b"d", b"e", b"f"):
        assert cache.get(key) == current.get(key)


def test_a_key_rewritten_between_seal_and_commit_scans_once() -> None:
    """The window between a checkpoint's seal and its commit: a key both sealed
    and dirty is one entry, with its latest value."""
    backend = MemoryBackend()
    cache = WriteBackCache(backend, DATA)
    cache.put(b"a", b"1")
    cache.put(b"b", b"1")
    sealed = dict(cache.seal())
    assert list(cache.scan(None, None)) == [(b"a", b"1"), (b"b", b"1")]
    cache.put(b"a", b"2")
    cache.put(b"c", b"2")
    assert list(cache.scan(None, None)) == [(b"a", b"2"), (b"b", b"1"), (b"c", b"2")]
    backend.apply({DATA: sealed}, None)
    cache.committed()
    assert list(cache.scan(None, None)) == [(b"a", b"2"), (b"b", b"1"), (b"c", b"2")]
    cache.abort()
    assert list(cache.scan(None, None)) == [(b"a", b"1"), (b"b", b"1")]


def test_committed_values_are_served_without_the_backend_until_they_age_out() -> None:
    backend = MemoryBackend()
    cache = WriteBackCache(backend, DATA, capacity=4)
    cache.put(b"a", b"1")
    cache.put(b"b", b"2")
    backend.apply({DATA: cache.seal()}, None)
    cache.committed()
    # Change the backend underneath: the cached values still answer.
    backend.apply({DATA: {b"a": b"x", b"b": b"y"}}, None)
    assert (cache.get(b"a"), cache.get(b"b")) == (b"1", b"2")
    # Reading 2 more keys ages {a, b} into the old generation; 3 more drop them.
    for key in (b"c", b"d", b"e", b"f", b"g"):
        cache.get(key)
    assert (cache.get(b"a"), cache.get(b"b")) == (b"x", b"y")


def test_cached_entries_stay_within_capacity_plus_one_checkpoint() -> None:
    backend = MemoryBackend()
    cache = WriteBackCache(backend, DATA, capacity=100)
    for round_ in range(20):
        for i in range(30):
            cache.put(b"%d-%d" % (round_, i), b"v")
        backend.apply({DATA: cache.seal()}, None)
        cache.committed()
        for i in range(50):
            cache.get(b"miss-%d-%d" % (round_, i))
        cached = len(cache._young) + len(cache._old)  # type: ignore[attr-defined]
        assert cached <= 100 + 30
