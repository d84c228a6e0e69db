"""How long an exactly-once worker's transactions may stay open: ten commit
intervals, at least 10 s, at most Kafka's default maximum; the Kafka producer
hands it to librdkafka. (tests/kafka/test_transaction_timeout.py shows what it
changes on a real broker.)"""

from pathlib import Path
from typing import Any

from streamkit.log import open_broker
from streamkit.log.kafka.config import TRANSACTION_TIMEOUT_MS, producer_config
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from tests.faults.apps import counter


def test_the_transaction_timeout_is_ten_commit_intervals_within_bounds() -> None:
    assert WorkerOptions(commit_interval_ms=100).transaction_timeout_ms == 10_000
    assert WorkerOptions(commit_interval_ms=5_000).transaction_timeout_ms == 50_000
    assert WorkerOptions(commit_interval_ms=3_600_000).transaction_timeout_ms == 900_000


def test_a_transactional_kafka_producer_is_configured_with_it() -> None:
    def timeout(**options: Any) -> object:
        return producer_config("b:9092", linger_ms=5, **options).get("transaction.timeout.ms")

    assert timeout(transactional_id="app-w", transaction_timeout_ms=50_000) == 50_000
    assert timeout(transactional_id="app-w") == TRANSACTION_TIMEOUT_MS == 10_000
    assert timeout(transactional_id=None, transaction_timeout_ms=50_000) is None


class _Recording:
    """A broker that remembers the options its producers were asked for."""

    def __init__(self, url: str) -> None:
        self._broker = open_broker(url)
        self.producer_options: list[dict[str, Any]] = []

    def producer(self, **options: Any) -> Any:
        self.producer_options.append(options)
        return self._broker.producer(**options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)


def test_an_exactly_once_worker_asks_its_producer_for_it(tmp_path: Path) -> None:
    broker = _Recording(f"embedded://{tmp_path}/log")
    app = counter("txn-timeout", "inputs", "counts")
    options = WorkerOptions(worker_id="w", exactly_once=True, commit_interval_ms=2_000,
                            state_dir=tmp_path / "state")
    worker = Worker(app, broker, options)  # type: ignore[arg-type]
    worker._start_clients()
    try:
        assert broker.producer_options == [
            {"transactional_id": "txn-timeout-w", "transaction_timeout_ms": 20_000}]
    finally:
        worker._close_clients()
