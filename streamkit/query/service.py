"""``--serve``: everything a worker adds to answer queries, behind three calls.

The run loop makes a :class:`QueryService` once its topics exist, and hands the
worker a state factory that keeps the service's directory in step with its tasks::

    service = QueryService(app, broker, "0.0.0.0:8080")
    service.start()
    factory = service.queryable(task_state_factory(app.name, state_dir, broker))
    Worker(app, broker, options, state_factory=factory).run(stop)
    service.close()   # on shutdown, after the worker stopped

(A task's stores become queryable once restored, and stop being so before its
state closes: see :func:`queryable_state`.)

The directory is the only thing the processing thread touches; the HTTP server
and the instances topic run on their own daemon threads with their own clients.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping, Sequence
from typing import Any

from streamkit.log.broker import Broker, Producer
from streamkit.log.errors import StreamkitError
from streamkit.log.records import TopicPartition
from streamkit.processor import StoreSpec, TaskId
from streamkit.query.catalog import store_routes
from streamkit.query.directory import StoreDirectory
from streamkit.query.http_server import QueryServer
from streamkit.query.instances import InstanceMembership
from streamkit.runtime.task_state import StateFactory, TaskState

log = logging.getLogger("streamkit.query")


class BadServeAddress(StreamkitError):
    """``--serve`` was not ``HOST:PORT``."""


def parse_serve_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``:PORT`` means every interface) as ``(host, port)``.

    >>> parse_serve_address("127.0.0.1:8080"), parse_serve_address(":9000")
    (('127.0.0.1', 8080), ('0.0.0.0', 9000))
    """
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise BadServeAddress(f"--serve {text!r} is not HOST:PORT: e.g. --serve 127.0.0.1:8080 "
                              "or --serve 0.0.0.0:8080 to accept queries from other hosts")
    return host.strip("[]") or "0.0.0.0", int(port)


def advertised_address(host: str, port: int) -> str:
    """The address other instances reach this one at: the host name when bound to
    every interface, else the bound host."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    return f"{host}:{port}"


class QueryService:
    """The HTTP query server of one worker, its store directory and its
    membership in ``<app>-instances``."""

    def __init__(self, app: Any, broker: Broker, serve: str, *,
                 advertised: str | None = None, instance_id: str | None = None) -> None:
        self.app = app
        self.broker = broker
        self.host, self.port = parse_serve_address(serve)
        self._advertised = advertised
        self._instance_id = instance_id
        self.directory = StoreDirectory()
        self.server: QueryServer | None = None
        self.membership: InstanceMembership | None = None

    def start(self) -> None:
        """Bind the port and start serving; the app's topics must exist."""
        routes = store_routes(self.app.topology)
        admin = self.broker.admin()
        try:
            topics = {route.source_topic for route in routes.values()}
            counts = {t: admin.describe_topic(t).partitions for t in topics}
        finally:
            admin.close()
        partitions = {name: counts[route.source_topic] for name, route in routes.items()}
        try:
            server = QueryServer(self.app.name, routes, partitions, self.directory,
                                 host=self.host, port=self.port)
        except OSError as error:
            raise BadServeAddress(f"cannot serve queries on {self.host}:{self.port} ({error}): "
                                  "pick a free port with --serve HOST:PORT") from error
        address = self._advertised or advertised_address(self.host, server.port)
        server.address = address
        self.membership = InstanceMembership(self.broker, self.app.name,
                                             self._instance_id or address, address,
                                             self.directory)
        server.owners = self.membership.owners
        self.membership.start()
        server.start()
        self.server = server

    def queryable(self, factory: StateFactory) -> StateFactory:
        """``factory`` whose task states register their stores with this service."""
        return queryable_state(factory, self.directory)

    @property
    def address(self) -> str | None:
        """Where this instance answers queries, once started."""
        return None if self.server is None else self.server.address

    def close(self) -> None:
        """Stop serving and withdraw this instance from ``<app>-instances``."""
        self.directory.clear()
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.membership is not None:
            self.membership.close()
            self.membership = None


def queryable_state(factory: StateFactory, directory: StoreDirectory) -> StateFactory:
    """Wrap a runtime state factory so each task's stores are registered in
    ``directory`` after :meth:`~TaskState.restore` and unregistered before
    :meth:`~TaskState.close` (a restore may reopen a store; a closed one must never
    be read)."""

    def make(task_id: TaskId, specs: Sequence[StoreSpec]) -> TaskState:
        return _QueryableTaskState(factory(task_id, specs), task_id,
                                   [spec.name for spec in specs], directory)

    return make


class _QueryableTaskState:
    """A task's state that keeps the directory informed; otherwise delegates."""

    def __init__(self, inner: TaskState, task_id: TaskId, store_names: list[str],
                 directory: StoreDirectory) -> None:
        self._inner, self._task_id = inner, task_id
        self._store_names, self._directory = store_names, directory

    def restore(self) -> int:
        replayed = self._inner.restore()
        self._directory.register_task(self._task_id, self._inner, self._store_names)
        return replayed

    def get_store(self, name: str) -> Any:
        return self._inner.get_store(name)

    def write_changelog(self, producer: Producer) -> None:
        self._inner.write_changelog(producer)

    def pending_changelogs(self) -> list[TopicPartition]:
        return self._inner.pending_changelogs()

    def commit(self, changelog_ends: Mapping[TopicPartition, int] | None = None) -> None:
        self._inner.commit(changelog_ends)

    def abort(self) -> None:
        self._inner.abort()

    def close(self) -> None:
        self._directory.unregister(self._task_id)
        self._inner.close()
