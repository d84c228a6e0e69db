"""Micro-measurement of the key-value store through its write-back cache (not a
test: no timing is asserted anywhere). Run: ``python tests/state/measure_cache.py``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from streamkit.processor import StoreSpec, TaskId
from streamkit.state.manager import open_store

N = 200_000
KEYS = 10_000


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f}/s"


def measure(persistent: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(StoreSpec("m", persistent=persistent, logged=False), Path(tmp), TaskId(0, 0))
        keys = [f"user-{i}" for i in range(KEYS)]
        started = time.perf_counter()
        for i in range(N):
            store.put(keys[i % KEYS], {"count": i})
        puts = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(N):
            store.get(keys[i % KEYS])
        dirty_gets = time.perf_counter() - started
        started = time.perf_counter()
        store.seal()
        store.backend.apply(store.sealed_changes(), None)
        store.committed()
        commit = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(N):
            store.get(keys[i % KEYS])
        clean_gets = time.perf_counter() - started
        store.invalidate()
        started = time.perf_counter()
        for i in range(KEYS):
            store.get(keys[i])
        cold_gets = time.perf_counter() - started
        started = time.perf_counter()
        scanned = sum(1 for _ in store.all())
        scan = time.perf_counter() - started
        store.backend.close()
    name = "rocksdb" if persistent else "memory"
    print(f"{name:8} put {rate(N, puts)}  get(dirty) {rate(N, dirty_gets)}  "
          f"get(cached) {rate(N, clean_gets)}  get(cold) {rate(KEYS, cold_gets)}  "
          f"scan {rate(scanned, scan)}  commit of {KEYS} keys {commit * 1000:.0f} ms")


if __name__ == "__main__":
    for persistent in (True, False):
        measure(persistent)
