"""Reading and writing whole topics in runtime tests (no framework code involved)."""

from __future__ import annotations

import time
import uuid

import orjson

from streamkit.log import Broker, Record, TopicPartition

WAIT_S = 60.0


def unique(prefix: str) -> str:
    """A name no other test or helper sharing the broker uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def window_app_topics(broker: Broker, prefix: str, *outputs: str) -> dict[str, str]:
    """Unique names for a windowed test app (``name``, ``clicks`` and each of
    ``outputs``), with its one-partition ``clicks`` topic created."""
    name = unique(prefix)
    names = {"name": name, "clicks": f"{name}-clicks"} | {o: f"{name}-{o}" for o in outputs}
    admin = broker.admin()
    try:
        admin.create_topic(names["clicks"], 1)
    finally:
        admin.close()
    return names


def produce_json(broker: Broker, topic: str, values: list[object],
                 key: bytes | None = None) -> None:
    producer = broker.producer()
    try:
        for i, value in enumerate(values):
            producer.send(topic, orjson.dumps(value), key if key is not None else str(i).encode())
        producer.flush()
    finally:
        producer.close()


def produce_raw(broker: Broker, topic: str, value: bytes, key: bytes | None = None) -> None:
    producer = broker.producer()
    try:
        producer.send(topic, value, key)
        producer.flush()
    finally:
        producer.close()


def read_all(broker: Broker, topic: str, timeout: float = WAIT_S) -> list[Record]:
    """Every committed record of ``topic``, read up to the end offsets as of now."""
    admin = broker.admin()
    try:
        partitions = [TopicPartition(topic, p)
                      for p in range(admin.describe_topic(topic).partitions)]
        ends = admin.end_offsets(partitions)
        begins = admin.begin_offsets(partitions)
    finally:
        admin.close()
    consumer = broker.consumer(isolation_level="read_committed")
    try:
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, begins[tp])
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end within {timeout} s")
            records.extend(consumer.poll_batch(1000, 0.2))
        return records
    finally:
        consumer.close()


def json_values(records: list[Record]) -> list[object]:
    return [orjson.loads(r.value) for r in records if r.value is not None]
