"""``treaty timeline``: inspection activity per quota year, quotas used and left."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from treatyledger.cli._options import JsonOption, folder_fetcher
from treatyledger.cli._output import console, emit_json
from treatyledger.compliance import read_log, verifier_from_export
from treatyledger.compliance.timeline import build_timeline
from treatyledger.errors import NotFoundError
from treatyledger.treaty import resolve_spec

__all__ = ["timeline"]


def timeline(
    logdirs: Annotated[
        list[Path], typer.Argument(help="Exported logs (tiles trees with a vkey file).")
    ],
    *,
    party: Annotated[
        str | None,
        typer.Option("--party", help="Only the activity and quotas concerning this party."),
    ] = None,
    treaty: Annotated[
        str, typer.Option("--treaty", help="Built-in name or TOML file.")
    ] = "new-start",
    json_: JsonOption = False,
) -> None:
    """Verify every log and list inspection activity per quota year, with quotas used and left."""
    spec = resolve_spec(treaty)
    if party is not None and spec.party(party) is None:
        raise NotFoundError(f"{party!r} is not a party to {spec.id}")
    logs = []
    for directory in logdirs:
        fetch = folder_fetcher(directory)
        logs.append(read_log(fetch, verifier_from_export(fetch)))
    result = build_timeline(logs, spec)
    if party is not None:
        result = result.for_party(party)
    if json_:
        emit_json(result.to_json())
        return
    out = console()
    if not result.years:
        out.print(f"no inspection activity in {len(logs)} logs ({spec.id})")
        return
    for year in result.years:
        title = f"Quota year {year.start:%Y-%m-%d} to {year.end:%Y-%m-%d}, {spec.id}"
        events = Table(title=title)
        for column in ("time (UTC)", "entry", "sender", "what", "logged"):
            events.add_column(column, overflow="fold")
        for e in year.events:
            events.add_row(
                f"{e.time:%Y-%m-%d %H:%M}",
                e.type,
                escape(e.sender),
                escape(e.what),
                escape(f"{e.origin}#{e.index}"),
            )
        out.print(events)
        quotas = Table(title=f"Quotas, {year.start:%Y-%m-%d} to {year.end:%Y-%m-%d}")
        for column in ("type", "inspecting", "inspected", "quota", "used", "left"):
            quotas.add_column(column)
        for q in year.quotas:
            quotas.add_row(
                q.inspection_type,
                escape(q.inspector or "any"),
                escape(q.inspected),
                str(q.quota),
                str(q.used),
                str(q.left),
            )
        out.print(quotas)
