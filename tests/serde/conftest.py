"""A stand-in Schema Registry: a real HTTP server speaking the two calls of
Confluent's REST API that Avro serializers use. It is NOT Confluent's server; it
implements the documented request/response shapes:

- ``POST /subjects/{subject}/versions`` with ``{"schema": "..."}`` -> ``{"id": n}``;
  one id per distinct schema across subjects, as the real registry assigns them.
- ``GET /schemas/ids/{id}`` -> ``{"schema": "..."}``, or HTTP 404 with
  ``{"error_code": 40403, "message": "Schema 7 not found"}``.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest


@dataclass
class StandInRegistry:
    url: str = ""
    schemas: dict[int, str] = field(default_factory=dict)
    subjects: dict[str, list[int]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)
    incompatible_subjects: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, subject: str, schema: str) -> tuple[int, dict[str, Any]]:
        if subject in self.incompatible_subjects:
            return 409, {"error_code": 409, "message": "Schema being registered is "
                         f"incompatible with an earlier schema for subject {subject!r}"}
        canonical = orjson.dumps(orjson.loads(schema), option=orjson.OPT_SORT_KEYS).decode()
        with self.lock:
            for schema_id, known in self.schemas.items():
                if known == canonical:
                    break
            else:
                schema_id = len(self.schemas) + 1
                self.schemas[schema_id] = canonical
            versions = self.subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
        return 200, {"id": schema_id}

    def lookup(self, schema_id: int) -> tuple[int, dict[str, Any]]:
        schema = self.schemas.get(schema_id)
        if schema is None:
            return 404, {"error_code": 40403, "message": f"Schema {schema_id} not found"}
        return 200, {"schema": schema}

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.requests if m == method)


def _handler(registry: StandInRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            path = self._record("POST")
            body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
                self._answer(*registry.register(urllib.parse.unquote(parts[1]), body["schema"]))
            else:
                self._answer(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

        def do_GET(self) -> None:
            parts = self._record("GET").strip("/").split("/")
            if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and parts[2].isdigit():
                self._answer(*registry.lookup(int(parts[2])))
            else:
                self._answer(404, {"error_code": 404, "message": "HTTP 404 Not Found"})

        def _record(self, method: str) -> str:
            path = urllib.parse.urlsplit(self.path).path
            registry.requests.append((method, path))
            registry.authorization.append(self.headers.get("Authorization"))
            return path

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            body = orjson.dumps(payload)
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def registry() -> Iterator[StandInRegistry]:
    """A running stand-in registry on a free localhost port."""
    state = StandInRegistry()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
