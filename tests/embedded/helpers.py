"""Shared helpers for the embedded-log tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from streamkit.log import Record, TopicPartition
from streamkit.log.embedded import EmbeddedBroker

CHILDREN = Path(__file__).with_name("children.py")


def read_all(broker: EmbeddedBroker, topic: str, partition: int = 0) -> list[Record]:
    """Every record of one partition, from its first offset to its end."""
    consumer = broker.consumer()
    tp = TopicPartition(topic, partition)
    consumer.assign([tp])
    end = broker.admin().end_offsets([tp])[tp]
    records: list[Record] = []
    while True:
        batch = consumer.poll_batch(10_000, timeout=0.05)
        if not batch:
            break
        records.extend(batch)
        if records[-1].offset + 1 >= end:
            break
    consumer.close()
    return records


def child_command(*args: str) -> list[str]:
    """argv running one of the child programs in children.py."""
    return [sys.executable, str(CHILDREN), *args]


def child_env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
