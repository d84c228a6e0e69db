"""Seeded inputs the fault tests feed while they kill the app, and what the app
must output for them."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import orjson

from streamkit.log import Broker, Producer, open_broker


def keyed_inputs(seed: int, count: int, keys: int) -> list[dict[str, object]]:
    """``count`` inputs ``{"k": key, "i": i}`` over ``keys`` keys, drawn by ``seed``."""
    rng = random.Random(seed)
    return [{"k": f"key-{rng.randrange(keys)}", "i": i} for i in range(count)]


def expected_counts(inputs: list[dict[str, object]]) -> dict[str, int]:
    """The final count per key a reference run computes."""
    return dict(Counter(str(value["k"]) for value in inputs))


def produce_values(broker: Broker, topic: str, values: list[dict[str, object]],
                   partition: int | None = None) -> None:
    """Send ``values`` (json) keyed by their ``i``, spread over the partitions (or all
    to ``partition``)."""
    producer = broker.producer()
    try:
        send_values(producer, topic, values, partition)
    finally:
        producer.close()


def send_values(producer: Producer, topic: str, values: list[dict[str, object]],
                partition: int | None = None) -> None:
    """:func:`produce_values` with a producer the caller keeps for many calls (a
    Kafka producer takes a tenth of a second to set up)."""
    for value in values:
        producer.send(topic, orjson.dumps(value), str(value.get("i", "")).encode(),
                      partition=partition)
    producer.flush()


class Feeder(threading.Thread):
    """Produces inputs in small batches while the app is being killed, so kills
    land in the middle of work."""

    def __init__(self, broker_url: str, topic: str, values: list[dict[str, object]],
                 batch: int, pause_s: float, partition: int | None = None) -> None:
        super().__init__(name="feeder", daemon=True)
        self.broker_url, self.topic, self.values = broker_url, topic, values
        self.batch, self.pause_s, self.partition = batch, pause_s, partition
        self.error: BaseException | None = None

    def run(self) -> None:
        broker = open_broker(self.broker_url)
        producer = None
        try:
            producer = broker.producer()
            for start in range(0, len(self.values), self.batch):
                send_values(producer, self.topic, self.values[start:start + self.batch],
                            self.partition)
                time.sleep(self.pause_s)
        except BaseException as error:  # noqa: BLE001 - reported by finish()
            self.error = error
        finally:
            if producer is not None:
                producer.close()
            broker.close()

    def finish(self, timeout_s: float = 300.0) -> None:
        """Wait until everything is produced; re-raise the feeder's failure."""
        self.join(timeout_s)
        assert not self.is_alive(), "the feeder did not finish producing"
        if self.error is not None:
            raise self.error
