"""The worker's tuned garbage collector: fewer collections, cycles still
collected, and the process's collector given back as it was."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from streamkit.runtime.collector import tuned_collector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def python_default_thresholds() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def collections_during(body_allocations: int, young_threshold: int) -> int:
    """How many times the collector ran while ``body_allocations`` dicts were
    kept alive inside ``tuned_collector(young_threshold)``."""
    runs = 0

    def count(phase: str, _info: dict[str, int]) -> None:
        nonlocal runs
        runs += phase == "start"

    gc.callbacks.append(count)
    try:
        with tuned_collector(young_threshold):
            kept = [{} for _ in range(body_allocations)]
    finally:
        gc.callbacks.remove(count)
    del kept
    return runs


def test_the_collector_runs_far_less_often_while_tuned() -> None:
    untuned = collections_during(100_000, 0)
    tuned = collections_during(100_000, 50_000)
    assert untuned >= 100_000 // 700 - 1
    assert tuned <= 2


def test_reference_cycles_made_while_tuned_are_still_collected() -> None:
    freed = 0

    def on_free() -> None:
        nonlocal freed
        freed += 1

    with tuned_collector(1_000):
        for _ in range(20_000):
            node = Node()
            weakref.finalize(node, on_free)
            del node
        assert freed > 10_000  # by the collector's own runs, no gc.collect() here


def test_thresholds_and_frozen_objects_are_given_back() -> None:
    gc.unfreeze()
    with tuned_collector(50_000):
        assert gc.get_threshold() == (50_000, 10, 10)
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_threshold_of_zero_leaves_the_collector_alone() -> None:
    gc.unfreeze()
    with tuned_collector(0):
        assert gc.get_threshold() == (700, 10, 10)
        assert gc.get_freeze_count() == 0


def test_the_last_of_overlapping_workers_gives_the_collector_back() -> None:
    first, second = tuned_collector(50_000), tuned_collector(20_000)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == (50_000, 10, 10)  # the second still runs, tuned
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
