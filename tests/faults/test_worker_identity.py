"""Each state directory gives its worker an id of its own, kept across restarts:
the transactional id of separate hosts differs, a restart's is the same."""

from __future__ import annotations

from pathlib import Path

from streamkit import App
from streamkit.runtime.identity import stable_worker_id
from streamkit.runtime.workers import RunConfig, worker_options


def test_a_state_directory_keeps_its_worker_id(tmp_path: Path) -> None:
    first = stable_worker_id(tmp_path / "host-a")
    assert stable_worker_id(tmp_path / "host-a") == first
    assert stable_worker_id(tmp_path / "host-b") != first


def test_workers_of_separate_runs_get_distinct_ids_and_keep_them(tmp_path: Path) -> None:
    app = App("identity")
    host_a = RunConfig("app.py", state_root=tmp_path / "a")
    host_b = RunConfig("app.py", state_root=tmp_path / "b")
    two = RunConfig("app.py", workers=2, state_root=tmp_path / "c")
    ids = [worker_options(app, host_a, 0).worker_id, worker_options(app, host_b, 0).worker_id,
           worker_options(app, two, 0).worker_id, worker_options(app, two, 1).worker_id]
    assert len(set(ids)) == 4
    assert worker_options(app, host_a, 0).worker_id == ids[0]  # a restart: same id
