"""Our Schema Registry Avro serde and Confluent's own Python serializers
(confluent_kafka.schema_registry.avro) read each other's bytes, both talking to the
stand-in registry of conftest.py (not Confluent's server)."""

from __future__ import annotations

import orjson
import pytest

from streamkit.serde import RegistryAvroSerde, SchemaRegistryClient

# confluent-kafka is a dependency, but its schema_registry module needs optional
# extras (httpx, attrs, cachetools, authlib); without them this module is skipped (-ra shows it).
confluent_avro = pytest.importorskip("confluent_kafka.schema_registry.avro")
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentClient
from confluent_kafka.serialization import MessageField, SerializationContext

CLICK = {"type": "record", "name": "Click", "namespace": "example",
         "fields": [{"name": "page", "type": "string"}, {"name": "ms", "type": "long"}]}
CLICKS_VALUE = SerializationContext("clicks", MessageField.VALUE)


def ours(registry) -> RegistryAvroSerde:
    return RegistryAvroSerde(SchemaRegistryClient(registry.url), schema=CLICK, topic="clicks")


def test_confluents_serializer_output_decodes_here(registry):
    serializer = confluent_avro.AvroSerializer(ConfluentClient({"url": registry.url}),
                                               orjson.dumps(CLICK).decode())
    data = serializer({"page": "/a", "ms": 5}, CLICKS_VALUE)
    assert data == b"\x00\x00\x00\x00\x01\x04/a\x0a"
    assert registry.subjects == {"clicks-value": [1]}
    assert ours(registry).deserialize(data) == {"page": "/a", "ms": 5}


def test_our_output_decodes_with_confluents_deserializer(registry):
    data = ours(registry).serialize({"page": "/a", "ms": 5})
    deserializer = confluent_avro.AvroDeserializer(ConfluentClient({"url": registry.url}))
    assert deserializer(data, CLICKS_VALUE) == {"page": "/a", "ms": 5}


def test_both_serializers_get_the_same_id_for_the_same_schema(registry):
    ours(registry).serialize({"page": "/a", "ms": 5})
    serializer = confluent_avro.AvroSerializer(ConfluentClient({"url": registry.url}),
                                               orjson.dumps(CLICK).decode())
    assert serializer({"page": "/b", "ms": 6}, CLICKS_VALUE)[:5] == b"\x00\x00\x00\x00\x01"
