"""Running an app: load it from a file, then run one worker in this process or N
worker processes (``multiprocessing`` spawn), each a member of the app's group.

Stops on SIGTERM/SIGINT (forwarded to the workers) or, with ``until_idle_s``,
once every worker has processed nothing for that long.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import runpy
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from streamkit.log.errors import StreamkitError
from streamkit.log.url import open_broker
from streamkit.runtime.collector import YOUNG_THRESHOLD, tuned_collector
from streamkit.runtime.identity import stable_worker_id
from streamkit.runtime.loop.activity import JOIN_GRACE_S
from streamkit.runtime.loop.worker import Worker, WorkerOptions
from streamkit.runtime.task_state import task_state_factory
from streamkit.runtime.topics import prepare_topics
from streamkit.state.layout import DEFAULT_STATE_ROOT, app_state_dir

log = logging.getLogger("streamkit.run")

LOG_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"


class AppNotFound(StreamkitError):
    """The app file has no App, several (without a name), or not the named one."""


@dataclass(frozen=True, slots=True)
class RunConfig:
    """What ``streamkit run`` was asked to do."""

    app_ref: str  # "path/to/app.py" or "path/to/app.py:variable"
    broker_url: str | None = None
    workers: int = 1
    until_idle_s: float | None = None
    guarantee: str | None = None
    state_root: Path = DEFAULT_STATE_ROOT
    log_level: int = logging.INFO
    serve: str | None = None  # "HOST:PORT" for HTTP queries; worker i serves on PORT+i
    gc_threshold: int = YOUNG_THRESHOLD  # see streamkit.runtime.collector; 0: Python's own


def load_app(app_ref: str) -> Any:
    """The App a ``FILE.py[:name]`` reference points to."""
    from streamkit.dsl.app import App, find_apps

    path, _, name = app_ref.partition(":") if not os.path.exists(app_ref) else (app_ref, "", "")
    if not os.path.isfile(path):
        raise AppNotFound(f"no app file {path!r}: pass the path of a Python file, e.g. "
                          "streamkit run examples/wordcount.py")
    namespace = runpy.run_path(path, run_name="__streamkit_app__")
    apps = find_apps(namespace)
    if name:
        if name not in apps:
            raise AppNotFound(f"{path} has no App named {name!r}: it has "
                              f"{sorted(apps) or 'none'}")
        app = apps[name]
    elif len(apps) == 1:
        app = next(iter(apps.values()))
    elif not apps:
        raise AppNotFound(f"{path} defines no App: create one at module level, e.g. "
                          "app = App('my-app')")
    else:
        raise AppNotFound(f"{path} defines several Apps ({', '.join(sorted(apps))}): pick one "
                          f"with {path}:NAME")
    assert isinstance(app, App)
    return app


def worker_options(app: Any, config: RunConfig, index: int) -> WorkerOptions:
    from streamkit.dsl.app import Guarantee

    guarantee = Guarantee.parse(config.guarantee) if config.guarantee else app.guarantee
    state_dir = app_state_dir(app.name, app.state_dir or config.state_root)
    if config.workers > 1:  # each process its own RocksDB directories (no lock conflicts)
        state_dir = state_dir / f"worker-{index}"
    return WorkerOptions(
        # unique per state directory (per host), so separate `streamkit run`s never
        # share a transactional id; stable across restarts
        worker_id=f"{stable_worker_id(state_dir)}-{index}",
        exactly_once=guarantee is Guarantee.EXACTLY_ONCE,
        commit_interval_ms=app.commit_interval_ms,
        order_wait_ms=app.order_wait_ms,
        buffered_records_per_partition=app.buffered_records_per_partition,
        state_dir=state_dir,
    )


def prepare(config: RunConfig) -> Any:
    """Load the app and create its missing topics, failing early with a clear error."""
    if config.serve:
        from streamkit.query.service import parse_serve_address

        parse_serve_address(config.serve)  # a bad address fails before anything starts
    app = load_app(config.app_ref)
    broker = open_broker(config.broker_url)
    try:
        admin = broker.admin()
        try:
            prepare_topics(admin, app.topology, dead_letter_topic=app.dead_letter_topic)
        finally:
            admin.close()
    finally:
        broker.close()
    return app


def run(config: RunConfig) -> int:
    """Run the app until stopped; the process exit code."""
    app = prepare(config)
    if config.workers <= 1:
        return _run_here(app, config)
    return _run_processes(config)


def _run_here(app: Any, config: RunConfig) -> int:
    stop = threading.Event()
    _on_signals(lambda: stop.set())
    _run_worker(app, config, 0, stop, None, config.until_idle_s)
    return 0


def _run_worker(app: Any, config: RunConfig, index: int, stop: Any, activity: Any,
                until_idle_s: float | None) -> None:
    """One worker on its own broker connection, with its query server if asked for."""
    broker = open_broker(config.broker_url)
    service = None
    try:
        options = worker_options(app, config, index)
        state_factory = task_state_factory(app.name, options.state_dir, broker)
        if config.serve:
            from streamkit.query import QueryService
            from streamkit.query.service import parse_serve_address

            host, port = parse_serve_address(config.serve)
            service = QueryService(app, broker, f"{host}:{port + index}")
            service.start()
            state_factory = service.queryable(state_factory)
        worker = Worker(app, broker, options, state_factory=state_factory)
        with tuned_collector(config.gc_threshold):
            worker.run(stop, activity, until_idle_s=until_idle_s)
    finally:
        if service is not None:
            service.close()
        broker.close()


class _SharedActivity:
    """A worker process's slot in arrays shared with the parent."""

    def __init__(self, index: int, last_active: Any, joined: Any) -> None:
        self.index, self.last_active, self.joined_flags = index, last_active, joined

    def joined(self) -> None:
        self.joined_flags[self.index] = 1
        self.last_active[self.index] = time.time()

    def active(self) -> None:
        self.last_active[self.index] = time.time()


def _worker_process(config: RunConfig, index: int, stop: Any, last_active: Any,
                    joined: Any) -> None:
    logging.basicConfig(level=config.log_level, format=LOG_FORMAT)
    _on_signals(lambda: stop.set())
    app = load_app(config.app_ref)
    try:
        _run_worker(app, config, index, stop, _SharedActivity(index, last_active, joined), None)
    except StreamkitError as error:
        log.error("worker %d stopped: %s", index, error)
        raise SystemExit(1) from None


def _run_processes(config: RunConfig) -> int:
    ctx = multiprocessing.get_context("spawn")
    n = config.workers
    stop = ctx.Event()
    last_active = ctx.Array("d", [time.time()] * n, lock=False)
    joined = ctx.Array("b", [0] * n, lock=False)
    procs = [ctx.Process(target=_worker_process, name=f"worker-{i}",
                         args=(replace(config), i, stop, last_active, joined))
             for i in range(n)]
    for p in procs:
        p.start()
    _on_signals(lambda: stop.set())
    started = time.time()
    while not stop.is_set():
        time.sleep(0.2)
        if any(p.exitcode not in (None, 0) for p in procs):
            log.error("a worker failed: stopping the others")
            stop.set()
        elif all(p.exitcode is not None for p in procs):
            break
        if config.until_idle_s is not None:
            everyone_joined = all(joined) or time.time() - started > JOIN_GRACE_S
            if any(joined) and everyone_joined and \
                    time.time() - max(last_active) >= config.until_idle_s:
                log.info("all workers idle for %.1fs: stopping", config.until_idle_s)
                stop.set()
    for p in procs:
        p.join()
    return 0 if all(p.exitcode == 0 for p in procs) else 1


def _on_signals(callback: Any) -> None:
    def handle(signum: int, frame: object) -> None:
        log.info("received %s: finishing in-flight records and checkpointing",
                 signal.Signals(signum).name)
        callback()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
