"""Avro in the Confluent Schema Registry wire format.

Each record is ``0x00`` (magic byte), the writer schema's id as 4 bytes big-endian,
then the Avro body. The producer registers its schema under the topic's subject
(``<topic>-value`` or ``<topic>-key``, Confluent's TopicNameStrategy) once; the
consumer fetches each writer schema by id once and resolves it to its own schema.
"""

from __future__ import annotations

import io
from typing import Any

import orjson

from streamkit.serde.avro_serde import (
    SchemaSource,
    load_schema,
    parse_schema,
    read_avro,
    schema_name,
    write_avro,
)
from streamkit.serde.errors import InvalidSerdeSpec, SchemaNotFound, SerdeError, preview
from streamkit.serde.schema_registry import SchemaRegistryClient

MAGIC_BYTE = 0
HEADER_SIZE = 5


def subject_for(topic: str, *, is_key: bool = False) -> str:
    """The subject a topic's key or value schemas live under (TopicNameStrategy).

    >>> subject_for("orders"), subject_for("orders", is_key=True)
    ('orders-value', 'orders-key')
    """
    return f"{topic}-{'key' if is_key else 'value'}"


class RegistryAvroSerde:
    """Avro framed with a Schema Registry schema id, compatible with Confluent's
    ``KafkaAvroSerializer`` / ``AvroSerializer``.

    ``schema`` is the schema this side writes with (registered on the first
    ``serialize``) and reads into (each record's writer schema, fetched by id, is
    resolved to it). Without ``schema`` the serde can only deserialize, giving
    records shaped by their writer schema. ``subject`` defaults to
    ``subject_for(topic, is_key=is_key)``.
    """

    __slots__ = (
        "_decoders",
        "_label",
        "_prefix",
        "_schema_text",
        "_writer",
        "registry",
        "schema",
        "subject",
    )

    def __init__(self, registry: SchemaRegistryClient, *, schema: SchemaSource | None = None,
                 topic: str | None = None, is_key: bool = False,
                 subject: str | None = None) -> None:
        if subject is None and topic is not None:
            subject = subject_for(topic, is_key=is_key)
        self.registry = registry
        self.subject = subject
        self.schema = None if schema is None else load_schema(schema)
        self._writer = None if self.schema is None else parse_schema(self.schema)
        self._schema_text = None if self.schema is None else orjson.dumps(self.schema).decode()
        self._prefix: bytes | None = None
        # schema id -> (parsed writer schema, reader schema or None when they are equal)
        self._decoders: dict[int, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self._label = schema_name(self.schema) if self.schema is not None else (
            f"subject {subject!r}" if subject else "record")

    def serialize(self, obj: Any) -> bytes | None:
        """Encode ``obj`` as magic byte, schema id and Avro body; ``None`` gives ``None``."""
        if obj is None:
            return None
        prefix = self._prefix or self._register()
        buffer = io.BytesIO()
        buffer.write(prefix)
        write_avro(buffer, self._writer, obj, self._label)  # type: ignore[arg-type]
        return buffer.getvalue()

    def deserialize(self, data: bytes | None) -> Any:
        """Decode a wire-format record; ``None`` gives ``None``.

        A wrong magic byte, a short header, an id the registry does not know, or a
        body that does not match its schema raise ``SerdeError``.
        """
        if data is None:
            return None
        if len(data) < HEADER_SIZE or data[0] != MAGIC_BYTE:
            raise SerdeError(
                f"cannot decode Avro {self._label}: not in the Schema Registry wire format "
                f"(magic byte 0, then a 4-byte schema id, then the Avro body): "
                f"{preview(data)}")
        schema_id = int.from_bytes(data[1:HEADER_SIZE], "big")
        decoder = self._decoders.get(schema_id) or self._fetch(schema_id, data)
        return read_avro(data, HEADER_SIZE, decoder[0], decoder[1],
                         f"{self._label} (writer schema id {schema_id})")

    def _register(self) -> bytes:
        if self._schema_text is None or self.subject is None:
            raise InvalidSerdeSpec(
                "this Schema Registry Avro serde can only deserialize: pass schema= "
                "(an .avsc path or a dict) and topic= or subject= to serialize with it")
        schema_id = self.registry.register(self.subject, self._schema_text)
        self._prefix = bytes([MAGIC_BYTE]) + schema_id.to_bytes(4, "big")
        return self._prefix

    def _fetch(self, schema_id: int, data: bytes) -> tuple[dict[str, Any], dict[str, Any] | None]:
        try:
            text = self.registry.schema(schema_id)
        except SchemaNotFound as err:
            raise SerdeError(
                f"cannot decode Avro {self._label}: writer schema id {schema_id} is unknown "
                f"to the schema registry at {self.registry.url} ({err}); was the record "
                f"written against another registry? {preview(data)}") from None
        try:
            writer = parse_schema(load_schema(text), f"writer schema id {schema_id}")
        except InvalidSerdeSpec as err:
            raise SerdeError(f"cannot decode Avro {self._label}: {err}") from None
        reader = None if self._writer is None or writer == self._writer else self._writer
        self._decoders[schema_id] = (writer, reader)
        return writer, reader

    def __repr__(self) -> str:
        return (f"RegistryAvroSerde({self._label!r}, subject={self.subject!r}, "
                f"registry={self.registry.url!r})")
