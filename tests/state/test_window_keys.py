"""The byte layout of window stores: orderings that range scans rely on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streamkit.state.window_keys import (
    TIME_MAX,
    TIME_MIN,
    decode_index_key,
    decode_primary_key,
    encode_time,
    index_key,
    key_prefix,
    prefix_upper_bound,
    primary_key,
)

times = st.integers(min_value=TIME_MIN, max_value=TIME_MAX)
keys = st.binary(max_size=12)


@given(times, times)
def test_encoded_times_sort_numerically(a: int, b: int) -> None:
    assert (encode_time(a) < encode_time(b)) == (a < b)


@given(keys, times, times)
def test_primary_and_index_keys_round_trip(key: bytes, start: int, end: int) -> None:
    assert decode_primary_key(primary_key(key, start, end)) == (key, start, end)
    assert decode_index_key(index_key(key, start, end)) == (key, start, end)


@given(keys, keys, times, times)
def test_a_keys_windows_are_contiguous_and_no_other_key_shares_its_prefix(
        key: bytes, other: bytes, start: int, end: int) -> None:
    assert primary_key(key, start, end).startswith(key_prefix(key))
    if other != key:
        assert not primary_key(other, start, end).startswith(key_prefix(key))


@given(st.lists(st.tuples(keys, times, times), min_size=2, max_size=20))
def test_primary_keys_sort_by_key_then_start_and_index_keys_by_end(
        windows: list[tuple[bytes, int, int]]) -> None:
    by_primary = sorted(windows, key=lambda w: primary_key(*w))
    by_key = {}
    for key, start, end in by_primary:
        by_key.setdefault(key, []).append((start, end))
    for starts in by_key.values():
        assert starts == sorted(starts)
    ends = [end for _, _, end in sorted(windows, key=lambda w: index_key(*w))]
    assert ends == sorted(ends)


@given(st.binary(max_size=4), st.binary(max_size=6))
def test_prefix_upper_bound_bounds_exactly_the_prefixed_strings(prefix: bytes, other: bytes) -> None:
    bound = prefix_upper_bound(prefix)
    in_range = prefix <= other and (bound is None or other < bound)
    assert in_range == other.startswith(prefix)
