"""Resolving what a user writes for a topic (``value="json"``) into a serde."""

from __future__ import annotations

import pytest

from streamkit.log.errors import StreamkitError
from streamkit.serde import (
    SERDE_NAMES,
    AvroSerde,
    BytesSerde,
    DoubleSerde,
    IntSerde,
    InvalidSerdeSpec,
    JsonSerde,
    LongSerde,
    RegistryAvroSerde,
    Serde,
    SerdeError,
    StringSerde,
    avro,
    get_serde,
)

SCHEMA = {"type": "record", "name": "Click", "fields": [{"name": "page", "type": "string"}]}


@pytest.mark.parametrize(("name", "kind"), [
    ("json", JsonSerde), ("string", StringSerde), ("str", StringSerde), ("bytes", BytesSerde),
    ("raw", BytesSerde), ("int", IntSerde), ("long", LongSerde), ("double", DoubleSerde),
    ("JSON", JsonSerde), (" int ", IntSerde),
])
def test_names_resolve_to_their_serde(name, kind):
    assert type(get_serde(name)) is kind


def test_every_listed_name_resolves():
    for name in SERDE_NAMES:
        serde = get_serde(name, schema=SCHEMA) if name == "avro" else get_serde(name)
        assert isinstance(serde, Serde)


def test_a_serde_instance_is_returned_as_is():
    serde = JsonSerde()
    assert get_serde(serde) is serde


def test_a_user_written_serde_is_accepted():
    class Upper:
        def serialize(self, obj):
            return None if obj is None else obj.upper().encode()

        def deserialize(self, data):
            return None if data is None else data.decode()

    serde = Upper()
    assert get_serde(serde) is serde


def test_unknown_names_list_the_valid_ones_and_suggest_the_closest():
    with pytest.raises(InvalidSerdeSpec) as caught:
        get_serde("jsno")
    message = str(caught.value)
    assert "did you mean 'json'?" in message
    for name in SERDE_NAMES:
        assert name in message


def test_a_serde_class_instead_of_an_instance_says_to_instantiate_it():
    with pytest.raises(InvalidSerdeSpec, match=r"pass an instance, e\.g\. JsonSerde\(\)"):
        get_serde(JsonSerde)  # type: ignore[arg-type]


def test_an_object_that_is_not_a_serde_is_rejected():
    with pytest.raises(InvalidSerdeSpec, match="is not a serde"):
        get_serde(42)  # type: ignore[arg-type]


def test_avro_needs_a_schema_or_a_registry():
    with pytest.raises(InvalidSerdeSpec, match="needs a schema: pass schema="):
        get_serde("avro")


def test_avro_takes_a_schema_dict_or_file(tmp_path):
    assert isinstance(get_serde("avro", schema=SCHEMA), AvroSerde)
    path = tmp_path / "click.avsc"
    path.write_text('{"type": "record", "name": "Click", '
                    '"fields": [{"name": "page", "type": "string"}]}')
    assert get_serde("avro", schema=str(path)).serialize({"page": "/a"}) == b"\x04/a"


def test_schema_is_refused_for_formats_that_take_none():
    with pytest.raises(InvalidSerdeSpec, match="only applies to the avro serde"):
        get_serde("json", schema=SCHEMA)


def test_avro_with_a_registry_uses_the_topics_subject():
    value = get_serde("avro", schema=SCHEMA, topic="clicks", registry_url="http://127.0.0.1:1")
    key = get_serde("avro", schema=SCHEMA, topic="clicks", is_key=True,
                    registry_url="http://127.0.0.1:1")
    assert isinstance(value, RegistryAvroSerde) and value.subject == "clicks-value"
    assert isinstance(key, RegistryAvroSerde) and key.subject == "clicks-key"
    assert value.registry is key.registry  # one client, one cache, per registry URL


def test_avro_with_a_registry_and_a_schema_needs_the_topic():
    with pytest.raises(InvalidSerdeSpec, match="needs topic="):
        get_serde("avro", schema=SCHEMA, registry_url="http://127.0.0.1:1")


def test_registry_url_must_be_http():
    with pytest.raises(InvalidSerdeSpec, match="not an http"):
        get_serde("avro", schema=SCHEMA, topic="t", registry_url="localhost:8081")


def test_serde_errors_are_streamkit_errors():
    assert issubclass(SerdeError, StreamkitError)
    assert issubclass(InvalidSerdeSpec, StreamkitError)
    assert not issubclass(InvalidSerdeSpec, SerdeError)  # config errors are not bad records


def test_avro_spec_resolves_to_plain_avro_without_a_registry():
    serde = get_serde(avro(SCHEMA), topic="clicks")
    assert isinstance(serde, AvroSerde)
    assert serde.serialize({"page": "/a"}) == b"\x04/a"


def test_avro_spec_resolves_to_the_registry_format_with_a_registry():
    serde = get_serde(avro(SCHEMA), topic="clicks", is_key=True,
                      registry_url="http://127.0.0.1:1")
    assert isinstance(serde, RegistryAvroSerde) and serde.subject == "clicks-key"


def test_avro_spec_takes_its_schema_once():
    with pytest.raises(InvalidSerdeSpec, match="pass the schema once"):
        get_serde(avro(SCHEMA), schema=SCHEMA)
