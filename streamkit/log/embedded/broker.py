"""The embedded log backend: a durable, segmented log in a local directory."""

from __future__ import annotations

import os

from streamkit.log.broker import AutoOffsetReset, IsolationLevel
from streamkit.log.embedded.admin import EmbeddedAdmin
from streamkit.log.embedded.consumer import EmbeddedConsumer
from streamkit.log.embedded.partition_log import LogConfig, PartitionLog
from streamkit.log.embedded.producer import EmbeddedProducer
from streamkit.log.embedded.topics import TopicStore
from streamkit.log.embedded.transactions import TransactionCoordinator
from streamkit.log.errors import InvalidBrokerUrl
from streamkit.log.records import TopicPartition


class EmbeddedBroker:
    """A :class:`~streamkit.log.broker.Broker` over ``embedded://PATH``.

    Opening it finishes any transaction commit a dead producer left half done.
    Any number of processes on this machine may open the same directory.

    >>> import tempfile
    >>> broker = EmbeddedBroker("embedded://" + tempfile.mkdtemp())
    >>> broker.admin().create_topic("orders", partitions=2)
    >>> broker.admin().list_topics()
    ['orders']
    """

    def __init__(self, url: str) -> None:
        path = url.removeprefix("embedded://")
        if not path:
            raise InvalidBrokerUrl("embedded:// needs a directory, e.g. embedded://./.streamkit")
        self.root = os.path.abspath(path)
        self.url = "embedded://" + self.root
        os.makedirs(self.root, exist_ok=True)
        self.topics = TopicStore(self.root)
        self.transactions = TransactionCoordinator(self.root, self.topics)
        self._roll_forward()

    def _roll_forward(self) -> int:
        logs: list[PartitionLog] = []

        def writer_for(tp: TopicPartition) -> PartitionLog:
            config = LogConfig.from_topic_config(self.topics.describe(tp.topic).config)
            logs.append(PartitionLog(self.topics.partition_dir(*tp), config))
            return logs[-1]

        try:
            return self.transactions.roll_forward_all(writer_for)
        finally:
            for log in logs:
                log.close()

    def admin(self) -> EmbeddedAdmin:
        return EmbeddedAdmin(self.topics)

    def producer(
        self, *, transactional_id: str | None = None, linger_ms: int = 5,
        transaction_timeout_ms: int | None = None,
    ) -> EmbeddedProducer:
        """A producer. ``transaction_timeout_ms`` is ignored: a transaction is
        written only at commit, so one left open by a dead producer holds nothing
        back (see :meth:`streamkit.log.Broker.producer`)."""
        return EmbeddedProducer(self.topics, self.transactions, transactional_id, linger_ms)

    def consumer(
        self,
        *,
        group_id: str | None = None,
        isolation_level: IsolationLevel = "read_committed",
        auto_offset_reset: AutoOffsetReset = "earliest",
        co_partitioned: bool = False,
    ) -> EmbeddedConsumer:
        """A consumer; groups always assign by range, so they are always
        co-partitioned (``co_partitioned`` changes nothing here)."""
        return EmbeddedConsumer(
            self.topics, group_id, isolation_level, auto_offset_reset, self._roll_forward
        )

    def close(self) -> None:
        pass
