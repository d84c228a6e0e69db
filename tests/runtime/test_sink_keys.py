"""The sink reuses the bytes of a repeated key, and only when that is safe."""

from __future__ import annotations

from typing import Any

from streamkit.runtime.task import SinkProcessor
from streamkit.runtime.topology import TopicSpec
from streamkit.serde.json_serde import JsonSerde
from streamkit.serde.primitive import StringSerde


class _CountingSerde(JsonSerde):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def serialize(self, obj: Any) -> bytes | None:
        self.calls += 1
        return super().serialize(obj)


def _sink(key_serde: Any) -> tuple[SinkProcessor, list[tuple[Any, ...]]]:
    sent: list[tuple[Any, ...]] = []
    sink = SinkProcessor(TopicSpec("out", key_serde, StringSerde()),
                         lambda *record: sent.append(record))
    return sink, sent


def test_the_same_string_key_is_serialized_once_in_a_row() -> None:
    serde = _CountingSerde()
    sink, sent = _sink(serde)
    key = "u1"
    for value in ("a", "b", "c"):
        sink.process_fields(key, value, 0, ())
    sink.process_fields("u2", "d", 0, ())
    sink.process_fields(None, "e", 0, ())
    assert [(k, v) for _, v, k, *_ in sent] == [
        (b'"u1"', b"a"), (b'"u1"', b"b"), (b'"u1"', b"c"), (b'"u2"', b"d"), (None, b"e")]
    assert serde.calls == 3


def test_a_mutable_key_changed_between_records_is_serialized_again() -> None:
    sink, sent = _sink(JsonSerde())
    key = {"user": "u1"}
    sink.process_fields(key, "a", 0, ())
    key["user"] = "u2"
    sink.process_fields(key, "b", 0, ())
    assert [k for _, _, k, *_ in sent] == [b'{"user":"u1"}', b'{"user":"u2"}']
