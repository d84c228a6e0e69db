"""Contract: topic administration behaves the same on every backend."""

import pytest

from streamkit.log import Broker, TopicAlreadyExists, TopicNotFound


def test_created_topic_is_listed_and_described(broker: Broker, topic_name: str) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name, partitions=3, config={"retention.ms": "3600000"})

    assert topic_name in admin.list_topics()
    description = admin.describe_topic(topic_name)
    assert description.name == topic_name
    assert description.partitions == 3
    assert description.config["retention.ms"] == "3600000"
    assert not description.compacted


def test_compacted_topic_is_described_as_compacted(broker: Broker, topic_name: str) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name, config={"cleanup.policy": "compact"})

    assert admin.describe_topic(topic_name).compacted


def test_list_topics_is_sorted(broker: Broker, topic_name: str) -> None:
    admin = broker.admin()
    for suffix in ("b", "a", "c"):
        admin.create_topic(f"{topic_name}-{suffix}")

    mine = [t for t in admin.list_topics() if t.startswith(topic_name)]
    assert mine == [f"{topic_name}-a", f"{topic_name}-b", f"{topic_name}-c"]


def test_creating_an_existing_topic_raises_topic_already_exists(
    broker: Broker, topic_name: str
) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name)

    with pytest.raises(TopicAlreadyExists) as raised:
        admin.create_topic(topic_name)
    assert raised.value.topic == topic_name


def test_deleted_topic_is_gone(broker: Broker, topic_name: str) -> None:
    admin = broker.admin()
    admin.create_topic(topic_name, partitions=2)

    admin.delete_topic(topic_name)

    assert topic_name not in admin.list_topics()
    with pytest.raises(TopicNotFound):
        admin.describe_topic(topic_name)


def test_deleting_or_describing_a_missing_topic_raises_topic_not_found(
    broker: Broker, topic_name: str
) -> None:
    admin = broker.admin()
    with pytest.raises(TopicNotFound):
        admin.delete_topic(topic_name)
    with pytest.raises(TopicNotFound) as raised:
        admin.describe_topic(topic_name)
    assert "streamkit topics create" in str(raised.value)
