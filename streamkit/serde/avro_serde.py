"""Avro records without a registry: a schema known to both sides, body only
(fastavro's schemaless encoding). The Schema Registry wire format builds on the
same encode/decode functions (see :mod:`streamkit.serde.registry_avro`).
"""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path
from typing import Any, cast

import fastavro
import orjson
from fastavro.schema import SchemaParseException, UnknownType

from streamkit.serde.errors import InvalidSerdeSpec, SerdeError, preview

AvroSchema = dict[str, Any] | list[Any] | str
"""A schema as JSON data: a record dict, a union list, or a primitive type name."""

SchemaSource = AvroSchema | os.PathLike[str]
"""Where a schema comes from: a path to an ``.avsc`` file, JSON text, or the JSON data."""


def load_schema(source: SchemaSource) -> AvroSchema:
    """Return the schema JSON data that ``source`` names.

    ``source`` is a path to an ``.avsc`` file, a schema as JSON text, or the schema
    itself (a dict, a union list). Raises :class:`InvalidSerdeSpec` saying how to fix it.

    >>> load_schema('{"type": "int"}')
    {'type': 'int'}
    >>> load_schema({"type": "record", "name": "P", "fields": []})["name"]
    'P'
    """
    if isinstance(source, (dict, list)):
        return source
    if isinstance(source, str) and source.lstrip()[:1] in ('{', '[', '"'):
        return _parse_json(source, "the schema text")
    if isinstance(source, str) and source in _PRIMITIVE_TYPES:
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise InvalidSerdeSpec(
            f"cannot use {type(source).__name__} as an Avro schema: pass a path to an "
            ".avsc file, the schema as JSON text, or the schema as a dict"
        )
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        where = "" if path.is_absolute() else f" (relative to {os.getcwd()!r})"
        raise InvalidSerdeSpec(
            f"cannot read Avro schema file {str(path)!r}{where}: {err.strerror or err}; "
            "pass the path of an existing .avsc file, or the schema as a dict"
        ) from None
    return _parse_json(text, f"Avro schema file {str(path)!r}")


def parse_schema(schema: AvroSchema, what: str = "Avro schema") -> dict[str, Any]:
    """Parse schema JSON data once with fastavro; bad schemas raise ``InvalidSerdeSpec``."""
    try:
        parsed = cast(dict[str, Any], fastavro.parse_schema(schema))
    except UnknownType as err:
        raise InvalidSerdeSpec(
            f"invalid {what}: unknown type {err.name!r}; use a primitive type, a record, enum, "
            "array, map, fixed or union, or a named type defined earlier in the schema"
        ) from None
    except (SchemaParseException, ValueError, TypeError, KeyError, AttributeError) as err:
        raise InvalidSerdeSpec(
            f"invalid {what}: {err}; see https://avro.apache.org/docs/current/specification/"
        ) from None
    return parsed


def schema_name(schema: AvroSchema) -> str:
    """A short name for messages: the record's full name, or the type.

    >>> schema_name({"type": "record", "name": "User", "namespace": "ex", "fields": []})
    'ex.User'
    """
    if isinstance(schema, dict):
        name = schema.get("name")
        if isinstance(name, str):
            namespace = schema.get("namespace")
            return f"{namespace}.{name}" if namespace and "." not in name else name
        return str(schema.get("type"))
    if isinstance(schema, list):
        return "union"
    return schema


def write_avro(buffer: io.BytesIO, schema: dict[str, Any], obj: Any, label: str) -> None:
    """Append ``obj``'s Avro body to ``buffer``; bad values raise ``SerdeError``.

    A dataclass instance (a window result, say) is written as the record of its
    fields, as the json serde writes it as the object of its fields."""
    datum = (dataclasses.asdict(obj)
             if dataclasses.is_dataclass(obj) and not isinstance(obj, type) else obj)
    try:
        fastavro.schemaless_writer(buffer, schema, datum)
    except Exception as err:  # noqa: BLE001 -- fastavro raises TypeError, ValueError, ...
        raise SerdeError(
            f"cannot serialize {type(obj).__name__} {obj!r:.80} as Avro {label}: "
            f"{type(err).__name__}: {err}"
        ) from None


def read_avro(data: bytes, start: int, writer: dict[str, Any],
              reader: dict[str, Any] | None, label: str) -> Any:
    """Decode the Avro body in ``data[start:]`` written with ``writer``, resolved to
    ``reader`` if given. The body must use every byte: leftovers mean the bytes were
    not written with this schema, so they raise ``SerdeError`` too."""
    buffer = io.BytesIO(data)
    buffer.seek(start)
    try:
        value = fastavro.schemaless_reader(buffer, writer, reader)
    except EOFError:
        raise SerdeError(
            f"cannot decode Avro {label}: the data ends before the record does "
            f"(truncated, or not written with this schema): {preview(data)}"
        ) from None
    except Exception as err:  # noqa: BLE001 -- corrupt bytes: IndexError, UnicodeDecodeError, ...
        raise SerdeError(
            f"cannot decode Avro {label}: {type(err).__name__}: {err} "
            f"(corrupt, or not written with this schema): {preview(data)}"
        ) from None
    if buffer.tell() != len(data):
        hint = ""
        if start == 0 and len(data) >= 5 and data[0] == 0:
            hint = ("; it starts like the Schema Registry wire format (magic byte 0): "
                    "configure registry_url= for this topic")
        raise SerdeError(
            f"cannot decode Avro {label}: {len(data) - buffer.tell()} bytes left after the "
            f"record (not written with this schema){hint}: {preview(data)}"
        )
    return value


class AvroSerde:
    """Avro with a schema both sides know (no registry, no header: body only).

    ``schema`` is the writer schema: a path to an ``.avsc`` file, JSON text, or a dict.
    ``reader_schema``, if given, is what ``deserialize`` returns records as (Avro
    schema resolution: added fields take their defaults, removed ones are dropped).

    >>> serde = AvroSerde({"type": "record", "name": "Click",
    ...                    "fields": [{"name": "page", "type": "string"},
    ...                               {"name": "ms", "type": "long"}]})
    >>> data = serde.serialize({"page": "/a", "ms": 5})
    >>> data
    b'\\x04/a\\n'
    >>> serde.deserialize(data)
    {'page': '/a', 'ms': 5}
    """

    __slots__ = ("_label", "_reader", "_writer", "reader_schema", "schema")

    def __init__(self, schema: SchemaSource, *, reader_schema: SchemaSource | None = None) -> None:
        self.schema: AvroSchema = load_schema(schema)
        self.reader_schema: AvroSchema | None = (
            None if reader_schema is None else load_schema(reader_schema))
        self._writer = parse_schema(self.schema)
        self._reader = (None if self.reader_schema is None
                        else parse_schema(self.reader_schema, "Avro reader schema"))
        self._label = schema_name(self.schema)

    def serialize(self, obj: Any) -> bytes | None:
        """Encode ``obj`` with the writer schema; ``None`` gives ``None``."""
        if obj is None:
            return None
        buffer = io.BytesIO()
        write_avro(buffer, self._writer, obj, self._label)
        return buffer.getvalue()

    def deserialize(self, data: bytes | None) -> Any:
        """Decode an Avro body; ``None`` gives ``None``."""
        if data is None:
            return None
        return read_avro(data, 0, self._writer, self._reader, self._label)

    def __repr__(self) -> str:
        return f"AvroSerde({self._label!r})"


_PRIMITIVE_TYPES = frozenset(
    ("null", "boolean", "int", "long", "float", "double", "bytes", "string"))


def _parse_json(text: str, what: str) -> AvroSchema:
    try:
        schema: AvroSchema = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        raise InvalidSerdeSpec(f"{what} is not valid JSON: {err}") from None
    return schema
