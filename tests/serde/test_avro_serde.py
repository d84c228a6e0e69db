"""Avro with a known schema (no registry): encoding per the Avro specification."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from streamkit.serde import AvroSerde, InvalidSerdeSpec, SerdeError, load_schema

CLICK = {
    "type": "record", "name": "Click", "namespace": "example",
    "fields": [{"name": "page", "type": "string"}, {"name": "ms", "type": "long"},
               {"name": "user", "type": ["null", "string"], "default": None}],
}
CLICK_V2 = {**CLICK, "fields": [*CLICK["fields"],
                                {"name": "country", "type": "string", "default": "??"}]}


def test_records_round_trip():
    serde = AvroSerde(CLICK)
    value = {"page": "/home", "ms": 1_700_000_000_000, "user": "ada"}
    assert serde.deserialize(serde.serialize(value)) == value


@pytest.mark.parametrize(("value", "encoded"), [
    # zig-zag varints, from the Avro specification's examples
    (0, b"\x00"), (-1, b"\x01"), (1, b"\x02"), (-64, b"\x7f"), (64, b"\x80\x01"),
])
def test_longs_use_the_specifications_zigzag_encoding(value, encoded):
    serde = AvroSerde("long")
    assert serde.serialize(value) == encoded
    assert serde.deserialize(encoded) == value


def test_record_body_is_the_fields_in_order():
    # "/a" -> length 2 zig-zag (0x04) + bytes; 5 -> 0x0a; null branch 0 of the union -> 0x00
    assert AvroSerde(CLICK).serialize({"page": "/a", "ms": 5}) == b"\x04/a\x0a\x00"


@dataclasses.dataclass
class Click:
    page: str
    ms: int
    user: str | None = None


def test_a_dataclass_is_written_as_the_record_of_its_fields():
    serde = AvroSerde(CLICK)
    assert serde.serialize(Click("/a", 5)) == serde.serialize({"page": "/a", "ms": 5})
    assert serde.deserialize(serde.serialize(Click("/a", 5, "ada"))) == {
        "page": "/a", "ms": 5, "user": "ada"}


def test_a_dataclass_that_does_not_fit_the_schema_raises_serde_error():
    @dataclasses.dataclass
    class Page:
        page: str

    with pytest.raises(SerdeError, match=r"cannot serialize Page .* as Avro example.Click"):
        AvroSerde(CLICK).serialize(Page("/a"))
    with pytest.raises(SerdeError, match="cannot serialize type"):
        AvroSerde(CLICK).serialize(Click)  # the class, not an instance


def test_reader_schema_resolves_added_fields_to_their_defaults():
    serde = AvroSerde(CLICK, reader_schema=CLICK_V2)
    data = AvroSerde(CLICK).serialize({"page": "/a", "ms": 5})
    assert serde.deserialize(data) == {"page": "/a", "ms": 5, "user": None, "country": "??"}


def test_schema_can_come_from_an_avsc_file(tmp_path):
    path = tmp_path / "click.avsc"
    path.write_bytes(orjson.dumps(CLICK))
    assert AvroSerde(str(path)).serialize({"page": "/a", "ms": 5}) == b"\x04/a\x0a\x00"
    assert AvroSerde(path).schema == CLICK


def test_schema_can_be_json_text():
    assert load_schema(orjson.dumps(CLICK).decode()) == CLICK


def test_none_is_a_null_key_or_tombstone_both_ways():
    assert AvroSerde(CLICK).serialize(None) is None
    assert AvroSerde(CLICK).deserialize(None) is None


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "the data ends before the record does"),
    (b"\x04/a", "the data ends before the record does"),
    (b"\x04/a\x0a\x00\x00", "1 bytes left after the record"),
    (b"\x04/a\x0a\x08", "corrupt, or not written with this schema"),
    (b"\x04\xff\xfe\x0a\x00", "UnicodeDecodeError"),
])
def test_malformed_bytes_raise_serde_error_saying_why(data, reason):
    with pytest.raises(SerdeError, match=r"cannot decode Avro example\.Click") as caught:
        AvroSerde(CLICK).deserialize(data)
    assert reason in str(caught.value)


def test_registry_framed_bytes_given_to_a_plain_avro_serde_say_to_configure_the_registry():
    framed = b"\x00\x00\x00\x00\x01" + b"\x04/a\x0a\x00"
    with pytest.raises(SerdeError, match="configure registry_url"):
        AvroSerde(CLICK).deserialize(framed)


@pytest.mark.parametrize(("value", "reason"), [
    ({"page": "/a", "ms": "five"}, "on field ms"),
    ({"ms": 5}, "no value and no default for page"),
    ("not a record", "cannot serialize str"),
])
def test_values_that_do_not_fit_the_schema_raise_serde_error(value, reason):
    with pytest.raises(SerdeError, match=r"as Avro example\.Click") as caught:
        AvroSerde(CLICK).serialize(value)
    assert reason in str(caught.value)


@pytest.mark.parametrize(("schema", "reason"), [
    ("missing.avsc", "cannot read Avro schema file 'missing.avsc'"),
    ("{not json", "not valid JSON"),
    ({"type": "record", "fields": []}, '"name" is a required field'),
    ({"type": "recrod", "name": "X", "fields": []}, "unknown type"),
    (42, "cannot use int as an Avro schema"),
])
def test_bad_schemas_raise_invalid_serde_spec_saying_how_to_fix(schema, reason):
    with pytest.raises(InvalidSerdeSpec) as caught:
        AvroSerde(schema)
    assert reason in str(caught.value)
