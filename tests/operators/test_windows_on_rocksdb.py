"""Every window kind on the RocksDB window store (whose write-back cache keeps
committed windows, and whose scans merge RocksDB iterators) equals the
brute-force reference, across checkpoints, restarts and crashes: the
properties of ``test_windowed_aggregate_reference`` on fewer streams."""

from __future__ import annotations

from hypothesis import strategies as st
from test_windowed_aggregate_reference import window_properties

(test_tumbling_and_hopping_on_rocksdb_match_reference, test_hopping_panes_on_rocksdb_match_reference,
 test_sessions_on_rocksdb_match_reference, test_sliding_windows_on_rocksdb_match_reference,
 ) = window_properties(st.just("rocksdb"), examples=150)
