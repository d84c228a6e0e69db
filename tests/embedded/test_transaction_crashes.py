"""Transactions survive crashes: an unfinished one leaves nothing, a commit
interrupted after its commit point is rolled forward exactly once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from streamkit.log import TopicPartition
from streamkit.log.embedded import EmbeddedBroker
from streamkit.log.embedded.partition_log import PartitionLog

from .helpers import child_command, child_env, read_all


def test_a_producer_killed_mid_transaction_leaves_nothing_visible(tmp_path: Path) -> None:
    url = f"embedded://{tmp_path}"
    broker = EmbeddedBroker(url)
    broker.admin().create_topic("t")
    child = subprocess.Popen(child_command("txn", url, "t", "tx"), stdout=subprocess.PIPE,
                             text=True, env=child_env())
    assert child.stdout is not None and child.stdout.readline().strip() == "sent"
    child.kill()
    child.wait()
    assert read_all(EmbeddedBroker(url), "t") == []
    successor = broker.producer(transactional_id="tx")
    successor.init_transactions()
    successor.begin_transaction()
    successor.send("t", b"committed", partition=0)
    successor.commit_transaction()
    assert [r.value for r in read_all(broker, "t")] == [b"committed"]


def test_a_commit_interrupted_after_its_intent_is_rolled_forward_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"embedded://{tmp_path}"
    broker = EmbeddedBroker(url)
    broker.admin().create_topic("a", partitions=1)
    broker.admin().create_topic("b", partitions=1)
    producer = broker.producer(transactional_id="tx")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("a", b"1", partition=0)
    producer.send("b", b"2", partition=0)
    consumer = broker.consumer(group_id="g")
    producer.send_offsets_to_transaction({TopicPartition("in", 0): 42}, consumer.group_metadata(),
                                         metadata={TopicPartition("in", 0): "m"})

    original = PartitionLog.append
    calls = []

    def crash_after_first_partition(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(self.directory)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash between partitions")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PartitionLog, "append", crash_after_first_partition)
    with pytest.raises(KeyboardInterrupt):
        producer.commit_transaction()
    monkeypatch.setattr(PartitionLog, "append", original)
    ends = broker.admin().end_offsets([TopicPartition("a", 0), TopicPartition("b", 0)])
    assert sum(ends.values()) == 1  # half applied when the committer "died"

    reopened = EmbeddedBroker(url)  # opening the log (or any consumer poll) finishes it
    assert [r.value for r in read_all(reopened, "a")] == [b"1"]
    assert [r.value for r in read_all(reopened, "b")] == [b"2"]
    assert reopened.admin().group_offsets("g") == {TopicPartition("in", 0): 42}
    assert reopened.consumer(group_id="g").committed_metadata([TopicPartition("in", 0)]) == {
        TopicPartition("in", 0): "m"}
    EmbeddedBroker(url)  # a second roll-forward finds nothing to do
    assert len(read_all(reopened, "a")) == 1


def test_a_fenced_producer_cannot_commit(tmp_path: Path) -> None:
    from streamkit.log.errors import ProducerFenced

    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("t")
    old = broker.producer(transactional_id="tx")
    old.init_transactions()
    old.begin_transaction()
    old.send("t", b"zombie")
    new = broker.producer(transactional_id="tx")
    new.init_transactions()
    with pytest.raises(ProducerFenced):
        old.commit_transaction()
    assert read_all(broker, "t") == []


def test_offsets_of_a_revoked_partition_abort_the_transaction(tmp_path: Path) -> None:
    from streamkit.log.errors import TransactionAborted

    broker = EmbeddedBroker(f"embedded://{tmp_path}")
    broker.admin().create_topic("in")
    broker.admin().create_topic("out")
    consumer = broker.consumer(group_id="g")
    consumer.subscribe(["in"])
    consumer.poll_batch(timeout=0.3)
    assert consumer.assignment() == [TopicPartition("in", 0)]
    producer = broker.producer(transactional_id="tx")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send("out", b"x")
    producer.send_offsets_to_transaction({TopicPartition("in", 0): 1}, consumer.group_metadata())
    consumer.close()  # loses the partition before the commit
    with pytest.raises(TransactionAborted):
        producer.commit_transaction()
    assert read_all(broker, "out") == []
