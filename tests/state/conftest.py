"""Fixtures for state tests: stores on real RocksDB and in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state.manager import open_store
from streamkit.state.store import ManagedStore

TASK = TaskId(0, 0)


@pytest.fixture(params=["rocksdb", "memory"])
def persistent(request: pytest.FixtureRequest) -> bool:
    """Run a test on RocksDB and on the in-memory backend."""
    return request.param == "rocksdb"


KEEP_OPEN = 20


@pytest.fixture
def make_store(tmp_path: Path, persistent: bool) -> Iterator[Callable[..., ManagedStore]]:
    """Open a store (unlogged: these tests need no broker) of the given kind.
    Only the 20 latest stay open: a property test opens one per example, and
    thousands of open RocksDB stores exhaust the process's file descriptors."""
    opened: list[ManagedStore] = []

    def make(kind: StoreKind = StoreKind.KEY_VALUE, **spec: object) -> ManagedStore:
        spec_ = StoreSpec("s", kind=kind, persistent=persistent, logged=False, **spec)  # type: ignore[arg-type]
        store = open_store(spec_, tmp_path / str(len(opened)), TASK, cache_capacity=16)
        opened.append(store)
        if len(opened) > KEEP_OPEN:
            opened[-KEEP_OPEN - 1].backend.close()  # closing twice is harmless
        return store

    yield make
    for store in opened:
        store.backend.close()


def checkpoint(store: ManagedStore) -> None:
    """Commit a store's writes to its backend as the manager does (no changelog)."""
    store.seal()
    store.backend.apply(store.sealed_changes(), None)
    store.committed()
