"""The ``streamkit`` command: a thin assembly of sub-commands, one module each."""

from __future__ import annotations

import typer

from streamkit.cli import consume, groups, produce, run, state, topics

app = typer.Typer(
    name="streamkit",
    help="Partitioned logs and stream processing, on an embedded log or Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(topics.app, name="topics")
app.add_typer(groups.app, name="groups")
app.add_typer(state.app, name="state")
app.command("produce")(produce.produce)
app.command("consume")(consume.consume)
app.command("run")(run.run)


def main() -> None:
    """Entry point of the ``streamkit`` console script."""
    app()
