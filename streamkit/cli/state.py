"""``streamkit state``: read the stores of an app that ran on this machine.

Prints one JSON document per entry (``key``, ``value``, ``task``; ``start`` and
``end`` for window stores). Reads the committed RocksDB state under the state
directory, read-only; to ask a *running* app, start it with ``--serve`` and use
HTTP (docs/queries.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from streamkit.cli.common import CliError, reports_errors
from streamkit.processor import TaskId
from streamkit.query.catalog import StoreRoute, describe_stores, find_route, store_routes
from streamkit.query.reads import entry_document, parse_key, to_json
from streamkit.runtime.workers import load_app
from streamkit.state.layout import DEFAULT_STATE_ROOT, app_state_dir
from streamkit.state.query import StoredEntry, changelog_offsets, get_value, read_store

app = typer.Typer(help="Read the state stores of an app that ran on this machine.",
                  no_args_is_help=True)

AppArgument = Annotated[str, typer.Argument(
    help="The app file, optionally :NAME of the App variable (as for `streamkit run`).")]
StoreArgument = Annotated[str, typer.Argument(help="The store's name (`streamkit state stores` lists them).")]
StateDirOption = Annotated[Path, typer.Option(
    "--state-dir", help="The state directory the app ran with (per app: DIR/<app>/).")]
KeyFormatOption = Annotated[str, typer.Option(
    "--key-format", help="string: the key as typed; json: parse it (numbers, lists).")]


class NoLocalState(CliError):
    """No state of the store exists where this machine keeps it."""


@app.command("stores")
@reports_errors
def stores(app_ref: AppArgument, state_dir: StateDirOption = DEFAULT_STATE_ROOT) -> None:
    """List the app's stores and the tasks whose state is on this machine."""
    loaded = load_app(app_ref)
    root = _state_root(loaded, state_dir)
    for name, route in sorted(store_routes(loaded.topology).items()):
        tasks = sorted(_freshest_copies(root, loaded.name, name)) if route.spec.persistent else []
        typer.echo(to_json({"store": name, "kind": route.kind, "persistent": route.spec.persistent,
                            "local_tasks": [str(t) for t in tasks]}).decode())


@app.command("get")
@reports_errors
def get(app_ref: AppArgument, store: StoreArgument,
        key: Annotated[str, typer.Argument(help="The key to look up.")],
        state_dir: StateDirOption = DEFAULT_STATE_ROOT,
        key_format: KeyFormatOption = "string") -> None:
    """Print the committed value of KEY (one line per window for a window store);
    exit 1 if the store has no such key."""
    loaded, route, root = _open(app_ref, store, state_dir)
    wanted = parse_key(key, key_format)
    entries = [entry for location, tasks in _locations(root, loaded.name, store)
               for entry in get_value(location[0], location[1], route.spec, wanted)
               if entry.task_id in tasks]
    if not entries:
        raise CliError(f"no key {wanted!r} in store {store!r} of app {loaded.name!r} "
                       f"(state under {app_state_dir(loaded.name, root)})")
    for entry in entries:
        typer.echo(to_json(entry_document(entry)).decode())


@app.command("scan")
@reports_errors
def scan(app_ref: AppArgument, store: StoreArgument,
         prefix: Annotated[str | None, typer.Option(
             "--prefix", help="Only keys starting with this (string keys).")] = None,
         limit: Annotated[int | None, typer.Option("--limit", min=1,
                                                   help="Print at most N entries.")] = None,
         state_dir: StateDirOption = DEFAULT_STATE_ROOT,
         key_format: KeyFormatOption = "string") -> None:
    """Print the store's committed entries, task by task in key order."""
    loaded, route, root = _open(app_ref, store, state_dir)
    wanted = None if prefix is None else parse_key(prefix, key_format)
    entries = _scan(root, loaded.name, route, wanted)
    for entry in itertools.islice(entries, limit):
        typer.echo(to_json(entry_document(entry)).decode())


def _scan(root: Path, app_name: str, route: StoreRoute, prefix: Any) -> Iterator[StoredEntry]:
    for location, tasks in _locations(root, app_name, route.name):
        for entry in read_store(location[0], location[1], route.spec, prefix=prefix):
            if entry.task_id in tasks:
                yield entry


def _open(app_ref: str, store: str, state_dir: Path) -> tuple[Any, StoreRoute, Path]:
    loaded = load_app(app_ref)
    route = find_route(store_routes(loaded.topology), store, loaded.name)
    if not route.spec.persistent:
        raise CliError(f"store {store!r} of app {loaded.name!r} is in memory "
                       "(StoreSpec(persistent=False)): it exists only inside the running app; "
                       "run it with --serve HOST:PORT and query it over HTTP")
    root = _state_root(loaded, state_dir)
    if not _freshest_copies(root, loaded.name, store):
        routes = store_routes(loaded.topology)
        raise NoLocalState(
            f"no local state for store {store!r} of app {loaded.name!r}: looked in "
            f"{app_state_dir(loaded.name, root).resolve()}. State is local to the machine "
            "that ran the app: run it here first (streamkit run), from the same directory "
            f"or with the same --state-dir. (The app's stores: {', '.join(describe_stores(routes))})")
    return loaded, route, root


def _state_root(loaded: Any, state_dir: Path) -> Path:
    # The same precedence as `streamkit run`: the App's own state_dir wins.
    return Path(loaded.state_dir or state_dir)


Location = tuple[Path, str]
"""``(root, name)`` such that ``root/name`` holds task directories: what
:mod:`streamkit.state.query` takes as ``(state_root, app_name)``."""


def _candidate_locations(root: Path, app_name: str) -> list[Location]:
    """The app's directory, and each worker's under it (``--workers N`` gives each
    worker process its own ``worker-<i>`` directory)."""
    app_dir = app_state_dir(app_name, root)
    workers = sorted(p.name for p in app_dir.glob("worker-*") if p.is_dir()) \
        if app_dir.is_dir() else []
    return [(root, app_name)] + [(app_dir, name) for name in workers]


def _freshest_copies(root: Path, app_name: str, store: str) -> dict[TaskId, Location]:
    """For each task, the location of its most recent copy of the store: a task
    that moved between workers (or between runs with different --workers) leaves
    an older copy behind; the highest committed changelog offset wins."""
    best: dict[TaskId, tuple[int, Location]] = {}
    for location in _candidate_locations(root, app_name):
        for task_id, offset in changelog_offsets(location[0], location[1], store).items():
            rank = -1 if offset is None else offset
            if task_id not in best or rank > best[task_id][0]:
                best[task_id] = (rank, location)
    return {task_id: location for task_id, (_, location) in best.items()}


def _locations(root: Path, app_name: str, store: str) -> list[tuple[Location, set[TaskId]]]:
    """Each location to read, with the tasks whose freshest copy it holds."""
    by_location: dict[Location, set[TaskId]] = {}
    for task_id, location in _freshest_copies(root, app_name, store).items():
        by_location.setdefault(location, set()).add(task_id)
    return sorted(by_location.items(), key=lambda item: min(item[1]))
