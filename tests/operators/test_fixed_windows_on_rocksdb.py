"""Tumbling and hopping windows on the RocksDB window store (whose write-back
cache keeps committed windows) equal the brute-force reference, across
checkpoints and restarts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import window_reference as reference
from hypothesis import given, settings
from hypothesis import strategies as st
from test_windowed_aggregate_reference import check, fixed_specs, restart_points, streams
from window_harness import Harness

from operators import agg, windows


@settings(max_examples=25, deadline=None)
@given(fixed_specs(), streams, st.booleans(), restart_points)
def test_tumbling_and_hopping_on_rocksdb_match_reference(
    spec: tuple[int, int, int], records: list[Any], emit_final: bool, restarts: set[int]
) -> None:
    size, step, grace_ms = spec
    plan = windows.hopping(size, step, grace_ms).aggregate_plan(
        agg.collect(), store_name="windows", emit_final=emit_final)
    with tempfile.TemporaryDirectory() as state_dir:
        harness = Harness(plan, store="rocksdb", state_dir=Path(state_dir))
        try:
            for index, (key, record_id, timestamp) in enumerate(records):
                if index in restarts:
                    harness.restart()
                harness.send(key, record_id, timestamp)
                if index % 3 == 2:
                    harness.checkpoint()
            check(harness, reference.fixed(records, size, step, grace_ms), emit_final=emit_final)
        finally:
            harness.close()
