"""Wait until a Kafka cluster answers a real client: ``ready.py BOOTSTRAP BROKERS TIMEOUT PID...``.

Exits 0 once ``AdminClient.list_topics`` reports BROKERS brokers, 1 if a broker
process exits first, 2 on timeout. Used by deploy/kafka/kafka.
"""

import os
import sys
import time

from confluent_kafka.admin import AdminClient


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
            if len(admin.list_topics(timeout=3).brokers) >= brokers:
                return 0
        except Exception:  # noqa: BLE001, S110 - not up yet: librdkafka raises KafkaException
            pass
        time.sleep(0.5)
    print(f"no answer from {bootstrap} within {timeout:.0f} s", file=sys.stderr)
    return 2


class _Silent:
    """A logger that drops librdkafka's connection-refused chatter while we wait."""

    def log(self, *args: object, **kwargs: object) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
