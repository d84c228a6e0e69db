"""``get_serde``: turn what a user wrote for a topic (``value="json"``) into a Serde."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from streamkit.serde.avro_serde import AvroSerde, SchemaSource
from streamkit.serde.errors import InvalidSerdeSpec
from streamkit.serde.json_serde import JsonSerde
from streamkit.serde.primitive import BytesSerde, DoubleSerde, IntSerde, LongSerde, StringSerde
from streamkit.serde.protocol import Serde
from streamkit.serde.registry_avro import RegistryAvroSerde
from streamkit.serde.schema_registry import registry_client

_BY_NAME: dict[str, Callable[[], Serde]] = {
    "json": JsonSerde,
    "string": StringSerde,
    "str": StringSerde,
    "bytes": BytesSerde,
    "raw": BytesSerde,
    "int": IntSerde,
    "long": LongSerde,
    "double": DoubleSerde,
}

SERDE_NAMES = (*_BY_NAME, "avro")
"""Every name ``get_serde`` accepts."""


@dataclass(frozen=True, slots=True)
class AvroSpec:
    """An Avro serde still to be resolved for a topic: made by :func:`avro`."""

    schema: SchemaSource | None = None


def avro(schema: SchemaSource | None = None) -> AvroSpec:
    """Declare a topic's keys or values as Avro with ``schema`` (an ``.avsc`` path,
    JSON text or a dict), e.g. ``app.topic("clicks", value=avro("click.avsc"))``.

    When the topology is built, :func:`get_serde` makes it a plain :class:`AvroSerde`,
    or, if the app has a Schema Registry URL, a :class:`RegistryAvroSerde` registering
    under that topic's subject.

    >>> get_serde(avro('{"type": "long"}')).serialize(64)
    b'\\x80\\x01'
    """
    return AvroSpec(schema)


def get_serde(spec: str | Serde | AvroSpec, *, topic: str | None = None, is_key: bool = False,
              registry_url: str | None = None, schema: SchemaSource | None = None) -> Serde:
    """Resolve a topic's key or value serde, once, when the topology is built.

    ``spec`` is a Serde (returned as is), one of :data:`SERDE_NAMES`, or
    ``avro(schema)``. ``"avro"`` takes ``schema=`` (an ``.avsc`` path,
    JSON text or a dict); with ``registry_url`` it uses the Schema Registry wire
    format, registering ``schema`` under ``<topic>-value`` (or ``<topic>-key`` when
    ``is_key``).

    >>> get_serde("json")
    JsonSerde()
    >>> get_serde("int").serialize(1)
    b'\\x00\\x00\\x00\\x01'
    >>> get_serde("jsno")
    Traceback (most recent call last):
    ...
    streamkit.serde.errors.InvalidSerdeSpec: unknown serde 'jsno' (did you mean 'json'?): use one of json, string, str, bytes, raw, int, long, double, avro, or pass an object with serialize() and deserialize() methods
    """
    if isinstance(spec, AvroSpec):
        if schema is not None:
            raise InvalidSerdeSpec("pass the schema once: avro(schema) or schema=, not both")
        return _avro_serde(spec.schema, topic=topic, is_key=is_key, registry_url=registry_url)
    if not isinstance(spec, str):
        if isinstance(spec, type):
            raise InvalidSerdeSpec(
                f"got the class {spec.__name__} as a serde: pass an instance, "
                f"e.g. {spec.__name__}()")
        if isinstance(spec, Serde):
            return spec
        raise InvalidSerdeSpec(
            f"{spec!r:.80} is not a serde: pass one of {', '.join(SERDE_NAMES)}, or an "
            "object with serialize(obj) -> bytes and deserialize(bytes) -> obj methods")
    name = spec.strip().lower()
    if name == "avro":
        return _avro_serde(schema, topic=topic, is_key=is_key, registry_url=registry_url)
    factory = _BY_NAME.get(name)
    if factory is None:
        raise InvalidSerdeSpec(f"unknown serde {spec!r}{_suggestion(name)}: use one of "
                               f"{', '.join(SERDE_NAMES)}, or pass an object with "
                               "serialize() and deserialize() methods")
    if schema is not None:
        raise InvalidSerdeSpec(f"schema= only applies to the avro serde, not {spec!r}: "
                               "use get_serde('avro', schema=...) or drop schema=")
    return factory()


def _avro_serde(schema: SchemaSource | None, *, topic: str | None, is_key: bool,
                registry_url: str | None) -> Serde:
    if registry_url is None:
        if schema is None:
            raise InvalidSerdeSpec(
                "the avro serde needs a schema: pass schema='path/to/schema.avsc' or a "
                "schema dict, or registry_url= to read schemas from a Schema Registry")
        return AvroSerde(schema)
    if schema is not None and topic is None:
        raise InvalidSerdeSpec(
            "the Schema Registry avro serde needs topic= to name the subject it registers "
            "its schema under (<topic>-value or <topic>-key)")
    return RegistryAvroSerde(registry_client(registry_url), schema=schema, topic=topic,
                             is_key=is_key)


def _suggestion(name: str) -> str:
    close = difflib.get_close_matches(name, SERDE_NAMES, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
