"""``streamkit run APP.py[:name]``: run a stream app."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from streamkit.cli.common import BrokerOption, reports_errors
from streamkit.runtime.collector import YOUNG_THRESHOLD
from streamkit.runtime.workers import LOG_FORMAT, RunConfig
from streamkit.runtime.workers import run as run_app
from streamkit.state.layout import DEFAULT_STATE_ROOT


@reports_errors
def run(
    app: Annotated[str, typer.Argument(help="The app file, optionally :NAME of the App "
                                            "variable (e.g. examples/wordcount.py:app).")],
    broker: BrokerOption = None,
    workers: Annotated[int, typer.Option("--workers", min=1,
                                         help="Worker processes, each a group member.")] = 1,
    until_idle: Annotated[float | None, typer.Option(
        "--until-idle", metavar="SECONDS",
        help="Exit 0 once no worker has processed a record for this long.")] = None,
    guarantee: Annotated[str | None, typer.Option(
        "--guarantee", help="at-least-once or exactly-once (default: the App's).")] = None,
    state_dir: Annotated[Path, typer.Option(
        "--state-dir", help="Where local state lives (per app: DIR/<app>/).")]
    = DEFAULT_STATE_ROOT,
    serve: Annotated[str | None, typer.Option(
        "--serve", metavar="HOST:PORT",
        help="Answer HTTP queries for the app's stores on HOST:PORT (worker i of "
             "--workers N on PORT+i); see docs/queries.md.")] = None,
    gc_threshold: Annotated[int, typer.Option(
        "--gc-threshold", min=0, metavar="ALLOCATIONS",
        help="Net allocations between runs of Python's cyclic garbage collector while "
             "processing (Python's default: 700); 0 leaves the collector as it is. See "
             "docs/cli.md.")] = YOUNG_THRESHOLD,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log warnings only.")] = False,
) -> None:
    """Run a stream app: create its missing topics, then process until stopped
    (SIGTERM/SIGINT: finish in-flight records, checkpoint, leave the group, exit 0)."""
    level = logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format=LOG_FORMAT)
    code = run_app(RunConfig(app, broker, workers, until_idle, guarantee, state_dir, level, serve,
                               gc_threshold))
    if code:
        raise typer.Exit(code)
