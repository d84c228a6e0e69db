"""The per-key caches of the hopping (panes), session and sliding processors
(operators.key_cache): bounded, and keys dropped from them are read back from
the store with the same results as the brute-force reference."""

from __future__ import annotations

from typing import Any
from unittest import mock

import hypothesis.strategies as st
from hypothesis import given, settings
from test_windowed_aggregate_reference import (
    grace,
    paned_specs,
    panes_match_reference,
    sessions_match_reference,
    sliding_windows_match_reference,
    streams,
)

from operators import key_cache
from operators.key_cache import KeyCache


def test_a_full_cache_drops_its_older_half() -> None:
    cache: KeyCache[int] = KeyCache()
    with mock.patch.object(key_cache, "LIMIT", 4):
        for key in "abcd":
            cache.remember(key, ord(key))
        cache.remember("d", 0)  # already kept: nothing dropped
        assert list(cache) == ["a", "b", "c", "d"]
        cache.remember("e", 5)
    assert list(cache) == ["c", "d", "e"]
    assert cache.lookup("a") is None and cache.lookup("d") == 0


def test_unhashable_keys_are_never_kept() -> None:
    cache: KeyCache[int] = KeyCache()
    cache.remember({"user": 1}, 1)
    cache.forget({"user": 1})
    assert cache.lookup({"user": 1}) is None and not cache


# Three keys, room for two: keys are dropped and read back all the time.
@settings(max_examples=300, deadline=None)
@given(paned_specs(), streams)
def test_panes_of_dropped_keys_are_read_back(spec: tuple[int, int, int],
                                             records: list[Any]) -> None:
    with mock.patch.object(key_cache, "LIMIT", 2):
        panes_match_reference(spec, records, emit_final=False, restarts=set(), crashes=set(),
                              store="memory")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=30), grace, streams, st.booleans())
def test_sessions_of_dropped_keys_are_read_back(gap: int, grace_ms: int, records: list[Any],
                                                emit_final: bool) -> None:
    with mock.patch.object(key_cache, "LIMIT", 2):
        sessions_match_reference(gap, grace_ms, records, emit_final, restarts=set(),
                                 crashes=set(), store="memory")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=30), grace, streams, st.booleans())
def test_sliding_windows_of_dropped_keys_are_read_back(
    difference: int, grace_ms: int, records: list[Any], emit_final: bool
) -> None:
    with mock.patch.object(key_cache, "LIMIT", 2):
        sliding_windows_match_reference(difference, grace_ms, records, emit_final,
                                        restarts=set(), crashes=set(), store="memory")
