"""Interactive queries over HTTP: a running app answers GETs for the keys of its
tables and stores (``streamkit run APP.py --serve HOST:PORT``).

Routes (every answer is JSON):

* ``GET /stores``: the app's stores, their kinds, and the tasks/partitions this
  instance holds, plus the instances it knows of;
* ``GET /stores/<store>/keys/<key>``: 200 ``{"key", "value", "task", "partition"}``
  (a window store answers ``"windows": [{"start", "end", "value"}]``); 404 when
  the key is absent. When another instance holds the key's partition: 404 with
  ``{"owner": "host:port" | null, "partition": p}``: ask the owner;
* ``GET /stores/<store>?prefix=P&limit=N``: the entries of the partitions held
  here (``limit`` defaults to 100, at most 10000), ``"truncated"`` if more exist.

Keys and prefixes are taken as strings; add ``key_format=json`` to give them as
JSON (numbers, lists). Percent-encode ``/`` in keys. Reads see committed state
only (see :mod:`streamkit.query.directory`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from streamkit.log.errors import StreamkitError
from streamkit.processor import TaskId
from streamkit.query.catalog import StoreRoute, describe_stores
from streamkit.query.directory import QueryableStore, StoreDirectory
from streamkit.query.instances import OwnerMap, locate_key
from streamkit.query.reads import entry_document, parse_key, to_json
from streamkit.state.query import get_committed, scan_committed

log = logging.getLogger("streamkit.query")

DEFAULT_SCAN_LIMIT = 100
MAX_SCAN_LIMIT = 10_000


class QueryError(StreamkitError):
    """A request the server answers with an error status and a message."""

    def __init__(self, status: HTTPStatus, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.details = details


class QueryServer:
    """Answers store queries from a :class:`StoreDirectory`, on a daemon thread.

    ``partitions`` gives, per store, the partition count of the topic feeding it
    (see :class:`~streamkit.query.catalog.StoreRoute`); ``owners`` is the map of
    other instances (``None``: this instance is alone, nobody else to point to);
    ``advertised`` is the address other instances and clients use for this one
    (default: the bound ``host:port``)."""

    def __init__(self, app_name: str, routes: Mapping[str, StoreRoute], partitions: Mapping[str, int],
                 directory: StoreDirectory, *, host: str = "127.0.0.1", port: int = 0,
                 owners: OwnerMap | None = None, advertised: str | None = None) -> None:
        self.app_name = app_name
        self.routes = dict(routes)
        self.partitions = dict(partitions)
        self.directory = directory
        self.owners = owners
        self._http = ThreadingHTTPServer((host, port), _Handler)
        self._http.daemon_threads = True
        self._http.query_server = self  # type: ignore[attr-defined]
        bound_host, bound_port = self._http.server_address[:2]
        self.address = advertised or f"{bound_host!s}:{bound_port}"
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        return int(self._http.server_address[1])

    def start(self) -> None:
        """Serve on a daemon thread."""
        # A short poll interval only makes close() (and so worker shutdown) quicker.
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,),
                                        name="streamkit-query", daemon=True)
        self._thread.start()
        log.info("answering queries for app %s on http://%s", self.app_name, self.address)

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join()
            self._thread = None
        self._http.server_close()

    # -- answers (plain methods, so they read like the routes above) --------------------

    def list_stores(self) -> dict[str, Any]:
        stores = []
        for name, route in sorted(self.routes.items()):
            tasks = self.directory.owned_tasks(name)
            stores.append({"name": name, "kind": route.kind, "topic": route.source_topic,
                           "topic_partitions": self.partitions.get(name),
                           "tasks": [str(t) for t in tasks],
                           "partitions": [t.partition for t in tasks],
                           "persistent": route.spec.persistent})
        instances = [] if self.owners is None else [
            {"instance_id": i.instance_id, "address": i.address,
             "tasks": sorted(str(t) for t in i.tasks)} for i in self.owners.instances()]
        return {"app": self.app_name, "address": self.address, "stores": stores,
                "instances": instances}

    def get_key(self, store_name: str, key_text: str, key_format: str) -> dict[str, Any]:
        route = self._route(store_name)
        key = parse_key(key_text, key_format)
        partitions = self.partitions[store_name]
        task_id = route.task_of(key, partitions)
        held, entries = self.directory.read(
            store_name, task_id, lambda store: get_committed(store.spec, store.backend, task_id, key))
        if not held:
            location = locate_key(route, key, partitions,
                                  [] if self.owners is None else self.owners.instances())
            owner = None if location.owner == self.address else location.owner
            raise QueryError(HTTPStatus.NOT_FOUND,
                             f"partition {task_id.partition} of store {store_name!r} is not "
                             "held by this instance" + (f": ask {owner}" if owner else
                                                        " and its owner is not known (yet)"),
                             key=key, partition=task_id.partition, owner=owner)
        if not entries:
            raise QueryError(HTTPStatus.NOT_FOUND, f"no key {key!r} in store {store_name!r}",
                             key=key, partition=task_id.partition, owner=self.address)
        document: dict[str, Any] = {"key": key, "task": str(task_id),
                                    "partition": task_id.partition}
        if route.kind == "window":
            document["windows"] = [{"start": e.start, "end": e.end, "value": e.value}
                                   for e in entries]
        else:
            document["value"] = entries[0].value
        return document

    def scan(self, store_name: str, prefix_text: str | None, limit_text: str | None,
             key_format: str) -> dict[str, Any]:
        self._route(store_name)
        prefix = None if prefix_text is None else parse_key(prefix_text, key_format)
        limit = _parse_limit(limit_text)

        def read(task_id: TaskId, store: QueryableStore) -> list[dict[str, Any]]:
            entries = scan_committed(store.spec, store.backend, task_id, prefix)
            return [entry_document(e) for e in itertools.islice(entries, limit + 1)]

        documents = [d for task_docs in self.directory.read_all(store_name, read) for d in task_docs]
        return {"store": store_name, "tasks": [str(t) for t in self.directory.owned_tasks(store_name)],
                "entries": documents[:limit], "truncated": len(documents) > limit}

    def _route(self, store_name: str) -> StoreRoute:
        route = self.routes.get(store_name)
        if route is None:
            raise QueryError(HTTPStatus.NOT_FOUND,
                             f"app {self.app_name!r} has no store {store_name!r}",
                             stores=describe_stores(self.routes))
        return route


def _parse_limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_SCAN_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_SCAN_LIMIT:
        raise QueryError(HTTPStatus.BAD_REQUEST,
                         f"limit must be a whole number from 1 to {MAX_SCAN_LIMIT}, got {text!r}")
    return int(text)


class _Handler(BaseHTTPRequestHandler):
    server_version = "streamkit-query"

    def do_GET(self) -> None:
        query_server: QueryServer = self.server.query_server  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        key_format = params.get("key_format", "string")
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        if parts and parts[-1] == "" and len(parts) > 1:
            parts = parts[:-1]  # tolerate a trailing slash
        try:
            if parts == ["stores"]:
                body = query_server.list_stores()
            elif len(parts) == 2 and parts[0] == "stores":
                body = query_server.scan(parts[1], params.get("prefix"), params.get("limit"),
                                         key_format)
            elif len(parts) == 4 and parts[0] == "stores" and parts[2] == "keys":
                body = query_server.get_key(parts[1], parts[3], key_format)
            else:
                raise QueryError(HTTPStatus.NOT_FOUND,
                                 f"no route {url.path!r}: use /stores, /stores/<store> or "
                                 "/stores/<store>/keys/<key>")
            self._answer(HTTPStatus.OK, body)
        except QueryError as error:
            self._answer(error.status, {"error": str(error), **error.details})
        except StreamkitError as error:  # bad key, key the serde cannot encode...
            self._answer(HTTPStatus.BAD_REQUEST, {"error": str(error)})
        except Exception as error:
            log.exception("query %s failed", self.path)
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": repr(error)})

    def _answer(self, status: HTTPStatus, body: Any) -> None:
        payload = to_json(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("query %s", format % args)
