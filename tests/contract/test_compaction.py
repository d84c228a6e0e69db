"""Contract: a compacted topic keeps, after compaction, only the latest value of each key.

Both backends compact closed segments only, so the test gives the topic a tiny
``segment.ms`` and keeps appending filler records (with keys of their own) to roll
segments until compaction has run. Kafka also needs ``min.cleanable.dirty.ratio``
low so its cleaner picks the log at all.
"""

import itertools
import time

from streamkit.log import Broker, TopicPartition

from .polling import read_until_quiet, wait_for

COMPACTED = {
    "cleanup.policy": "compact",
    "segment.ms": "100",
    "min.cleanable.dirty.ratio": "0.001",
    "min.compaction.lag.ms": "0",
    "delete.retention.ms": "100",
}


def test_compaction_keeps_the_latest_value_per_key(broker: Broker, topic_name: str) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name, partitions=1, config=COMPACTED)
    producer = broker.producer()
    for version in range(3):
        for key in ("a", "b", "c"):
            producer.send(topic_name, f"{key}{version}".encode(), key=key.encode())
    producer.flush()
    fillers = itertools.count()

    def values_per_key() -> dict[bytes, list[bytes | None]]:
        reader = broker.consumer()
        reader.assign([TopicPartition(topic_name, 0)])
        records = read_until_quiet(reader, quiet_s=0.5)
        reader.close()
        seen: dict[bytes, list[bytes | None]] = {}
        for record in records:
            if record.key in (b"a", b"b", b"c"):
                seen.setdefault(record.key, []).append(record.value)
        return seen

    def roll_a_segment() -> None:
        time.sleep(0.3)  # longer than segment.ms, so the next append rolls
        producer.send(topic_name, b"filler", key=f"filler-{next(fillers)}".encode())
        producer.flush()

    wait_for(lambda: values_per_key() == {b"a": [b"a2"], b"b": [b"b2"], b"c": [b"c2"]},
             "compaction to drop the superseded values", timeout=90, between=roll_a_segment)
