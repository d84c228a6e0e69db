"""What every CLI command shares: the ``--broker`` option, opening the broker, turning
streamkit errors into a one-line message and exit code 1, and value formats."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from streamkit.log import Broker, StreamkitError, open_broker
from streamkit.log.url import BROKER_ENV
from streamkit.serde import Serde, get_serde

P = ParamSpec("P")
R = TypeVar("R")

BrokerOption = Annotated[
    str | None,
    typer.Option(
        "--broker",
        envvar=BROKER_ENV,
        show_envvar=True,
        help="kafka://HOST:PORT[,HOST:PORT] or embedded://DIR (default: embedded ./.streamkit).",
    ),
]

ValueFormatOption = Annotated[
    str,
    typer.Option("--value-format", help="How values are encoded: json, string, bytes or avro."),
]

SchemaOption = Annotated[
    Path | None,
    typer.Option("--schema", exists=True, dir_okay=False, help="Avro schema (.avsc) for --value-format avro."),
]


class CliError(StreamkitError):
    """A mistake in how a command was called, explained to the user."""


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print a :class:`StreamkitError` as ``error: …`` on stderr and exit 1, without
    a traceback: such errors are the user's to fix, and their messages say how."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except StreamkitError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None

    return run


def connect(url: str | None) -> Broker:
    """Open the broker named by ``--broker`` / ``$STREAMKIT_BROKER`` (embedded by default)."""
    # librdkafka's transient connection chatter is not for the CLI's user.
    logging.getLogger("streamkit.log.kafka").setLevel(logging.ERROR)
    try:
        return open_broker(url)
    except ImportError as missing:
        raise CliError(
            f"the backend for {url or 'the default broker'} is not available ({missing}): "
            "pass --broker kafka://HOST:PORT"
        ) from missing


def value_serde(value_format: str, schema: Path | None) -> Serde:
    """The serde for ``--value-format`` (and ``--schema`` for avro)."""
    if value_format.strip().lower() == "avro":
        if schema is None:
            raise CliError("--value-format avro needs --schema FILE.avsc")
        return get_serde("avro", schema=str(schema))
    if schema is not None:
        raise CliError("--schema only applies to --value-format avro")
    return get_serde(value_format)
