"""A small Confluent Schema Registry client over urllib (no extra dependency).

It speaks the two calls a producer and a consumer need, from the registry's REST API:
``POST /subjects/{subject}/versions`` (register a schema, get its id) and
``GET /schemas/ids/{id}`` (fetch the schema an id names). Both answers are cached:
ids never change meaning, so each schema is registered and each id fetched once per
process.
"""

from __future__ import annotations

import base64
import functools
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import orjson

from streamkit.serde.errors import (
    InvalidSerdeSpec,
    SchemaNotFound,
    SchemaRegistryError,
    SchemaRegistryUnavailable,
)

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class SchemaRegistryClient:
    """Registers and fetches Avro schemas, caching both directions.

    ``url`` is the registry's base URL; credentials in it (``https://key:secret@host``)
    are sent as HTTP basic auth, as Confluent Cloud expects.
    """

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidSerdeSpec(
                f"schema registry URL {url!r} is not an http(s) URL: "
                "pass e.g. registry_url='http://localhost:8081'"
            )
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self._headers = {"Accept": _CONTENT_TYPE, "Content-Type": _CONTENT_TYPE}
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._timeout_s = timeout_s
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, str] = {}
        self._lock = threading.Lock()

    def register(self, subject: str, schema: str) -> int:
        """Register ``schema`` (Avro schema JSON text) under ``subject``; return its id.

        Registering a schema the subject already has returns the existing id, as the
        registry does. Incompatible schemas raise :class:`SchemaRegistryError`.
        """
        key = (subject, schema)
        schema_id = self._ids.get(key)
        if schema_id is None:
            path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions"
            answer = self._request("POST", path, {"schema": schema})
            schema_id = _int_field(answer, "id", path)
            with self._lock:
                self._ids[key] = schema_id
                self._schemas.setdefault(schema_id, schema)
        return schema_id

    def schema(self, schema_id: int) -> str:
        """The schema JSON text registered with id ``schema_id``.

        Raises :class:`SchemaNotFound` if the registry has no such id.
        """
        schema = self._schemas.get(schema_id)
        if schema is None:
            path = f"/schemas/ids/{schema_id}"
            answer = self._request("GET", path, None)
            schema = answer.get("schema") if isinstance(answer, dict) else None
            if not isinstance(schema, str):
                raise SchemaRegistryError(
                    f"schema registry at {self.url} answered GET {path} without a "
                    f"'schema' string: {answer!r:.200}")
            schema_type = answer.get("schemaType", "AVRO")
            if schema_type != "AVRO":
                raise SchemaNotFound(
                    f"schema id {schema_id} at {self.url} is a {schema_type} schema, "
                    "not Avro: this topic's data was written with another format's serializer")
            with self._lock:
                self._schemas[schema_id] = schema
        return schema

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = None if body is None else orjson.dumps(body)
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                return orjson.loads(response.read())
        except urllib.error.HTTPError as err:
            raise _http_error(err, method, self.url + path) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise SchemaRegistryUnavailable(
                f"cannot reach the schema registry at {self.url} ({reason}): "
                "check registry_url and that the registry is running; retrying may help"
            ) from None
        except orjson.JSONDecodeError as err:
            raise SchemaRegistryError(
                f"schema registry at {self.url} answered {method} {path} with non-JSON "
                f"({err}): is registry_url really a Schema Registry?"
            ) from None

    def __repr__(self) -> str:
        return f"SchemaRegistryClient({self.url!r})"


@functools.cache
def registry_client(url: str) -> SchemaRegistryClient:
    """The shared client for ``url``, so every topic's serdes share one cache."""
    return SchemaRegistryClient(url)


def _http_error(err: urllib.error.HTTPError, method: str, url: str) -> SchemaRegistryError:
    try:
        payload = orjson.loads(err.read())
    except (orjson.JSONDecodeError, OSError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    error_code = payload.get("error_code")
    message = payload.get("message") or err.reason
    text = f"schema registry {method} {url} failed with HTTP {err.code}: {message}"
    if err.code == 404 and "/schemas/ids/" in url:
        return SchemaNotFound(text, status=err.code, error_code=error_code)
    if err.code == 409:
        text += ("; the subject's compatibility rule rejects this schema: make the change "
                 "compatible (e.g. give new fields defaults) or change the subject's "
                 "compatibility level")
    if err.code in (401, 403):
        text += "; put credentials in registry_url, e.g. https://KEY:SECRET@host"
    if err.code >= 500:
        return SchemaRegistryUnavailable(text, status=err.code, error_code=error_code)
    return SchemaRegistryError(text, status=err.code, error_code=error_code)


def _int_field(answer: Any, field: str, path: str) -> int:
    value = answer.get(field) if isinstance(answer, dict) else None
    if not isinstance(value, int):
        raise SchemaRegistryError(
            f"schema registry answered {path} without an integer {field!r}: {answer!r:.200}")
    return value
