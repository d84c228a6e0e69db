"""Generated data sets, cached on disk so that each child process loads them in a
fraction of the time generating them takes (the generator is pure Python)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks.clickstream import Event, clickstream, raw_records

CACHE_DIR = Path(__file__).parent / "results" / "cache"


def _cached(kind: str, count: int, seed: int, make: Callable[[int, int], list[Event]]) -> list[Event]:
    path = CACHE_DIR / f"{kind}-{count}-{seed}.pickle"
    if path.exists():
        with path.open("rb") as f:
            return [Event(*t) for t in pickle.load(f)]
    events = make(count, seed)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump([tuple(e) for e in events], f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return events


def clickstream_dataset(count: int, seed: int) -> list[Event]:
    """:func:`clickstream` events, from the cache when present."""
    return _cached("clickstream", count, seed, lambda n, s: clickstream(n, s))


def raw_dataset(count: int, seed: int) -> list[Event]:
    """B6's 100-byte records, from the cache when present."""
    return _cached("raw100", count, seed, lambda n, s: raw_records(n, seed=s))
