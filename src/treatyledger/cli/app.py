"""The ``treaty`` command: a thin client of the library."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from treatyledger import __version__
from treatyledger.cli import (
    comply,
    declare,
    exercise,
    history,
    log,
    party,
    plan,
    record,
    serve,
    spec,
    submit,
    sync,
    timeline,
)
from treatyledger.cli._errors import exit_code_for
from treatyledger.cli._output import console, err_console
from treatyledger.errors import TreatyLedgerError

__all__ = ["app", "main"]


class _Root(TyperGroup):
    """The root group: every treatyledger error surfaces here, and only here."""

    def invoke(self, ctx: Any) -> Any:  # typer's own Context type is private
        try:
            return super().invoke(ctx)
        except TreatyLedgerError as exc:
            err_console().print(f"[bold red]error:[/] {escape(exc.diagnostics())}")
            raise typer.Exit(exit_code_for(exc)) from exc


app = typer.Typer(
    cls=_Root,
    name="treaty",
    help="treatyledger: verification for strategic arms-control treaties.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)
app.add_typer(spec.app, name="spec")
app.add_typer(record.app, name="record")
app.add_typer(log.app, name="log")
app.add_typer(declare.app, name="declare")
app.add_typer(comply.app, name="comply")
app.add_typer(plan.app, name="plan")
app.command("exercise")(exercise.exercise)
app.command("timeline")(timeline.timeline)
app.command("history")(history.history)
app.command("serve")(serve.serve)
app.add_typer(party.app, name="party")
app.command("submit")(submit.submit)
app.command("sync")(sync.sync)


def _version(value: bool) -> None:
    out = console()
    if value:
        out.print(f"treatyledger {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """treatyledger: verification for strategic arms-control treaties."""


def main() -> None:
    """Run the ``treaty`` command (the console entry point)."""
    app()
