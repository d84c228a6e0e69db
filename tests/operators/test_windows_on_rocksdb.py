"""Every window kind on the RocksDB window store (whose write-back cache keeps
committed windows, and whose scans merge RocksDB iterators) equals the
brute-force reference, across checkpoints, restarts and crashes: the
properties of ``test_windowed_aggregate_reference`` on fewer streams."""

from __future__ import annotations

from hypothesis import strategies as st
from test_windowed_aggregate_reference import (
    FIXED,
    GAPS,
    searched,
    sessions_match_reference,
    sliding_windows_match_reference,
    tumbling_and_hopping_match_reference,
)

ROCKSDB = st.just("rocksdb")
EXAMPLES = 150

test_tumbling_and_hopping_on_rocksdb_match_reference = searched(
    tumbling_and_hopping_match_reference, *FIXED, ROCKSDB, examples=EXAMPLES)
test_sessions_on_rocksdb_match_reference = searched(
    sessions_match_reference, *GAPS, ROCKSDB, examples=EXAMPLES)
test_sliding_windows_on_rocksdb_match_reference = searched(
    sliding_windows_match_reference, *GAPS, ROCKSDB, examples=EXAMPLES)
