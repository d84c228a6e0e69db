"""A producer killed mid-transaction, with no successor on its transactional id,
holds ``read_committed`` readers of its partitions back only until its
transaction timeout: librdkafka's default would be a minute."""

import signal
import subprocess
import sys
import time

import pytest

from streamkit.log import TopicPartition
from streamkit.log.kafka import KafkaBroker
from tests.contract.polling import read_records

# Kafka's coordinator aborts timed-out transactions when it next looks for them
# (transaction.abort.timed.out.transaction.cleanup.interval.ms: 10 s by default,
# 1 s on deploy/kafka/kafka's broker), so a 3 s timeout frees the reader within
# 13 s; librdkafka's default of 60 s would not within this test's 45 s.
TRANSACTION_TIMEOUT_MS = 3_000
READER_DEADLINE_S = 45.0

_OPEN_AND_WAIT = """
import sys, time
from streamkit.log.kafka import KafkaBroker

url, topic, transactional_id, timeout_ms = sys.argv[1:5]
producer = KafkaBroker(url).producer(transactional_id=transactional_id,
                                     transaction_timeout_ms=int(timeout_ms))
producer.init_transactions()
producer.begin_transaction()
producer.send(topic, b"never committed", b"k", partition=0)
producer.flush()
print("open", flush=True)
time.sleep(600)
"""


@pytest.mark.kafka
def test_a_dead_producers_transaction_stops_holding_readers_back_after_its_timeout(
    kafka_bootstrap: str, topic_name: str,
) -> None:
    url = f"kafka://{kafka_bootstrap}"
    broker = KafkaBroker(url)
    topic = topic_name
    admin = broker.admin()
    admin.create_topic(topic, 1)
    reader = broker.consumer(isolation_level="read_committed")
    try:
        dying = subprocess.Popen(
            [sys.executable, "-c", _OPEN_AND_WAIT, url, topic, f"{topic}-txn",
             str(TRANSACTION_TIMEOUT_MS)],
            stdout=subprocess.PIPE, text=True)
        try:
            assert dying.stdout is not None and dying.stdout.readline().strip() == "open"
        finally:
            dying.send_signal(signal.SIGKILL)
            dying.wait()
        after = broker.producer()
        after.send(topic, b"after", b"k", partition=0)
        after.flush()
        after.close()

        tp = TopicPartition(topic, 0)
        reader.assign([tp])
        reader.seek(tp, 0)
        killed_at = time.monotonic()
        [first] = read_records(reader, 1, timeout=READER_DEADLINE_S)
        # The open transaction was aborted, not committed: its record never shows.
        assert first.value == b"after", first
        print(f"reader freed {time.monotonic() - killed_at:.1f} s after the kill")
    finally:
        reader.close()
        admin.delete_topic(topic)
        admin.close()
