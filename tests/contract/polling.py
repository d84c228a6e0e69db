"""Bounded waiting for the contract tests: poll until a condition holds or fail clearly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from streamkit.log import Broker, Consumer, Record, TopicPartition

WAIT_S = 60.0
T = TypeVar("T")


def read_records(consumer: Consumer, count: int, timeout: float = WAIT_S) -> list[Record]:
    """Poll until ``count`` records arrived; fail (not hang) if they do not."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    while len(records) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"got {len(records)} of {count} records within {timeout} s")
        records.extend(consumer.poll_batch(max_records=count - len(records), timeout=0.5))
    return records


def send_batch_and_read_back(broker: Broker, topic: str, partition: int, partitions: int,
                             batch: list[tuple[bytes | None, bytes | None]]) -> list[Record]:
    """Send ``batch`` to one partition with ``send_batch`` (it must accept it all),
    flush, and read back as many records from all of the topic's partitions."""
    producer = broker.producer()
    assert producer.send_batch(topic, partition, batch) == len(batch)
    producer.flush(30)
    producer.close()
    consumer = broker.consumer()
    consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
    records = read_records(consumer, len(batch))
    consumer.close()
    return records


def read_until_quiet(consumer: Consumer, quiet_s: float = 2.0) -> list[Record]:
    """Poll until no record arrives for ``quiet_s`` seconds."""
    records: list[Record] = []
    while batch := consumer.poll_batch(max_records=1000, timeout=quiet_s):
        records.extend(batch)
    return records


def wait_for(condition: Callable[[], T], what: str, timeout: float = WAIT_S,
             between: Callable[[], object] = lambda: time.sleep(0.2),
             detail: Callable[[], str] = str) -> T:
    """Call ``between`` until ``condition()`` returns something truthy, and return
    it; fail naming ``what`` (and ``detail()``, say a process's log) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{detail()}")
        between()
    return result
