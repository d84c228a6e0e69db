"""Child programs the multi-process tests run and kill.

``produce DIR TOPIC NAME``: flush small batches forever; after each flush print
``acked NAME FIRST LAST`` (the sequence numbers now acknowledged).

``member DIR TOPIC GROUP``: join the group, print ``assigned``/``revoked`` lines
and ``got KEY`` for each record, committing after each batch.

``txn DIR TOPIC ID``: open a transaction, send, print ``sent`` and wait to be killed.
"""

from __future__ import annotations

import sys
import time

from streamkit.log.embedded import EmbeddedBroker


def produce(directory: str, topic: str, name: str) -> None:
    producer = EmbeddedBroker(directory).producer()
    seq = 0
    while True:
        first = seq
        for _ in range(1 + seq % 37):
            producer.send(topic, f"{name}:{seq}".encode() * 3, key=f"{name}:{seq}".encode(),
                          partition=0)
            seq += 1
        producer.flush()
        print(f"acked {name} {first} {seq - 1}", flush=True)


def member(directory: str, topic: str, group: str) -> None:
    consumer = EmbeddedBroker(directory).consumer(group_id=group)

    def show(kind: str):  # type: ignore[no-untyped-def]
        def callback(partitions: list) -> None:  # type: ignore[type-arg]
            if kind == "revoked":
                consumer.commit({tp: consumer.position(tp) for tp in partitions})
            print(kind, " ".join(f"{tp.topic}:{tp.partition}" for tp in partitions), flush=True)
        return callback

    consumer.subscribe([topic], on_assign=show("assigned"), on_revoke=show("revoked"))
    while True:
        records = consumer.poll_batch(50, timeout=0.2)
        for record in records:
            print("got", record.key.decode(), flush=True)  # type: ignore[union-attr]
        if records:
            consumer.commit()
            time.sleep(0.01)  # slow enough that a kill lands mid-stream


def txn(directory: str, topic: str, transactional_id: str) -> None:
    producer = EmbeddedBroker(directory).producer(transactional_id=transactional_id)
    producer.init_transactions()
    producer.begin_transaction()
    for i in range(100):
        producer.send(topic, b"uncommitted", key=str(i).encode())
    producer.flush()
    print("sent", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    {"produce": produce, "member": member, "txn": txn}[sys.argv[1]](*sys.argv[2:])
