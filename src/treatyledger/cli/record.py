"""``treaty record``: the published aggregate figures, judged against the limits, and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from treatyledger.cli._options import JsonOption
from treatyledger.cli._output import console, emit_json
from treatyledger.errors import NotFoundError
from treatyledger.record import (
    DataStatus,
    PublicRecord,
    RecordStatus,
    check_record,
    load_record,
)
from treatyledger.treaty import TreatySpec, resolve_spec

__all__ = ["app"]

app = typer.Typer(
    help="The public record: published figures of every data exchange.", no_args_is_help=True
)

TreatyOption = Annotated[str, typer.Option("--treaty", help="Built-in name or TOML file.")]
PartyOption = Annotated[str | None, typer.Option("--party", help="Only this party (US, RU).")]

_STYLE = {
    RecordStatus.WITHIN: "green",
    RecordStatus.EXCEEDS: "bold red",
    RecordStatus.NOT_BINDING: "dim",
    RecordStatus.NOT_PROVIDED: "yellow",
}


def _add_limit_column(table: Table, limit_id: str, cap: int | None = None) -> None:
    words = limit_id.split("_") + ([f"(cap {cap:,})"] if cap is not None else [])
    table.add_column("\n".join(words), no_wrap=True, min_width=max(map(len, words)))


def _load(treaty: str, party: str | None) -> tuple[TreatySpec, PublicRecord]:
    spec = resolve_spec(treaty)
    record = load_record(spec)
    if party is not None and party not in record.parties:
        raise NotFoundError(
            f"the record of {spec.id} has no party {party!r} (parties: {', '.join(record.parties)})"
        )
    return spec, record


@app.command("show")
def show(
    party: PartyOption = None, treaty: TreatyOption = "new-start", json_: JsonOption = False
) -> None:
    """Print the published figures of every exchange, with each row's status and sources."""
    out = console()
    spec, record = _load(treaty, party)
    rows = [r for r in record.rows if party is None or r.party == party]
    if json_:
        emit_json(
            [
                {
                    "as_of": r.as_of.isoformat(),
                    "party": r.party,
                    **{lim: (None if r.counts is None else r.counts[lim]) for lim in record.limits},
                    "data_status": r.data_status.value,
                    "source": r.source,
                }
                for r in rows
            ]
        )
        return
    table = Table(
        title=f"{spec.id}: published aggregate figures",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("as of", no_wrap=True)
    table.add_column("party", no_wrap=True)
    for limit_id in record.limits:
        _add_limit_column(table, limit_id)
    table.add_column("data", no_wrap=True)
    table.add_column("ref", no_wrap=True)
    sources: dict[str, int] = {}
    for r in rows:
        counts = [
            "[yellow]no data[/]" if r.counts is None else f"{r.counts[lim]:,}"
            for lim in record.limits
        ]
        note = sources.setdefault(r.source, len(sources) + 1)
        table.add_row(str(r.as_of), r.party, *counts, r.data_status.value, f"[{note}]")
    out.print(table)
    for text, note in sources.items():
        out.print(f"[{note}] {escape(text)}", highlight=False)


@app.command("check")
def check(
    party: PartyOption = None, treaty: TreatyOption = "new-start", json_: JsonOption = False
) -> None:
    """Judge every exchange against the central limits in force on its date."""
    out = console()
    spec, record = _load(treaty, party)
    judgements = [
        j for j in check_record(spec, record) if party is None or j.figures.party == party
    ]
    if json_:
        emit_json([j.to_json() for j in judgements])
        return
    table = Table(
        title=f"{spec.id}: each exchange against the limits in force (count and headroom)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    common_caps = {}
    for limit_id in record.limits:
        limit = spec.limit(limit_id)
        assert limit is not None
        caps = {limit.cap_for(p) for p in record.parties}
        if len(caps) == 1:
            common_caps[limit_id] = caps.pop()
    for header in ("as of", "party", "status"):
        table.add_column(header, no_wrap=True)
    for limit_id in record.limits:
        _add_limit_column(table, limit_id, common_caps.get(limit_id))
    for j in judgements:
        cells = []
        for lj in j.limits:
            if lj.count is None:
                cells.append("[yellow]no data[/]")
            else:
                style = _STYLE[lj.status]
                cap = "" if lj.limit in common_caps else f"/{lj.cap:,}"
                cells.append(f"[{style}]{lj.count:,}{cap} {lj.headroom:+,}[/]")
        status = j.status.value
        if j.figures.data_status in (DataStatus.UNVERIFIED, DataStatus.PARTLY_UNVERIFIED):
            status += " *"
        table.add_row(
            str(j.figures.as_of), j.figures.party, f"[{_STYLE[j.status]}]{status}[/]", *cells
        )
    out.print(table)
    out.print(
        "* figures wholly or partly unverified in the public record "
        "(see `treaty record show` for sources)"
    )
    exceeded = sum(j.status is RecordStatus.EXCEEDS for j in judgements)
    out.print(f"{len(judgements)} exchanges; {exceeded} exceeding a limit in force.")


@app.command("plot")
def plot(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the figure (.png, .svg, .pdf).")
    ],
    treaty: TreatyOption = "new-start",
) -> None:
    """Draw the series for every party with the limits and the key events."""
    terminal = console()
    # matplotlib loads only when drawing, so other commands start fast.
    from treatyledger.record.plot import plot_record  # noqa: PLC0415

    spec, record = _load(treaty, None)
    written = plot_record(spec, record, out)
    terminal.print(f"wrote {escape(str(written))}")
