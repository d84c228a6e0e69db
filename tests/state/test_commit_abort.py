"""The checkpoint protocol without a changelog: what reaches RocksDB and when."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state import StoreNotFound, TaskStateManager
from streamkit.state.query import get_value, read_store

APP = "app"
TASK = TaskId(0, 1)
SPECS = [StoreSpec("counts", logged=False),
         StoreSpec("windows", kind=StoreKind.WINDOW, logged=False)]


def open_manager(root: Path) -> TaskStateManager:
    # No store is logged, so the broker is never used.
    return TaskStateManager(APP, TASK, SPECS, root / APP, broker=None)  # type: ignore[arg-type]


def on_disk(root: Path) -> list[tuple[object, object]]:
    return [(e.key, e.value) for e in read_store(root, APP, "counts")]


def test_commit_writes_state_to_rocksdb_and_abort_forgets_uncommitted(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    counts = manager.get_store("counts")
    counts.put("a", 1)
    manager.commit()
    counts.put("a", 2)
    counts.put("b", 1)
    assert on_disk(tmp_path) == [("a", 1)]
    manager.abort()
    assert counts.get("a") == 1 and counts.get("b") is None
    assert list(counts.all()) == [("a", 1)]
    assert on_disk(tmp_path) == [("a", 1)]
    manager.close()


def test_a_crash_leaves_only_committed_state_on_disk(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    manager.get_store("counts").put("a", 1)
    manager.get_store("windows").put("a", 0, 10, "w")
    manager.commit()
    manager.get_store("counts").put("a", 99)
    manager.get_store("windows").put("a", 10, 20, "uncommitted")
    manager.close()  # the process dies before the next commit
    assert on_disk(tmp_path) == [("a", 1)]
    assert [(e.start, e.value) for e in get_value(tmp_path, APP, SPECS[1], "a")] == [(0, "w")]
    reopened = open_manager(tmp_path)
    assert reopened.get_store("counts").get("a") == 1
    assert list(reopened.get_store("windows").fetch("a", 0, 100)) == [(0, 10, "w")]
    reopened.close()


def test_store_directories_follow_the_layout(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    manager.close()
    assert (tmp_path / APP / "0_1" / "counts").is_dir()
    assert (tmp_path / APP / "0_1" / "windows").is_dir()


def test_unknown_store_names_say_which_exist(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    with pytest.raises(StoreNotFound, match="declared stores: counts, windows"):
        manager.get_store("cuonts")
    manager.close()


def test_a_store_opened_twice_is_refused_with_a_hint(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    with pytest.raises(Exception, match="in use by another process"):
        open_manager(tmp_path)
    manager.close()


def test_a_store_held_by_another_process_is_refused_with_a_hint(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    said = in_another_process(OPEN_IN_ANOTHER_PROCESS, tmp_path)
    manager.close()
    assert "in use by another process" in said


def test_too_many_open_files_is_not_mistaken_for_a_lock(tmp_path: Path) -> None:
    # RocksDB fails to open the LOCK file itself: its message mentions "lock" too.
    said = in_another_process(OPEN_WITH_FEW_FILES, tmp_path)
    assert "too many files open" in said and "ulimit -n" in said
    assert "in use by another process" not in said


def in_another_process(script: str, state_dir: Path) -> str:
    """What ``script`` (given ``state_dir``) printed: the error it met."""
    done = subprocess.run([sys.executable, "-c", script, str(state_dir)], check=True,
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.stdout, f"no error met: {done.stderr}"
    return done.stdout


REPO = Path(__file__).resolve().parents[2]
OPEN_IN_ANOTHER_PROCESS = """
import sys
from pathlib import Path
from tests.state.test_commit_abort import open_manager
try:
    open_manager(Path(sys.argv[1]))
except Exception as error:
    print(error)
"""
OPEN_WITH_FEW_FILES = """
import resource, sys
from pathlib import Path
from streamkit.processor import StoreSpec, TaskId
from streamkit.state.manager import open_store
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
opened = []
try:
    for n in range(100):
        opened.append(open_store(StoreSpec(f"s{n}", logged=False), Path(sys.argv[1]), TaskId(0, 0)))
except Exception as error:
    print(error)
"""


def test_query_prefix_scan_and_get(tmp_path: Path) -> None:
    manager = open_manager(tmp_path)
    counts = manager.get_store("counts")
    for key in ("user:1", "user:2", "admin"):
        counts.put(key, len(key))
    manager.commit()
    manager.close()
    assert [e.key for e in read_store(tmp_path, APP, "counts", prefix="user:")] == ["user:1", "user:2"]
    assert [e.value for e in get_value(tmp_path, APP, "counts", "admin")] == [5]
    assert get_value(tmp_path, APP, "counts", "nobody") == []
