"""The embedded consumer shares each batch among the partitions that have records.

Filling a batch from one partition before the next let the first in line run ahead
of the others: after a re-key, records of the partitions left behind reached their
windows behind stream time and were dropped as late (benchmark B2 counted a quarter
of its inputs).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from streamkit.log import TopicPartition
from streamkit.log.embedded import EmbeddedBroker


def _broker_with(tmp_path: Path, records_per_partition: list[int]) -> EmbeddedBroker:
    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t", partitions=len(records_per_partition))
    producer = broker.producer()
    for partition, count in enumerate(records_per_partition):
        for i in range(count):
            producer.send("t", b"v%d" % i, partition=partition)
    producer.flush()
    return broker


def _partitions_of_batches(broker: EmbeddedBroker, partitions: int, batch: int) -> list[Counter[int]]:
    consumer = broker.consumer()
    tps = [TopicPartition("t", p) for p in range(partitions)]
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, 0)
    batches = []
    while records := consumer.poll_batch(batch, timeout=0.2):
        offsets: dict[int, list[int]] = {}
        for record in records:
            offsets.setdefault(record.partition, []).append(record.offset)
        for partition, seen in offsets.items():  # each partition's records in order
            assert seen == list(range(seen[0], seen[0] + len(seen))), partition
        batches.append(Counter(record.partition for record in records))
    consumer.close()
    return batches


def test_a_batch_takes_an_even_share_of_every_partition_with_records(tmp_path: Path) -> None:
    broker = _broker_with(tmp_path, [1000, 1000, 1000, 1000])
    batches = _partitions_of_batches(broker, 4, 100)
    assert sum(sum(b.values()) for b in batches) == 4000
    assert all(b == Counter({0: 25, 1: 25, 2: 25, 3: 25}) for b in batches)
    broker.close()


def test_what_a_short_partition_leaves_goes_to_the_others(tmp_path: Path) -> None:
    broker = _broker_with(tmp_path, [5, 1000, 1000, 0])
    first, *rest = _partitions_of_batches(broker, 4, 100)
    assert sum(first.values()) == 100  # the batch is full
    assert first[0] == 5 and abs(first[1] - first[2]) <= 1
    assert sum(sum(b.values()) for b in rest) == 2005 - 100
    broker.close()
