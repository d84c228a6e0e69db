"""``streamkit topics``: create, list, describe and delete topics."""

from __future__ import annotations

from typing import Annotated

import typer

from streamkit.cli.common import BrokerOption, CliError, connect, reports_errors
from streamkit.log import TopicPartition

app = typer.Typer(help="Create, list, describe and delete topics.", no_args_is_help=True)


def parse_config(pairs: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` → ``{"k": "v"}``, rejecting anything else."""
    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--config expects KEY=VALUE, e.g. retention.ms=86400000; got {pair!r}")
        config[key.strip()] = value.strip()
    return config


@app.command()
@reports_errors
def create(
    name: Annotated[str, typer.Argument(help="Topic name.")],
    partitions: Annotated[int, typer.Option(min=1, help="Number of partitions.")] = 1,
    compact: Annotated[bool, typer.Option(help="Keep only the latest value per key.")] = False,
    config: Annotated[
        list[str] | None, typer.Option("--config", help="Topic setting KEY=VALUE (repeatable).")
    ] = None,
    broker: BrokerOption = None,
) -> None:
    """Create a topic."""
    settings = parse_config(config or [])
    if compact:
        settings["cleanup.policy"] = "compact"
    connect(broker).admin().create_topic(name, partitions=partitions, config=settings)
    typer.echo(f"created topic {name} with {partitions} partition(s)", err=True)


@app.command("list")
@reports_errors
def list_(broker: BrokerOption = None) -> None:
    """List topics, one per line."""
    for name in connect(broker).admin().list_topics():
        typer.echo(name)


@app.command()
@reports_errors
def describe(
    name: Annotated[str, typer.Argument(help="Topic name.")], broker: BrokerOption = None
) -> None:
    """Show a topic's partitions (with their offsets) and configuration."""
    admin = connect(broker).admin()
    description = admin.describe_topic(name)
    partitions = [TopicPartition(name, p) for p in range(description.partitions)]
    begin, end = admin.begin_offsets(partitions), admin.end_offsets(partitions)
    typer.echo(f"topic: {name}")
    typer.echo(f"partitions: {description.partitions}")
    typer.echo(f"{'PARTITION':>9}  {'BEGIN':>12}  {'END':>12}")
    for tp in partitions:
        typer.echo(f"{tp.partition:>9}  {begin[tp]:>12}  {end[tp]:>12}")
    typer.echo("config:")
    for key, value in sorted(description.config.items()):
        typer.echo(f"  {key}={value}")


@app.command()
@reports_errors
def delete(
    name: Annotated[str, typer.Argument(help="Topic name.")], broker: BrokerOption = None
) -> None:
    """Delete a topic and all its records."""
    connect(broker).admin().delete_topic(name)
    typer.echo(f"deleted topic {name}", err=True)
