"""Changelogs and restore against both log backends (embedded and Kafka)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from streamkit.log import Broker, TopicPartition
from streamkit.processor import StoreKind, StoreSpec, TaskId
from streamkit.state import TaskStateManager, changelog_topic, ensure_changelog_topics
from streamkit.state.query import changelog_offsets

TASK = TaskId(0, 1)
PARTITIONS = 2
SPECS = [StoreSpec("counts"), StoreSpec("windows", kind=StoreKind.WINDOW, retention_ms=10**9)]


def new_app(broker: Broker, specs: list[StoreSpec] = SPECS) -> str:
    app = f"app-{uuid.uuid4().hex[:10]}"
    admin = broker.admin()
    ensure_changelog_topics(admin, app, specs, PARTITIONS)
    admin.close()
    return app


def open_manager(broker: Broker, app: str, root: Path, specs: list[StoreSpec] = SPECS) -> TaskStateManager:
    return TaskStateManager(app, TASK, specs, root / app, broker)


def checkpoint(manager: TaskStateManager, broker: Broker) -> None:
    """An at-least-once checkpoint: changelog, flush, then commit local state."""
    producer = broker.producer()
    manager.write_changelog(producer)
    producer.flush(30)
    producer.close()
    manager.commit()


def snapshot(manager: TaskStateManager) -> tuple[list[object], list[object]]:
    return (list(manager.get_store("counts").all()),
            list(manager.get_store("windows").windows_ending_by(10**12)))


def fill(manager: TaskStateManager, keys: range, value: int) -> None:
    counts, windows = manager.get_store("counts"), manager.get_store("windows")
    for i in keys:
        counts.put(f"k{i}", value)
        windows.put(f"k{i}", i, i + 10, value)


def test_ensure_changelog_topics_creates_compacted_topics_once(broker: Broker) -> None:
    app = new_app(broker)
    admin = broker.admin()
    try:
        description = admin.describe_topic(changelog_topic(app, "counts"))
        assert description.partitions == PARTITIONS
        assert description.compacted
        assert ensure_changelog_topics(admin, app, SPECS, PARTITIONS) == []
    finally:
        admin.close()


def test_restore_rebuilds_a_wiped_store_and_a_clean_restart_replays_nothing(
        broker: Broker, tmp_path: Path) -> None:
    app = new_app(broker)
    manager = open_manager(broker, app, tmp_path)
    assert manager.restore() == 0
    fill(manager, range(20), 1)
    checkpoint(manager, broker)
    fill(manager, range(10), 2)  # overwrite half: the changelog holds both versions
    manager.get_store("counts").delete("k19")
    checkpoint(manager, broker)
    expected = snapshot(manager)
    manager.close()

    reopened = open_manager(broker, app, tmp_path)
    assert reopened.restore() == 0  # clean stop: the local offset is the changelog's end
    assert snapshot(reopened) == expected
    reopened.close()

    shutil.rmtree(tmp_path / app)
    rebuilt = open_manager(broker, app, tmp_path)
    assert rebuilt.restore() > 0
    assert snapshot(rebuilt) == expected
    rebuilt.close()


def test_after_a_crash_only_the_changelog_tail_is_replayed(broker: Broker, tmp_path: Path) -> None:
    app = new_app(broker)
    manager = open_manager(broker, app, tmp_path)
    manager.restore()
    fill(manager, range(30), 1)
    checkpoint(manager, broker)
    fill(manager, range(5), 2)
    producer = broker.producer()
    manager.write_changelog(producer)  # the changelog got the writes...
    producer.flush(30)
    producer.close()
    expected = snapshot(manager)
    manager.close()  # ...but the process died before commit()

    reopened = open_manager(broker, app, tmp_path)
    assert reopened.get_store("counts").get("k0") == 1  # disk has only committed state
    assert reopened.restore() == 10  # 5 counts + 5 windows
    assert snapshot(reopened) == expected
    reopened.close()


def test_aborted_transactions_are_not_restored(broker: Broker, tmp_path: Path) -> None:
    app = new_app(broker)
    manager = open_manager(broker, app, tmp_path)
    manager.restore()
    producer = broker.producer(transactional_id=f"{app}-tx")
    producer.init_transactions()
    producer.begin_transaction()
    fill(manager, range(3), 1)
    manager.write_changelog(producer)
    producer.commit_transaction()
    manager.commit()
    producer.begin_transaction()
    fill(manager, range(3), 2)
    manager.write_changelog(producer)
    producer.flush(30)
    producer.abort_transaction()
    manager.abort()
    expected = snapshot(manager)
    assert manager.get_store("counts").get("k0") == 1
    producer.close()
    manager.close()

    shutil.rmtree(tmp_path / app)
    rebuilt = open_manager(broker, app, tmp_path)
    rebuilt.restore()
    assert snapshot(rebuilt) == expected
    rebuilt.close()


def test_a_recreated_changelog_wipes_local_state(broker: Broker, tmp_path: Path) -> None:
    specs = [StoreSpec("counts")]
    app = new_app(broker, specs)
    manager = open_manager(broker, app, tmp_path, specs)
    manager.restore()
    for i in range(10):
        manager.get_store("counts").put(f"k{i}", i)
    checkpoint(manager, broker)
    manager.close()
    admin = broker.admin()
    admin.delete_topic(changelog_topic(app, "counts"))
    ensure_changelog_topics(admin, app, specs, PARTITIONS)
    admin.close()

    reopened = open_manager(broker, app, tmp_path, specs)
    assert reopened.restore() == 0
    assert list(reopened.get_store("counts").all()) == []  # local offset 10 > end 0
    reopened.close()


def test_an_in_memory_logged_store_is_rebuilt_from_its_changelog(broker: Broker, tmp_path: Path) -> None:
    specs = [StoreSpec("counts", persistent=False)]
    app = new_app(broker, specs)
    manager = open_manager(broker, app, tmp_path, specs)
    manager.restore()
    manager.get_store("counts").put("a", 1)
    manager.get_store("counts").put("b", 2)
    checkpoint(manager, broker)
    manager.get_store("counts").delete("a")
    checkpoint(manager, broker)
    manager.close()
    assert not (tmp_path / app / str(TASK) / "counts").exists()

    reopened = open_manager(broker, app, tmp_path, specs)
    assert reopened.restore() == 3
    assert list(reopened.get_store("counts").all()) == [("b", 2)]
    reopened.close()


def test_commit_stores_the_changelog_end_offset(broker: Broker, tmp_path: Path) -> None:
    specs = [StoreSpec("counts")]
    app = new_app(broker, specs)
    manager = open_manager(broker, app, tmp_path, specs)
    manager.restore()
    manager.get_store("counts").put("a", 1)
    manager.get_store("counts").put("a", 2)  # one record per key per checkpoint
    manager.get_store("counts").put("b", 1)
    checkpoint(manager, broker)
    manager.close()
    admin = broker.admin()
    partition = TopicPartition(changelog_topic(app, "counts"), TASK.partition)
    end = admin.end_offsets([partition])[partition]
    admin.close()
    assert end == 2
    assert changelog_offsets(tmp_path, app, "counts") == {TASK: 2}


def test_a_restart_after_an_aborted_tail_keeps_committed_state(broker: Broker, tmp_path: Path) -> None:
    specs = [StoreSpec("counts")]
    app = new_app(broker, specs)
    manager = open_manager(broker, app, tmp_path, specs)
    manager.restore()
    producer = broker.producer(transactional_id=f"{app}-tx")
    producer.init_transactions()
    producer.begin_transaction()
    manager.get_store("counts").put("a", 1)
    manager.write_changelog(producer)
    producer.commit_transaction()
    manager.commit()
    producer.begin_transaction()
    manager.get_store("counts").put("a", 2)
    manager.write_changelog(producer)
    producer.flush(30)
    producer.abort_transaction()  # what fencing does to a crashed worker's transaction
    producer.close()
    manager.close()  # the worker died before commit()

    reopened = open_manager(broker, app, tmp_path, specs)
    assert reopened.restore() == 0
    assert reopened.get_store("counts").get("a") == 1
    reopened.close()
