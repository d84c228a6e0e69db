"""Wait until a Kafka cluster answers a real client: ``ready.py BOOTSTRAP BROKERS TIMEOUT PID...``.

Exits 0 once ``AdminClient.list_topics`` reports BROKERS brokers and the group and
transaction coordinators answer, 1 if a broker process exits first, 2 on timeout.
Used by deploy/kafka/kafka.

A new cluster creates ``__consumer_offsets`` and ``__transaction_state`` on first
use. Until their coordinators have loaded, a consumer with a group (streamkit's
always have one) may wait half a minute before it fetches anything, and on a busy
machine the first test to read a topic then found it empty. Asking both
coordinators here, once, makes "ready" mean ready for every client.
"""

import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

PROBE = "streamkit-ready-probe"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) still answers kill(0): look at its state.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def main() -> int:
    bootstrap, brokers, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    pids = [int(p) for p in sys.argv[4:]]
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, "logger": _Silent()})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p for p in pids if not _alive(p)]
        if dead:
            print(f"broker process {dead[0]} exited before answering", file=sys.stderr)
            return 1
        try:
            if len(admin.list_topics(timeout=3).brokers) >= brokers and _coordinators_answer(
                    bootstrap):
                return 0
        except Exception:  # noqa: BLE001, S110 - not up yet: librdkafka raises KafkaException
            pass
        time.sleep(0.5)
    print(f"no answer from {bootstrap} within {timeout:.0f} s", file=sys.stderr)
    return 2


def _coordinators_answer(bootstrap: str) -> bool:
    """Whether the group coordinator answers an offset fetch and the transaction
    coordinator a transactional producer's registration (each within 5 s)."""
    quiet = {"bootstrap.servers": bootstrap, "log_level": 0, "logger": _Silent()}
    consumer = Consumer(quiet | {"group.id": PROBE})
    try:
        consumer.committed([TopicPartition(PROBE, 0)], timeout=5)
    except KafkaException:
        return False
    finally:
        consumer.close()
    producer = Producer(quiet | {"transactional.id": PROBE})
    try:
        producer.init_transactions(5)
    except KafkaException:
        return False
    return True


class _Silent:
    """A logger that drops librdkafka's connection-refused chatter while we wait."""

    def log(self, *args: object, **kwargs: object) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
