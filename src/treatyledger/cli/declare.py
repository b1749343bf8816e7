"""``treaty declare``: import the inventory, commit declarations, open a facility, verify, diff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from treatyledger.cli._options import DbOption, JsonOption, store_at
from treatyledger.cli._output import console, emit_json
from treatyledger.declarations import (
    commit_declaration,
    declaration_record,
    diff_declarations,
    import_inventory,
    load_signer,
    open_declaration,
    recorded_party,
    recorded_treaty,
)
from treatyledger.errors import InputError, NotFoundError
from treatyledger.escrow.vector import PadTo
from treatyledger.ledger.exchange import DataExchange, parse_exchange, verify_opening_bundle
from treatyledger.log.note import Ed25519Verifier
from treatyledger.logs import open_log
from treatyledger.treaty import resolve_spec

__all__ = ["app"]

app = typer.Typer(
    help="Declarations in escrow: the inventory, data-exchange entries, openings.",
    no_args_is_help=True,
)

PartyOption = Annotated[
    str | None,
    typer.Option("--party", help="The party whose node this is [default: the imported one]."),
]
KeyOption = Annotated[
    Path | None, typer.Option("--key", help="The log's signing key file [default: recorded].")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The declaration's date [default: the latest].")
]


def _date(text: str, what: str = "--as-of") -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or day.isoformat() != text:
        raise InputError(f"{what} {text!r} is not a date YYYY-MM-DD")
    return day


def _pad_to(text: str | None) -> PadTo:
    if text is None:
        return None
    if text == "pow2":
        return "pow2"
    if text.isdigit() and 1 <= int(text) <= 2**24:
        return int(text)
    raise InputError(f"--pad-to is 'pow2' or a bucket size from 1 to 2**24, got {text!r}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _totals_table(exchange: DataExchange, title: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("limit")
    table.add_column("total", justify="right")
    for limit in exchange.commitment.totals_by_limit():  # the specification's order
        table.add_row(escape(limit), f"{exchange.totals[limit]:,}")
    return table


@app.command("import")
def import_(
    items: Annotated[Path, typer.Argument(help="The items CSV file.")],
    facilities: Annotated[Path, typer.Option("--facilities", help="The facilities CSV file.")],
    party: PartyOption = None,
    treaty: Annotated[
        str | None,
        typer.Option("--treaty", help="Built-in name or TOML file [default: recorded, new-start]."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Check an inventory against the treaty and make it the current one (all or nothing)."""
    with store_at(db) as store:
        party_id = recorded_party(store, party)
        ref = recorded_treaty(store, treaty)
        spec = resolve_spec(ref)
        inventory = import_inventory(
            store, spec, treaty=ref, party=party_id, items=items, facilities=facilities
        )
    console().print(
        f"imported {party_id}'s inventory under {spec.id}: "
        f"{len(inventory.facilities)} facilities, {len(inventory.items)} items"
    )


@app.command("commit")
def commit(
    as_of: Annotated[str, typer.Option("--as-of", help="The declaration's date, YYYY-MM-DD.")],
    pad_to: Annotated[
        str | None, typer.Option("--pad-to", help="Pad each facility: 'pow2' or a bucket size.")
    ] = None,
    party: PartyOption = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Commit the current inventory, append its data-exchange entry, print root and totals."""
    day, padding = _date(as_of), _pad_to(pad_to)
    with store_at(db) as store:
        recorded_party(store, party)
        spec = resolve_spec(recorded_treaty(store, None))
        signer = load_signer(store, key)
        log = open_log(store, writable=True, key_path=key)
        record, exchange, resumed = commit_declaration(
            store, log, spec, signer=signer, as_of=day, pad_to=padding, clock=_now
        )
    out = console()
    if resumed:
        out.print(f"[yellow]completed the interrupted commit of {day}[/]")
    out.print(f"committed {record.party}'s declaration as of {day} under {spec.id}")
    out.print(f"root: {record.root.hex()}")
    out.print(f"data-exchange entry: index {record.index} of {escape(log.origin)}")
    out.print(_totals_table(exchange, "public totals"))


@app.command("totals")
def totals(
    as_of: AsOfOption = None,
    party: PartyOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Print the public totals of a declaration (default: the latest)."""
    with store_at(db) as store:
        recorded_party(store, party)
        record = declaration_record(store, None if as_of is None else _date(as_of))
        exchange = parse_exchange(record.entry, open_log(store).verifier)
    if json_:
        emit_json(
            {
                "treaty": exchange.treaty,
                "party": exchange.party,
                "as_of": exchange.as_of.isoformat(),
                "root": record.root.hex(),
                "log_index": record.index,
                "totals": dict(exchange.totals),
                "facilities": [
                    {"id": f.id, "kind": f.kind, "totals": dict(f.totals), "counts": dict(f.counts)}
                    for f in exchange.facilities
                ],
            }
        )
        return
    out = console()
    out.print(
        f"{exchange.party} as of {exchange.as_of} ({exchange.treaty}), root {record.root.hex()}"
    )
    out.print(_totals_table(exchange, "public totals"))


@app.command("open")
def open_(
    facility: Annotated[str, typer.Option("--facility", help="The facility to open.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the opening bundle.")],
    *,
    as_of: AsOfOption = None,
    party: PartyOption = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Write an offline-checkable opening of one facility (entry, log proof, checkpoint)."""
    with store_at(db) as store:
        recorded_party(store, party)
        spec = resolve_spec(recorded_treaty(store, None))
        signer = load_signer(store, key)
        log = open_log(store)
        day = None if as_of is None else _date(as_of)
        bundle = open_declaration(store, log, spec, signer=signer, facility=facility, as_of=day)
    try:
        out.write_bytes(bundle)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
    console().print(f"wrote the opening of {escape(facility)} to {escape(str(out))}")


@app.command("verify-opening")
def verify_opening(
    file: Annotated[Path, typer.Argument(help="An opening bundle.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The party's log verifier key.")],
    json_: JsonOption = False,
) -> None:
    """Check an opening bundle offline; exit 0 only when it holds."""
    verifier = Ed25519Verifier.from_vkey(vkey)
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"{file} does not exist") from exc
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from exc
    result = verify_opening_bundle(data, verifier)
    exchange, opened = result.exchange, result.opened
    counts = dict(result.facility.counts)
    if json_:
        emit_json(
            {
                "verified": True,
                "treaty": exchange.treaty,
                "party": exchange.party,
                "as_of": exchange.as_of.isoformat(),
                "root": exchange.commitment.root.hex(),
                "log": {
                    "origin": result.checkpoint.origin,
                    "index": result.index,
                    "size": result.checkpoint.size,
                },
                "facility": opened.facility,
                "kind": result.facility.kind,
                "totals": dict(result.facility.totals),
                "counts": counts,
                "items": [
                    {
                        "uid": i.uid,
                        "kind": i.kind,
                        "type": i.type,
                        "status": i.status,
                        "facility": i.facility,
                        "warheads": i.warheads,
                    }
                    for i in sorted(opened.items, key=lambda i: i.uid)
                ],
            }
        )
        return
    out = console()
    out.print(
        f"[green]verified:[/] {escape(opened.facility)} of {exchange.party}'s declaration as of "
        f"{exchange.as_of}, entry {result.index} of {escape(result.checkpoint.origin)} "
        f"(size {result.checkpoint.size}): {len(opened.items)} items"
    )
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("kind/status")
    table.add_column("items", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(escape(name), str(count))
    out.print(table)


@app.command("diff")
def diff(
    date1: Annotated[str, typer.Argument(help="The older declaration's date.")],
    date2: Annotated[str, typer.Argument(help="The newer declaration's date.")],
    party: PartyOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """What changed between two declarations: the changes the party should have notified."""
    with store_at(db) as store:
        recorded_party(store, party)
        older = declaration_record(store, _date(date1, "DATE1"))
        newer = declaration_record(store, _date(date2, "DATE2"))
        spec = resolve_spec(recorded_treaty(store, None))
    changes = diff_declarations(spec, older, newer)
    if json_:
        emit_json(
            {
                "from": older.as_of.isoformat(),
                "to": newer.as_of.isoformat(),
                "changes": [c.to_json() for c in changes],
            }
        )
        return
    table = Table(title=f"changes from {older.as_of} to {newer.as_of}", box=box.SIMPLE_HEAD)
    for column in ("uid or facility", "change", "from", "to", "notification", "note"):
        table.add_column(column)
    for c in changes:
        cells = (c.subject, c.change, c.before, c.after, c.notification or "-", c.note)
        table.add_row(*(escape("" if v is None else str(v)) for v in cells))
    out = console()
    out.print(table)
    out.print(f"{len(changes)} changes")
