"""The Kafka backend's entry point: a :class:`~streamkit.log.broker.Broker` for one cluster."""

from __future__ import annotations

from streamkit.log.broker import AutoOffsetReset, IsolationLevel
from streamkit.log.errors import InvalidBrokerUrl
from streamkit.log.kafka.admin import KafkaAdmin
from streamkit.log.kafka.config import parse_client_settings
from streamkit.log.kafka.consumer import KafkaConsumer
from streamkit.log.kafka.producer import KafkaProducer


class KafkaBroker:
    """Apache Kafka at ``kafka://host:port[,host:port][?setting=value&...]``. The
    query's librdkafka settings apply to every client (e.g. SASL/SSL for a secured
    cluster). Connects lazily: each client it hands out opens its own connections."""

    def __init__(self, url: str) -> None:
        if not url.startswith("kafka://") or not url[len("kafka://") :].strip("/"):
            raise InvalidBrokerUrl(f"{url!r} is not a Kafka URL: use kafka://host:port[,host:port]")
        self.url = url
        servers, _, query = url[len("kafka://") :].partition("?")
        self.bootstrap_servers = servers.strip("/")
        self.client_settings = parse_client_settings(query)

    def admin(self) -> KafkaAdmin:
        """A client for topic and group administration."""
        return KafkaAdmin(self.bootstrap_servers, self.client_settings)

    def producer(self, *, transactional_id: str | None = None, linger_ms: int = 5,
                 transaction_timeout_ms: int | None = None) -> KafkaProducer:
        """An idempotent producer; transactional when given a ``transactional_id``."""
        return KafkaProducer(
            self.bootstrap_servers,
            transactional_id=transactional_id,
            linger_ms=linger_ms,
            transaction_timeout_ms=transaction_timeout_ms,
            settings=self.client_settings,
        )

    def consumer(
        self,
        *,
        group_id: str | None = None,
        isolation_level: IsolationLevel = "read_committed",
        auto_offset_reset: AutoOffsetReset = "earliest",
        co_partitioned: bool = False,
    ) -> KafkaConsumer:
        """A consumer; give it a ``group_id`` to subscribe or commit."""
        return KafkaConsumer(
            self.bootstrap_servers,
            group_id=group_id,
            isolation_level=isolation_level,
            auto_offset_reset=auto_offset_reset,
            co_partitioned=co_partitioned,
            settings=self.client_settings,
        )

    def close(self) -> None:
        """Nothing shared to release: clients are closed by their owners."""

    def __repr__(self) -> str:
        return f"KafkaBroker({self.url!r})"
