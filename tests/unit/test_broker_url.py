"""Broker URLs: which backend, and the Kafka client settings a URL may carry."""

from __future__ import annotations

import os

import pytest

from streamkit.log import InvalidBrokerUrl, resolve_broker_url
from streamkit.log.kafka import KafkaBroker
from streamkit.log.kafka.config import parse_client_settings


def test_nothing_set_means_the_embedded_log_in_dot_streamkit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMKIT_BROKER", raising=False)
    assert resolve_broker_url(None) == "embedded://" + os.path.abspath(".streamkit")


def test_a_path_or_embedded_url_names_the_embedded_log(tmp_path: object) -> None:
    assert resolve_broker_url(str(tmp_path)) == f"embedded://{tmp_path}"
    assert resolve_broker_url(f"embedded://{tmp_path}") == f"embedded://{tmp_path}"


def test_the_environment_is_used_when_no_url_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_BROKER", "kafka://10.0.0.1:9092")
    assert resolve_broker_url(None) == "kafka://10.0.0.1:9092"


def test_kafka_urls_keep_their_client_settings() -> None:
    url = "kafka://a:9092,b:9092/?security.protocol=SASL_SSL&sasl.mechanism=PLAIN"
    assert resolve_broker_url(url) == (
        "kafka://a:9092,b:9092?security.protocol=SASL_SSL&sasl.mechanism=PLAIN")
    broker = KafkaBroker(resolve_broker_url(url))
    assert broker.bootstrap_servers == "a:9092,b:9092"
    assert broker.client_settings == {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}


@pytest.mark.parametrize("url", ["kafka://", "kafka://localhost", "kafka://?acks=1"])
def test_kafka_urls_need_host_port_pairs(url: str) -> None:
    with pytest.raises(InvalidBrokerUrl, match="host:port"):
        resolve_broker_url(url)


def test_an_unknown_scheme_says_which_ones_exist() -> None:
    with pytest.raises(InvalidBrokerUrl, match="kafka://host:port, embedded://PATH"):
        resolve_broker_url("redis://x:1")


@pytest.mark.parametrize("name", ["acks", "enable.idempotence", "isolation.level", "group.id"])
def test_settings_that_carry_a_guarantee_cannot_be_overridden(name: str) -> None:
    with pytest.raises(InvalidBrokerUrl, match=f"may not set '{name}'"):
        parse_client_settings(f"{name}=x")


def test_a_setting_librdkafka_rejects_is_reported_as_a_url_mistake() -> None:
    with pytest.raises(InvalidBrokerUrl, match='No such configuration property: "no.such"'):
        KafkaBroker("kafka://127.0.0.1:1?no.such=1").producer()
    with pytest.raises(InvalidBrokerUrl, match="Invalid value"):
        KafkaBroker("kafka://127.0.0.1:1?session.timeout.ms=soon").consumer(group_id="g")


def test_a_consumer_setting_in_the_url_does_not_make_producers_warn(
        caplog: pytest.LogCaptureFixture) -> None:
    # The URL's settings reach every client; a producer ignoring a consumer setting
    # is expected, not worth a warning on every start. Making a client needs no broker.
    with caplog.at_level("INFO", logger="streamkit.log.kafka"):
        KafkaBroker("kafka://127.0.0.1:1?session.timeout.ms=6000").producer().close()
    assert not [r for r in caplog.records if "will be ignored" in r.getMessage()]
    with caplog.at_level("DEBUG", logger="streamkit.log.kafka"):
        KafkaBroker("kafka://127.0.0.1:1?session.timeout.ms=6000").producer().close()
    assert [r for r in caplog.records if "will be ignored" in r.getMessage()]
