"""Compaction keeps the latest value per key; retention deletes whole old segments."""

from __future__ import annotations

import time
from pathlib import Path

from streamkit.log import TopicPartition
from streamkit.log.embedded import EmbeddedBroker
from streamkit.log.embedded.segment import list_segments

from .helpers import read_all

TP = TopicPartition("t", 0)


def _broker(tmp_path: Path, config: dict[str, str]) -> EmbeddedBroker:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t", config=config)
    return broker


def test_compaction_keeps_the_latest_value_per_key_and_the_offsets(tmp_path: Path) -> None:
    broker = _broker(tmp_path, {"cleanup.policy": "compact", "segment.bytes": "1000",
                                "delete.retention.ms": "3600000"})
    producer = broker.producer()
    for version in range(5):
        for key in "abcd":
            producer.send("t", f"{key}{version}".encode(), key=key.encode())
            producer.flush()
    producer.send("t", None, key=b"d")  # tombstone, recent: kept for now
    producer.flush()
    before = read_all(broker, "t")  # rolling already compacted part of it
    assert len(before) < 21
    assert {r.key: r.value for r in before} == {b"a": b"a4", b"b": b"b4", b"c": b"c4", b"d": None}
    broker.admin().compact("t")
    after = read_all(broker, "t")
    latest = {r.key: r for r in before}
    # every key's latest record is still there, at its original offset
    assert {r.key: r for r in after} == latest
    # superseded records in closed segments are gone; the active segment is untouched
    active = list_segments(broker.topics.partition_dir("t", 0))[-1]
    for r in after:
        assert r.offset >= active or latest[r.key] == r
    assert len(after) <= len(before)
    assert broker.admin().end_offsets([TP])[TP] == 21


def test_old_tombstones_are_removed_by_compaction(tmp_path: Path) -> None:
    broker = _broker(tmp_path, {"cleanup.policy": "compact", "segment.bytes": "200",
                                "delete.retention.ms": "0"})
    producer = broker.producer()
    producer.send("t", b"v", key=b"gone")
    producer.flush()
    producer.send("t", None, key=b"gone", timestamp=int(time.time() * 1000) - 10)
    producer.flush()
    for i in range(5):
        producer.send("t", b"x" * 100, key=f"filler{i}".encode())
        producer.flush()
    broker.admin().compact("t")
    assert b"gone" not in {r.key for r in read_all(broker, "t")}


def test_retention_bytes_deletes_the_oldest_whole_segments(tmp_path: Path) -> None:
    broker = _broker(tmp_path, {"segment.bytes": "2000", "retention.bytes": "5000"})
    producer = broker.producer()
    for _ in range(100):
        producer.send("t", b"x" * 100)
        producer.flush()
    broker.admin().enforce_retention("t")
    begin = broker.admin().begin_offsets([TP])[TP]
    assert begin > 0
    records = read_all(broker, "t")
    assert [r.offset for r in records] == list(range(begin, 100))
    assert sum(len(r.value or b"") for r in records) < 5000 + 2000


def test_retention_ms_deletes_segments_of_old_records_and_readers_skip_ahead(
    tmp_path: Path,
) -> None:
    broker = _broker(tmp_path, {"segment.bytes": "1000", "retention.ms": "60000"})
    producer = broker.producer()
    old = int(time.time() * 1000) - 3_600_000
    for i in range(30):
        producer.send("t", b"x" * 100, timestamp=old + i)
        producer.flush()
    consumer = broker.consumer()
    consumer.assign([TP])
    consumer.seek(TP, 0)
    for i in range(10):
        producer.send("t", b"new" * 40)
        producer.flush()  # rolls segments, which applies retention
    assert broker.admin().begin_offsets([TP])[TP] >= 30 - 10
    records = consumer.poll_batch(1000, timeout=0.2)
    assert records and records[0].offset == broker.admin().begin_offsets([TP])[TP]
    assert broker.admin().offsets_for_time({TP: old})[TP] == records[0].offset


def test_offsets_for_time_uses_record_timestamps_across_segments(tmp_path: Path) -> None:
    broker = _broker(tmp_path, {"segment.bytes": "3000"})
    producer = broker.producer()
    for i in range(200):
        producer.send("t", b"y" * 50, timestamp=1_000 + 10 * i)
        if i % 7 == 0:
            producer.flush()
    producer.flush()
    admin = broker.admin()
    assert len(list_segments(broker.topics.partition_dir("t", 0))) > 3
    for target, expected in ((0, 0), (1_000, 0), (1_005, 1), (1_990, 99), (2_990, 199)):
        assert admin.offsets_for_time({TP: target})[TP] == expected
    assert admin.offsets_for_time({TP: 3_000})[TP] is None
