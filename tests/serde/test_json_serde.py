"""The JSON serde (orjson)."""

from __future__ import annotations

import dataclasses
import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.serde import JsonSerde, SerdeError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values)
def test_json_values_round_trip(value):
    serde = JsonSerde()
    assert serde.deserialize(serde.serialize(value)) == value


def test_none_is_a_tombstone_not_json_null():
    assert JsonSerde().serialize(None) is None
    assert JsonSerde().deserialize(None) is None
    assert JsonSerde().deserialize(b"null") is None


def test_output_is_compact_utf8_json():
    assert JsonSerde().serialize({"page": "/é", "n": [1, 2.5, True]}) == (
        '{"page":"/é","n":[1,2.5,true]}'.encode())


def test_non_string_dict_keys_are_written_as_strings():
    assert JsonSerde().serialize({1: "a", 2: "b"}) == b'{"1":"a","2":"b"}'


def test_dataclasses_serialize_as_objects():
    @dataclasses.dataclass
    class PageView:
        page: str
        count: int

    assert JsonSerde().deserialize(JsonSerde().serialize(PageView("/a", 3))) == {
        "page": "/a", "count": 3}


def test_default_converts_other_types():
    serde = JsonSerde(default=str)
    assert serde.serialize({"price": decimal.Decimal("1.10")}) == b'{"price":"1.10"}'


@pytest.mark.parametrize("value", [{1, 2}, decimal.Decimal(1), object(), 2**64, b"raw"])
def test_unserializable_values_raise_serde_error_with_a_fix(value):
    with pytest.raises(SerdeError, match="cannot serialize .* as JSON") as caught:
        JsonSerde().serialize(value)
    assert "default=" in str(caught.value)


@pytest.mark.parametrize(("data", "reason"), [
    (b"{oops", "expected a string key"),
    (b"", "empty document"),
    (b'{"a": 1} trailing', "unexpected content after document"),
    (b'"\xff"', "not valid UTF-8"),
])
def test_malformed_json_raises_serde_error_saying_why(data, reason):
    with pytest.raises(SerdeError, match="cannot decode JSON") as caught:
        JsonSerde().deserialize(data)
    assert reason in str(caught.value)
    assert repr(data) in str(caught.value)


def test_long_bad_input_is_shown_truncated():
    data = b"x" * 10_000
    with pytest.raises(SerdeError) as caught:
        JsonSerde().deserialize(data)
    assert "(10000 bytes)" in str(caught.value)
    assert len(str(caught.value)) < 300
