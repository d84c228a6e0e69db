"""Shared fixtures: a real Kafka for the session, and a Broker for each backend.

``kafka_bootstrap`` picks, in order:

1. ``STREAMKIT_KAFKA_BOOTSTRAP`` (host:port[,host:port]) if set;
2. a testcontainers Kafka if a Docker engine answers;
3. a local broker started with ``deploy/kafka/kafka`` (Java 17 + Maven), stopped at
   session end.

If none can be had, Kafka tests fail when ``CI=true`` and are skipped otherwise.
See docs/kafka-local.md.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamkit.log import Broker, open_broker
from tests.local_kafka import BOOTSTRAP_ENV, local_kafka

BACKENDS = ["embedded", pytest.param("kafka", marks=pytest.mark.kafka)]


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001 - no SDK, no socket, no daemon: all mean "no Docker"
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a real Kafka cluster for the whole session."""
    if os.environ.get(BOOTSTRAP_ENV):
        yield os.environ[BOOTSTRAP_ENV]
        return
    if _docker_answers():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    with local_kafka(tmp_path_factory.mktemp("kafka-run")) as bootstrap:
        yield bootstrap


@pytest.fixture(params=BACKENDS)
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A broker URL for each backend: a fresh embedded directory, or the session's Kafka."""
    if request.param == "kafka":
        return "kafka://" + request.getfixturevalue("kafka_bootstrap")
    try:
        from streamkit.log.embedded import EmbeddedBroker  # noqa: F401 - is it built yet?
    except ImportError:
        pytest.skip("embedded backend (streamkit.log.embedded.EmbeddedBroker) is not built yet")
    return f"embedded://{tmp_path / 'log'}"


@pytest.fixture
def broker(broker_url: str) -> Iterator[Broker]:
    """An opened Broker for each backend (parametrized: embedded, kafka)."""
    opened = open_broker(broker_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def kafka_broker(kafka_bootstrap: str) -> Iterator[Broker]:
    """A Broker on the session's Kafka, for Kafka-only tests."""
    opened = open_broker("kafka://" + kafka_bootstrap)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def topic_name() -> str:
    """A topic name no other test (or helper sharing the broker) uses."""
    return f"t-{uuid.uuid4().hex[:12]}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses Kafka with ``kafka``, so ``-m kafka`` selects them all."""
    for item in items:
        uses_kafka = "kafka_bootstrap" in getattr(item, "fixturenames", ())
        if uses_kafka and item.get_closest_marker("kafka") is None:
            item.add_marker(pytest.mark.kafka)
