"""Errors raised by serdes.

:class:`SerdeError` means *this record's bytes or object are bad*: the runtime's
error policy routes the record to the dead-letter topic with the message as the
reason. The other errors mean *the configuration or the environment is bad* and
are not the record's fault, so they are never dead-lettered.
"""

from __future__ import annotations

from streamkit.log.errors import StreamkitError


class SerdeError(StreamkitError):
    """A value could not be serialized or a record's bytes could not be decoded.

    The message says what could not be handled and why, e.g.
    ``"cannot decode JSON: unexpected character: line 1 column 1 (char 0) in b'{oops'"``.
    """


class InvalidSerdeSpec(StreamkitError, ValueError):
    """A serde was configured wrongly: an unknown name, a missing or unreadable Avro
    schema. Raised when the topology is built, never for a single record."""


class SchemaRegistryError(StreamkitError):
    """The Schema Registry refused a request (e.g. an incompatible schema, HTTP 409)."""

    def __init__(self, message: str, *, status: int | None = None,
                 error_code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SchemaNotFound(SchemaRegistryError):
    """The registry has no schema with the requested id (HTTP 404, error code 40403)."""


class SchemaRegistryUnavailable(SchemaRegistryError):
    """The registry cannot be reached or failed on its side (5xx). Callers retry
    with backoff: the record itself is fine."""


def preview(data: bytes, limit: int = 32) -> str:
    """A short printable form of ``data`` for error messages.

    >>> preview(b"abc")
    "b'abc'"
    >>> preview(bytes(100), limit=4)
    "b'\\\\x00\\\\x00\\\\x00\\\\x00'... (100 bytes)"
    """
    if len(data) <= limit:
        return repr(bytes(data))
    return f"{bytes(data[:limit])!r}... ({len(data)} bytes)"
