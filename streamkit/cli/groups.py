"""``streamkit groups``: consumer groups and their lag."""

from __future__ import annotations

from typing import Annotated

import typer

from streamkit.cli.common import BrokerOption, CliError, connect, reports_errors

app = typer.Typer(help="List consumer groups and show their offsets and lag.", no_args_is_help=True)


@app.command("list")
@reports_errors
def list_(broker: BrokerOption = None) -> None:
    """List consumer group ids, one per line."""
    for group in connect(broker).admin().list_groups():
        typer.echo(group)


@app.command()
@reports_errors
def describe(
    group: Annotated[str, typer.Argument(help="Consumer group id.")], broker: BrokerOption = None
) -> None:
    """Per partition: the group's committed offset, the end offset, and the lag."""
    admin = connect(broker).admin()
    committed = admin.group_offsets(group)
    if not committed:
        raise CliError(f"group {group!r} has no committed offsets (see `streamkit groups list`)")
    end = admin.end_offsets(committed)
    typer.echo(f"{'TOPIC':<30} {'PARTITION':>9} {'COMMITTED':>12} {'END':>12} {'LAG':>8}")
    for tp in sorted(committed):
        lag = max(end[tp] - committed[tp], 0)
        typer.echo(f"{tp.topic:<30} {tp.partition:>9} {committed[tp]:>12} {end[tp]:>12} {lag:>8}")
