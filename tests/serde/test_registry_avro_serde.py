"""Avro in the Confluent Schema Registry wire format, against a stand-in registry
(a real HTTP server in this process implementing the registry's REST calls; see
conftest.py), not against Confluent's server."""

from __future__ import annotations

import dataclasses
import socket

import orjson
import pytest

from streamkit.serde import (
    AvroSerde,
    InvalidSerdeSpec,
    RegistryAvroSerde,
    SchemaRegistryClient,
    SchemaRegistryError,
    SchemaRegistryUnavailable,
    SerdeError,
)

CLICK = {"type": "record", "name": "Click", "namespace": "example",
         "fields": [{"name": "page", "type": "string"}, {"name": "ms", "type": "long"}]}
CLICK_V2 = {**CLICK, "fields": [*CLICK["fields"],
                                {"name": "country", "type": "string", "default": "??"}]}


def serde(registry, schema=CLICK, topic="clicks", **kwargs) -> RegistryAvroSerde:
    return RegistryAvroSerde(SchemaRegistryClient(registry.url), schema=schema, topic=topic,
                             **kwargs)


def test_serialize_frames_the_body_with_magic_byte_and_schema_id(registry):
    data = serde(registry).serialize({"page": "/a", "ms": 5})
    assert data == b"\x00" + (1).to_bytes(4, "big") + b"\x04/a\x0a"
    assert data[5:] == AvroSerde(CLICK).serialize({"page": "/a", "ms": 5})


def test_a_dataclass_is_framed_as_the_record_of_its_fields(registry):
    @dataclasses.dataclass
    class Click:
        page: str
        ms: int

    assert serde(registry).serialize(Click("/a", 5)) == serde(registry).serialize(
        {"page": "/a", "ms": 5})


def test_the_schema_is_registered_once_under_the_topics_value_subject(registry):
    producer = serde(registry)
    for ms in range(50):
        producer.serialize({"page": "/a", "ms": ms})
    assert registry.requests == [("POST", "/subjects/clicks-value/versions")]
    assert orjson.loads(registry.schemas[1]) == CLICK


def test_key_serdes_register_under_the_key_subject(registry):
    serde(registry, schema="string", is_key=True).serialize("user-1")
    assert registry.subjects == {"clicks-key": [1]}


def test_a_consumer_fetches_each_writer_schema_once_by_id(registry):
    written = [serde(registry).serialize({"page": f"/{i}", "ms": i}) for i in range(20)]
    consumer = serde(registry)  # a fresh client: nothing cached
    assert [consumer.deserialize(data) for data in written] == [
        {"page": f"/{i}", "ms": i} for i in range(20)]
    assert registry.requests.count(("GET", "/schemas/ids/1")) == 1


def test_records_are_resolved_from_their_writer_schema_to_the_readers(registry):
    old = serde(registry, topic="clicks").serialize({"page": "/a", "ms": 1})
    new = serde(registry, schema=CLICK_V2).serialize({"page": "/b", "ms": 2, "country": "NL"})
    assert old[1:5] != new[1:5]  # two schemas, two ids
    reader = serde(registry, schema=CLICK_V2)
    assert reader.deserialize(old) == {"page": "/a", "ms": 1, "country": "??"}
    assert reader.deserialize(new) == {"page": "/b", "ms": 2, "country": "NL"}
    assert serde(registry).deserialize(new) == {"page": "/b", "ms": 2}  # old reader drops it


def test_without_a_schema_records_decode_as_their_writer_schema(registry):
    data = serde(registry).serialize({"page": "/a", "ms": 5})
    reader = RegistryAvroSerde(SchemaRegistryClient(registry.url))
    assert reader.deserialize(data) == {"page": "/a", "ms": 5}
    with pytest.raises(InvalidSerdeSpec, match="can only deserialize: pass schema="):
        reader.serialize({"page": "/a", "ms": 5})


def test_none_is_a_null_key_or_tombstone_and_touches_no_registry(registry):
    assert serde(registry).serialize(None) is None
    assert serde(registry).deserialize(None) is None
    assert registry.requests == []


@pytest.mark.parametrize(("data", "reason"), [
    (b"\x01\x00\x00\x00\x01\x04/a\x0a", "not in the Schema Registry wire format"),
    (b"\x04/a\x0a", "not in the Schema Registry wire format"),
    (b"\x00\x00\x00", "not in the Schema Registry wire format"),
    (b"", "not in the Schema Registry wire format"),
    (b"\x00\x00\x00\x00\x07\x04/a\x0a", "writer schema id 7 is unknown to the schema registry"),
    (b"\x00\x00\x00\x00\x01\x04/a", "the data ends before the record does"),
    (b"\x00\x00\x00\x00\x01\x04/a\x0a\x00", "1 bytes left after the record"),
])
def test_malformed_records_raise_serde_error_saying_why(registry, data, reason):
    serde(registry).serialize({"page": "/", "ms": 0})  # registers id 1
    with pytest.raises(SerdeError, match=r"cannot decode Avro example\.Click") as caught:
        serde(registry).deserialize(data)
    assert reason in str(caught.value)


def test_an_incompatible_schema_is_refused_with_a_fix(registry):
    registry.incompatible_subjects.add("clicks-value")
    with pytest.raises(SchemaRegistryError, match="HTTP 409") as caught:
        serde(registry).serialize({"page": "/a", "ms": 5})
    assert "give new fields defaults" in str(caught.value)
    assert not isinstance(caught.value, SerdeError)


def test_an_unreachable_registry_is_not_a_bad_record():
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = SchemaRegistryClient(f"http://127.0.0.1:{port}", timeout_s=2)
    unreachable = RegistryAvroSerde(client, schema=CLICK, topic="clicks")
    with pytest.raises(SchemaRegistryUnavailable, match="cannot reach the schema registry"):
        unreachable.deserialize(b"\x00\x00\x00\x00\x01\x04/a\x0a")
    with pytest.raises(SchemaRegistryUnavailable):
        unreachable.serialize({"page": "/a", "ms": 5})


def test_credentials_in_the_url_are_sent_as_basic_auth(registry):
    url = registry.url.replace("http://", "http://key:s%40cret@")
    client = SchemaRegistryClient(url)
    assert "key" not in client.url
    client.register("clicks-value", orjson.dumps(CLICK).decode())
    assert registry.authorization == ["Basic a2V5OnNAY3JldA=="]  # base64("key:s@cret")
