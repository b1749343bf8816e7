"""``treaty spec``: list, show and validate treaty specifications."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from treatyledger.cli._options import JsonOption
from treatyledger.cli._output import console, emit_json
from treatyledger.treaty import (
    TreatySpec,
    builtin_names,
    format_duration,
    load_builtin,
    load_spec,
    resolve_spec,
    spec_to_json,
)

__all__ = ["app"]

app = typer.Typer(help="Treaty specifications: list, show, validate.", no_args_is_help=True)


@app.command("list")
def list_specs(json_: JsonOption = False) -> None:
    """List the built-in treaty specifications."""
    out = console()
    specs = [load_builtin(name) for name in builtin_names()]
    if json_:
        emit_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "illustrative": s.illustrative,
                    "parties": [p.id for p in s.parties],
                }
                for s in specs
            ]
        )
        return
    table = Table("name", "treaty", "parties", "illustrative")
    for s in specs:
        table.add_row(
            s.id,
            escape(s.name),
            ", ".join(p.id for p in s.parties),
            "yes" if s.illustrative else "no",
        )
    out.print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A built-in name (new-start) or a TOML file.")],
    json_: JsonOption = False,
) -> None:
    """Show a treaty specification: limits, counting rules, schedule, catalogue, inspections."""
    spec = resolve_spec(name)
    if json_:
        emit_json(spec_to_json(spec))
        return
    _render(spec)


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The TOML file to check.", dir_okay=False)],
) -> None:
    """Check a specification file; exit 0 only when it is valid."""
    out = console()
    spec = load_spec(file)
    out.print(
        f"[green]valid:[/] {escape(str(file))} specifies {spec.id} with "
        f"{len(spec.parties)} parties, {len(spec.limits)} limits, "
        f"{len(spec.notifications)} notification types, "
        f"{len(spec.inspections.types)} inspection types; "
        f"{len(spec.unverified)} values marked unverified"
    )


def _render(spec: TreatySpec) -> None:
    out = console()
    title = f"[bold]{escape(spec.name)}[/] ({spec.id})"
    if spec.illustrative:
        title += "  [bold yellow]ILLUSTRATIVE, not a real treaty[/]"
    out.print(title)
    if spec.description:
        out.print(escape(spec.description))
    d = spec.dates
    out.print(
        f"signed {d.signed}, in force {d.entry_into_force}, "
        f"expires {d.expiry or 'never'}; parties: "
        + ", ".join(f"{p.id} ({escape(p.name)})" for p in spec.parties)
    )
    unverified = set(spec.unverified)

    limits = Table(
        "limit", "cap", "from", "what counts", title="Central limits", title_justify="left"
    )
    for i, lim in enumerate(spec.limits):
        cap = f"{lim.cap:,}" + "".join(f"\n{p}: {c:,}" for p, c in lim.party_caps.items())
        what = "\n".join(
            escape(f"{', '.join(sorted(r.kinds))} [{', '.join(sorted(r.statuses))}]: ")
            + r.each.describe()
            for r in lim.counting
        )
        if f"limits[{i}].counting" in unverified:
            what += "\n[yellow](unverified)[/]"
        limits.add_row(f"{lim.id}\n[dim]{escape(lim.name)}[/]", cap, str(lim.effective), what)
    out.print(limits)

    x = spec.data_exchange
    out.print(
        f"[bold]Data exchanges[/]: initial within {x.initial_within_days} days of entry into "
        f"force; as of {', '.join(str(a) for a in x.as_of)} each year from {x.regular_from}, "
        f"due within {x.due_within_days} days; changes notified within "
        f"{x.change_notice_days} days"
        + "".join(
            f"; special as of {s.as_of}" + (f" (in place of {s.replaces})" if s.replaces else "")
            for s in x.special
        )
    )

    notes = Table(
        "notification", "deadline", "payload", title="Notification catalogue", title_justify="left"
    )
    for n in spec.notifications:
        deadline = n.deadline.describe() if n.deadline else "[dim]none set[/]"
        fields = ", ".join(f"{f.name}: {f.type.value}{'' if f.required else '?'}" for f in n.fields)
        agreement = f"\n[dim]{escape(n.agreement)}[/]" if n.agreement else ""
        notes.add_row(f"{n.id}{agreement}", deadline, fields)
    out.print(notes)

    rules = spec.inspections
    insp = Table(
        "inspection",
        "quota/year",
        "sites",
        "notice",
        "designation",
        "restrictions",
        "max duration",
        title="Inspections",
        title_justify="left",
    )
    for i, t in enumerate(rules.types):

        def mark(field: str, text: str, i: int = i) -> str:
            key = f"inspections.types[{i}].{field}"
            return text + (" [yellow]?[/]" if key in unverified else "")

        insp.add_row(
            t.name,
            str(t.annual_quota),
            mark("facility_kinds", ", ".join(sorted(t.facility_kinds))),
            mark("notice_before_arrival", format_duration(t.notice_before_arrival)),
            mark("designation_within", format_duration(t.designation_within)),
            mark("restrictions_within", format_duration(t.restrictions_within)),
            mark("max_duration", format_duration(t.max_duration)),
        )
    out.print(insp)
    out.print(
        f"quota year from {rules.quota_year_start} ({rules.quota_scope.value}); "
        f"{'one inspection at a time' if rules.one_at_a_time else 'concurrent inspections allowed'}"
        + (
            f"; at most {rules.max_per_site_per_year} per site per year"
            if rules.max_per_site_per_year
            else ""
        )
        + f"; {escape(spec.commission.name)}: {spec.commission.sessions_per_year} sessions a year"
    )
    if spec.events:
        events = Table(
            "date",
            "event",
            "by",
            "affects",
            "summary",
            title="Recorded events",
            title_justify="left",
        )
        for ev in spec.events:
            events.add_row(
                ev.date_text(),
                ev.kind.value,
                " + ".join(ev.by) + (" (agreed)" if ev.agreed else ""),
                ", ".join(o.value for o in ev.affects),
                escape(ev.summary),
            )
        out.print(events)
    if spec.unverified:
        out.print("[yellow]Unverified values (configurable):[/] " + ", ".join(spec.unverified))
