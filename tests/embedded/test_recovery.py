"""Crash recovery: damage anywhere keeps every whole batch before it, and
corrupt bytes are never returned to a reader."""

import logging
import os
import random
from pathlib import Path

import pytest

from streamkit.log.embedded import EmbeddedBroker
from streamkit.log.embedded.partition_log import LogConfig, PartitionLog
from streamkit.log.embedded.segment import list_segments, segment_path

from .helpers import read_all


def _write_batches(broker: EmbeddedBroker, topic: str, batches: int) -> list[tuple[int, int]]:
    """One flush per batch; the (position, end position) of each batch."""
    producer = broker.producer()
    for b in range(batches):
        for i in range(random.randint(1, 20)):
            producer.send(topic, b"v" * random.randint(0, 300), key=f"{b}-{i}".encode(),
                          partition=0)
        producer.flush()
    producer.close()
    directory = broker.topics.partition_dir(topic, 0)
    path = segment_path(directory, list_segments(directory)[0])
    bounds, pos = [], 0
    raw = Path(path).read_bytes()
    while pos < len(raw):
        length = int.from_bytes(raw[pos + 4 : pos + 8], "little")
        bounds.append((pos, pos + length))
        pos += length
    return bounds


def _recover(broker: EmbeddedBroker, topic: str) -> None:
    PartitionLog(broker.topics.partition_dir(topic, 0), LogConfig()).recover()


@pytest.mark.parametrize("seed", range(12))
def test_recovery_after_a_random_byte_flip_keeps_every_batch_before_it(
    tmp_path: Path, seed: int, caplog: pytest.LogCaptureFixture
) -> None:
    random.seed(seed)
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t")
    bounds = _write_batches(broker, "t", 8)
    expected = read_all(broker, "t")
    directory = broker.topics.partition_dir("t", 0)
    path = segment_path(directory, 0)
    size = os.path.getsize(path)
    damaged_at = random.randrange(size)
    with open(path, "r+b") as f:
        f.seek(damaged_at)
        byte = f.read(1)
        f.seek(damaged_at)
        f.write(bytes([byte[0] ^ (1 << random.randrange(8))]))

    with caplog.at_level(logging.WARNING, logger="streamkit.log.embedded"):
        _recover(broker, "t")
    whole_before = [b for b in bounds if b[1] <= damaged_at]
    survivors = read_all(broker, "t")
    assert os.path.getsize(path) == (whole_before[-1][1] if whole_before else 0)
    assert survivors == expected[: sum(_COUNTS[b] for b in whole_before)]
    assert "truncating" in caplog.text

    # the log keeps working after recovery: the next record follows the survivors
    producer = broker.producer()
    producer.send("t", b"after", partition=0)
    producer.flush()
    assert read_all(broker, "t")[-1].offset == len(survivors)


# records per batch, keyed by the batch's (position, end position), recorded as written
_COUNTS: dict[tuple[int, int], int] = {}


@pytest.fixture(autouse=True)
def _collect_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    _COUNTS.clear()
    from streamkit.log.embedded import partition_log

    original = partition_log.PartitionLog._write_locked

    def spy(self, pending):  # type: ignore[no-untyped-def]
        for pos, header, data in pending:
            _COUNTS[(pos, pos + len(data))] = header.record_count
        return original(self, pending)

    monkeypatch.setattr(partition_log.PartitionLog, "_write_locked", spy)


@pytest.mark.parametrize("seed", range(8))
def test_recovery_after_truncation_keeps_every_whole_batch(tmp_path: Path, seed: int) -> None:
    random.seed(100 + seed)
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t")
    bounds = _write_batches(broker, "t", 6)
    expected = read_all(broker, "t")
    path = segment_path(broker.topics.partition_dir("t", 0), 0)
    cut = random.randrange(os.path.getsize(path))
    os.truncate(path, cut)
    _recover(broker, "t")
    kept = [b for b in bounds if b[1] <= cut]
    survivors = read_all(broker, "t")
    assert survivors == expected[: sum(_COUNTS[b] for b in kept)]


def test_a_reader_never_returns_a_corrupt_batch_before_recovery(tmp_path: Path) -> None:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t")
    bounds = _write_batches(broker, "t", 3)
    path = segment_path(broker.topics.partition_dir("t", 0), 0)
    second_start = bounds[1][0]
    with open(path, "r+b") as f:
        f.seek(second_start + 60)
        f.write(b"\xff\xfe")
    from streamkit.log.embedded.reader import CorruptLog

    consumer = broker.consumer()
    from streamkit.log import TopicPartition

    consumer.assign([TopicPartition("t", 0)])
    first = consumer.poll_batch(10_000, timeout=0.1)
    assert len(first) == _COUNTS[bounds[0]]
    with pytest.raises(CorruptLog, match="recovery"):
        consumer.poll_batch(10_000, timeout=0.1)


def test_damage_in_an_early_segment_drops_the_later_segments(tmp_path: Path) -> None:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t", config={"segment.bytes": "2000"})
    producer = broker.producer()
    for i in range(60):
        producer.send("t", b"x" * 100, partition=0)
        producer.flush()
    directory = broker.topics.partition_dir("t", 0)
    bases = list_segments(directory)
    assert len(bases) > 3
    with open(segment_path(directory, bases[1]), "r+b") as f:
        f.seek(10)
        f.write(b"\x00\x00")
    _recover(broker, "t")
    assert list_segments(directory) == bases[:2]
    assert [r.offset for r in read_all(broker, "t")] == list(range(bases[1]))
