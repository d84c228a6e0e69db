"""Which member of a group reads which partitions: a pure, deterministic function
every member evaluates on its own from the same inputs.

>>> assign_range({"a": ["t"], "b": ["t"]}, {"t": 3})
{'a': [TopicPartition(topic='t', partition=0), TopicPartition(topic='t', partition=1)], 'b': [TopicPartition(topic='t', partition=2)]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from streamkit.log.records import TopicPartition


def assign_range(
    subscriptions: Mapping[str, Sequence[str]], partition_counts: Mapping[str, int]
) -> dict[str, list[TopicPartition]]:
    """Kafka's range assignor: per topic, the sorted members subscribed to it
    get contiguous runs of partitions, the first ones one extra when uneven."""
    result: dict[str, list[TopicPartition]] = {m: [] for m in subscriptions}
    for topic in sorted(partition_counts):
        members = sorted(m for m, topics in subscriptions.items() if topic in topics)
        if not members:
            continue
        count = partition_counts[topic]
        per, extra = divmod(count, len(members))
        start = 0
        for i, member in enumerate(members):
            n = per + (1 if i < extra else 0)
            result[member].extend(TopicPartition(topic, p) for p in range(start, start + n))
            start += n
    return result
