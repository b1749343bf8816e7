"""``treaty exercise``: a whole treaty year between party nodes, with a red team, and a report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from treatyledger.cli._output import console, err_console
from treatyledger.errors import InputError
from treatyledger.exercise import SCENARIOS, run_exercise, scenario
from treatyledger.exercise.cluster import NodeCluster, party_databases
from treatyledger.exercise.report import write_report
from treatyledger.exercise.transport import Transport
from treatyledger.exercise.year import SimClock
from treatyledger.log.note import Signer
from treatyledger.storage.url import redact_url
from treatyledger.treaty import resolve_spec

__all__ = ["exercise"]


def _fresh(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} is not an empty folder; give the exercise a fresh --out")


def _default_folder(name: str) -> Path:
    """``name`` in the current folder, or ``name-2``, ``name-3``... if it is taken."""
    folder, n = Path(name), 1
    while folder.exists():
        n += 1
        folder = Path(f"{name}-{n}")
    return folder


def _list() -> None:
    table = Table(title="Scenarios")
    table.add_column("name")
    table.add_column("what the red team does", overflow="fold")
    for known in SCENARIOS:
        table.add_row(known.name, escape(known.summary))
    console().print(table)


def exercise(
    *,
    treaty: Annotated[
        str, typer.Option("--treaty", help="new-start, strategic-p5, or a TOML file.")
    ] = "new-start",
    scenario_name: Annotated[
        str, typer.Option("--scenario", help="What the red team does (see --list-scenarios).")
    ] = "clean",
    seed: Annotated[
        int, typer.Option("--seed", help="Makes the run reproducible: keys, choices, draws.")
    ] = 1,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="A new or empty folder for the report, the logs and the nodes' databases "
            "(default: ./exercise-<scenario>-<seed>, or with -2, -3... if that is taken).",
            file_okay=False,
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="PostgreSQL URL: each party's node gets its own database next to this one "
            "(default: SQLite files under --out).",
        ),
    ] = None,
    list_scenarios: Annotated[
        bool, typer.Option("--list-scenarios", help="List the scenarios and exit.")
    ] = False,
) -> None:
    """Play a treaty year between party nodes on loopback and write report.html/report.json."""
    if list_scenarios:
        _list()
        return
    spec = resolve_spec(treaty)
    chosen = scenario(scenario_name)
    if seed < 0:
        raise InputError(f"--seed must be a whole number from 0, got {seed}")
    if db is not None and db.partition(":")[0].lower() not in ("postgresql", "postgres"):
        raise InputError(
            f"--db {redact_url(db)!r}: the exercise takes a PostgreSQL URL (without --db it "
            "uses SQLite files under --out)"
        )
    folder = out if out is not None else _default_folder(f"exercise-{chosen.name}-{seed}")
    _fresh(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def nodes(signers: Mapping[str, Signer], clock: SimClock) -> Transport:
        databases = party_databases(db, folder / "nodes", list(signers))
        return NodeCluster(
            signers, clock, treaty=spec.id, databases=databases, keys=folder / "keys"
        )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=False,
    ) as progress:
        task = progress.add_task(f"{spec.id}, {chosen.name}, seed {seed}", total=1.0)

        def report(message: str, done: float) -> None:
            progress.update(task, description=escape(message), completed=done)

        played = run_exercise(spec, chosen, seed, nodes, progress=report)
        progress.update(task, description="writing the report", completed=1.0)
        write_report(played, folder)
    out_console = console()
    verdict = (
        f"red team {played.red.party}: {'caught' if played.detected else 'not caught'}"
        if played.red is not None
        else (
            "no misconduct played; "
            + ("a violation was found" if played.detected else "no violation found")
        )
    )
    planner = (
        f"; planner's a-priori probability {played.planner.probability:.3f}"
        if played.planner is not None
        else ""
    )
    out_console.print(
        f"{spec.id}, {chosen.name}, seed {seed}: {played.entries} entries, "
        f"{len(played.findings)} findings; {verdict}{planner}"
    )
    out_console.print(
        f"report: {folder / 'report.html'}  data: {folder / 'report.json'}  logs: {folder / 'logs'}"
    )
