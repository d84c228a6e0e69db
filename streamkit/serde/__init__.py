"""Serdes: how a topic's keys and values become bytes and back.

>>> from streamkit.serde import get_serde
>>> serde = get_serde("json")
>>> serde.deserialize(serde.serialize({"n": 1}))
{'n': 1}
"""

from streamkit.serde.avro_serde import AvroSerde, load_schema
from streamkit.serde.errors import (
    InvalidSerdeSpec,
    SchemaNotFound,
    SchemaRegistryError,
    SchemaRegistryUnavailable,
    SerdeError,
)
from streamkit.serde.json_serde import JsonSerde
from streamkit.serde.primitive import BytesSerde, DoubleSerde, IntSerde, LongSerde, StringSerde
from streamkit.serde.protocol import Serde
from streamkit.serde.registry_avro import RegistryAvroSerde, subject_for
from streamkit.serde.resolve import SERDE_NAMES, AvroSpec, avro, get_serde
from streamkit.serde.schema_registry import SchemaRegistryClient, registry_client

__all__ = [
    "SERDE_NAMES",
    "AvroSerde",
    "AvroSpec",
    "BytesSerde",
    "DoubleSerde",
    "IntSerde",
    "InvalidSerdeSpec",
    "JsonSerde",
    "LongSerde",
    "RegistryAvroSerde",
    "SchemaNotFound",
    "SchemaRegistryClient",
    "SchemaRegistryError",
    "SchemaRegistryUnavailable",
    "Serde",
    "SerdeError",
    "StringSerde",
    "avro",
    "get_serde",
    "load_schema",
    "registry_client",
    "subject_for",
]
