"""Appending records to Kafka (the :class:`~streamkit.log.broker.Producer` protocol)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import confluent_kafka
from confluent_kafka import KafkaError, KafkaException

from streamkit.log.errors import BrokerError, DeliveryFailed, ProducerFenced, TransactionAborted
from streamkit.log.kafka.config import REQUEST_TIMEOUT_S, make_client, producer_config
from streamkit.log.kafka.errors import UNAVAILABLE_CODES, kafka_error_of, translate
from streamkit.log.kafka.records import natives_with_offsets
from streamkit.log.records import GroupMetadata, Headers, TopicPartition

# Serve delivery callbacks every so many sends so that their queue stays short.
_POLL_EVERY = 1000
# Records per librdkafka batch produce (a tenth of its default local queue).
_BATCH_CHUNK = 10_000
# librdkafka's RD_KAFKA_PARTITION_UA: the partitioner picks the partition.
_ANY_PARTITION = -1
# librdkafka asks for a retry of a transactional call with `retriable()` errors.
_TXN_ATTEMPTS = 5

_FENCED_CODES = frozenset(
    {KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH}
)


DeliveryCallback = Callable[[KafkaError | None, confluent_kafka.Message], None]


def _collector(failures: list[tuple[str, KafkaError]]) -> DeliveryCallback:
    """The delivery callback: appends each record Kafka did not acknowledge to
    ``failures`` (a closure rather than a method, so that the librdkafka handle
    does not keep its KafkaProducer alive)."""

    def on_delivery(error: KafkaError | None, message: confluent_kafka.Message) -> None:
        if error is not None:
            failures.append((message.topic() or "?", error))

    return on_delivery


class KafkaProducer:
    """An idempotent (optionally transactional) producer with Java-compatible keying."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        transactional_id: str | None = None,
        linger_ms: int = 5,
        transaction_timeout_ms: int | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self._servers = bootstrap_servers
        config = producer_config(
            bootstrap_servers, transactional_id=transactional_id, linger_ms=linger_ms,
            transaction_timeout_ms=transaction_timeout_ms,
        )
        self._failures: list[tuple[str, KafkaError]] = []
        # One callback for all records, called only for failures: a callback
        # object per send and a report per delivered record cost on every send.
        config |= {"on_delivery": _collector(self._failures), "delivery.report.only.error": True}
        self._producer = make_client(confluent_kafka.Producer, config, settings)
        self._produce = self._producer.produce
        self._sends = 0

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Queue one record; see :meth:`flush` for acknowledgement."""
        while True:
            try:
                if partition is None and not headers:  # the per-record path of every app
                    # Positional, in produce()'s order (topic, value, key, partition,
                    # callback, on_delivery, timestamp): parsing keywords costs a
                    # quarter of the call. Timestamp 0 is "now", as when omitted.
                    self._produce(topic, value, key, _ANY_PARTITION, None, None,
                                  0 if timestamp is None else timestamp)
                else:
                    self._produce_with(topic, value, key, partition, timestamp, headers)
                break
            except BufferError:
                # The local queue is full: let deliveries drain, then try again.
                self._producer.poll(0.1)
            except KafkaException as exc:
                raise self._send_failed(exc, topic) from exc
        self._sends += 1
        if self._sends % _POLL_EVERY == 0:
            self._producer.poll(0)

    def _produce_with(self, topic: str, value: bytes | None, key: bytes | None,
                      partition: int | None, timestamp: int | None,
                      headers: Headers | None) -> None:
        args: dict[str, object] = {}
        if partition is not None:
            args["partition"] = partition
        if timestamp is not None:
            args["timestamp"] = timestamp
        if headers:
            args["headers"] = list(headers)
        self._produce(topic, value, key, **args)

    def send_batch(
        self, topic: str, partition: int, records: Iterable[tuple[bytes | None, bytes | None]]
    ) -> int:
        """Queue records to one partition with librdkafka's batch produce (see
        :meth:`Producer.send_batch`): one call per chunk rather than per record."""
        messages: list[dict[str, Any]] = [{"key": key, "value": value} for key, value in records]
        for start in range(0, len(messages), _BATCH_CHUNK):
            pending = messages[start:start + _BATCH_CHUNK]
            while pending:
                try:
                    queued = self._producer.produce_batch(topic, pending, partition=partition)
                except KafkaException as exc:
                    raise self._send_failed(exc, topic) from exc
                if queued == len(pending):
                    break
                # Records fail (marked "_error") when the local queue is full, and
                # then so do all after them: nothing leaves the queue until a poll.
                # Retrying that tail after a poll keeps the batch in order.
                pending = [m for m in pending if "_error" in m]
                for message in pending:
                    error = message.pop("_error")
                    if error.code() != KafkaError._QUEUE_FULL:
                        raise translate(error, self._servers, topic)
                if pending:
                    self._producer.poll(0.1)
            self._producer.poll(0)
        return len(messages)

    def _send_failed(self, exc: KafkaException, topic: str) -> BrokerError:
        error = kafka_error_of(exc)
        return translate(error, self._servers, topic) if error else BrokerError(str(exc))

    def poll(self) -> None:
        """Serve delivery reports (librdkafka sends on its own thread)."""
        self._producer.poll(0)

    def flush(self, timeout: float | None = None) -> None:
        """Wait for every queued record; raise :class:`DeliveryFailed` naming the
        first failure if any record was not acknowledged."""
        remaining = self._producer.flush() if timeout is None else self._producer.flush(timeout)
        self._raise_failures()
        if remaining:
            raise DeliveryFailed(
                f"{remaining} record(s) not acknowledged by Kafka at {self._servers} within "
                f"{timeout} s: is the broker reachable?"
            )

    def init_transactions(self) -> None:
        """Register the transactional id (fencing older producers with it)."""
        self._transactional(lambda: self._producer.init_transactions(REQUEST_TIMEOUT_S * 4))

    def begin_transaction(self) -> None:
        """Start a transaction: sends until commit/abort belong to it."""
        self._transactional(self._producer.begin_transaction)

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group: GroupMetadata,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit ``offsets`` (with ``metadata``) for ``group`` atomically with this transaction."""
        if group.native is None:
            raise BrokerError(
                "send_offsets_to_transaction needs the group metadata of a Kafka consumer "
                "(consumer.group_metadata())"
            )
        natives = natives_with_offsets(offsets, metadata)
        self._transactional(
            lambda: self._producer.send_offsets_to_transaction(natives, group.native, REQUEST_TIMEOUT_S)
        )

    def commit_transaction(self) -> None:
        """Commit atomically; raise :class:`ProducerFenced` or :class:`TransactionAborted`."""
        self._transactional(lambda: self._producer.commit_transaction(REQUEST_TIMEOUT_S * 4))
        self._raise_failures()

    def abort_transaction(self) -> None:
        """Abort the open transaction: its records are never visible to read_committed readers."""
        self._transactional(lambda: self._producer.abort_transaction(REQUEST_TIMEOUT_S * 4))
        # Records of an aborted transaction failing delivery is expected, not news.
        self._failures.clear()

    def close(self) -> None:
        """Flush what is queued."""
        self.flush(REQUEST_TIMEOUT_S * 2)

    # --- internals ---------------------------------------------------------------

    def _raise_failures(self) -> None:
        if not self._failures:
            return
        failures = self._failures[:]
        self._failures.clear()  # the list the delivery callback appends to
        topic, error = failures[0]
        cause = translate(error, self._servers, topic)
        raise DeliveryFailed(
            f"{len(failures)} record(s) were not delivered; the first to {topic!r}: {cause}"
        )

    def _transactional(self, call: Callable[[], object]) -> None:
        for attempt in range(_TXN_ATTEMPTS):
            try:
                call()
                return
            except KafkaException as exc:
                error = kafka_error_of(exc)
                if error is None:
                    raise BrokerError(str(exc)) from exc
                if error.code() in _FENCED_CODES or error.fatal():
                    raise ProducerFenced(
                        f"producer fenced: another producer took over its transactional id "
                        f"({error.str()}); this one must stop"
                    ) from exc
                if error.txn_requires_abort():
                    self._abort_quietly()
                    raise TransactionAborted(
                        f"transaction aborted ({error.str()}): seek back to the committed "
                        "offsets and process again"
                    ) from exc
                if error.retriable() and attempt + 1 < _TXN_ATTEMPTS:
                    continue
                if error.code() in UNAVAILABLE_CODES:
                    raise translate(error, self._servers) from exc
                raise BrokerError(f"transaction call failed: {error.str()}") from exc

    def _abort_quietly(self) -> None:
        try:
            self._producer.abort_transaction(REQUEST_TIMEOUT_S * 4)
        except KafkaException:
            pass  # The caller is told the transaction aborted either way.
        self._failures.clear()
