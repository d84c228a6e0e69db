"""A partition with nothing committed starts where ``auto.offset.reset`` says,
and the Kafka consumer asks the broker where that is at assignment, in one
request for all such partitions, so that it knows the partition's position (and
lag) before the partition returns a record. A partition whose records have all
been deleted returns none, and would otherwise hold a worker's other partitions
back for ``order_wait_ms`` (see streamkit/runtime/loop/input_order.py)."""

import runpy
import threading
from pathlib import Path

import orjson
import pytest

from streamkit.log import TopicPartition
from streamkit.log.errors import TopicNotFound
from streamkit.log.kafka import KafkaBroker
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from tests.contract.polling import wait_for
from tests.kafka.counting import CountingCalls
from tests.runtime.logs import json_values, read_all
from tests.runtime.test_backlog_order import PAGE_VIEWS, START_MS, page_views_topics
from tests.runtime.threads import run_worker


@pytest.mark.kafka
def test_a_new_member_knows_where_each_uncommitted_partition_starts(
        kafka_bootstrap: str, topic_name: str) -> None:
    broker = KafkaBroker(f"kafka://{kafka_bootstrap}")
    broker.admin().create_topic(topic_name, partitions=3)
    deleted, filled, empty = (TopicPartition(topic_name, p) for p in range(3))
    producer = broker.producer()
    for partition, count in ((0, 5), (1, 3)):
        for i in range(count):
            producer.send(topic_name, str(i).encode(), partition=partition)
    producer.flush()
    producer.close()
    broker.admin().delete_records({deleted: 5})  # partition 0 now starts, and ends, at 5

    consumer = broker.consumer(group_id=f"{topic_name}-group", auto_offset_reset="earliest")
    counting = consumer._consumer = CountingCalls(consumer._consumer, "offsets_for_times")  # type: ignore[attr-defined]
    consumer.subscribe([topic_name])
    read: list[bytes | None] = []

    def caught_up() -> bool:
        read.extend(r.value for r in consumer.poll_batch(max_records=10, timeout=0.1))
        return len(consumer.assignment()) == 3 and len(read) == 3 and all(
            consumer.fetch_lag(tp) == 0 for tp in (deleted, filled, empty))

    wait_for(caught_up, "every partition to be known caught up", 30.0)
    assert read == [b"0", b"1", b"2"]
    assert consumer.position(deleted) == 5
    assert counting.calls == 1  # one request for the three partitions
    consumer.close()


@pytest.mark.kafka
def test_a_partition_whose_records_were_all_deleted_holds_a_new_app_back_for_nothing(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    """The page-views app merges its input partitions by event time. Partition 3
    of its clicks had records, all deleted: it returns none. With an hour to wait
    for lagging partitions, the app must still count the other partitions'
    clicks at once, since it knows partition 3 has nothing to read."""
    broker = KafkaBroker(f"kafka://{kafka_bootstrap}")
    names = page_views_topics(broker, "deleted")
    producer = broker.producer()
    for i in range(300):  # 30 s of clicks over partitions 0-2; then 10 in partition 3
        ts = START_MS + i * 100
        producer.send(names["clicks"], orjson.dumps({"page": "/a", "ts": ts}), None, i % 3, ts)
    for i in range(10):
        producer.send(names["clicks"], orjson.dumps({"page": "/a", "ts": START_MS}), None, 3,
                      START_MS)
    producer.flush()
    producer.close()
    broker.admin().delete_records({TopicPartition(names["clicks"], 3): 10})
    app = runpy.run_path(str(PAGE_VIEWS))["build"](**names, commit_interval_ms=200)
    options = WorkerOptions(state_dir=tmp_path / "state", commit_interval_ms=200,
                            order_wait_ms=3_600_000)
    stop, failures = threading.Event(), []

    def counted() -> int:
        try:
            views = json_values(read_all(broker, names["page_views"]))
        except TopicNotFound:  # the worker has not created it yet
            return 0
        return sum(v["count"] for v in views)  # type: ignore[index]

    thread = run_worker(Worker(app, broker, options), failures, stop)
    try:
        # The windows up to 20 s close (stream time 29.9 s, grace 2 s): 200 clicks.
        wait_for(lambda: failures or counted() == 200,
                 "the first two windows' 200 clicks to be counted", 60.0)
    finally:
        stop.set()
        thread.join(30)
    assert failures == []
