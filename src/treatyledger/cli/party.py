"""``treaty party``: register the other parties (log key, node URL, witness key) and list them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from treatyledger.cli._options import DbOption, JsonOption, store_at
from treatyledger.cli._output import console, emit_json
from treatyledger.node.identity import node_identity
from treatyledger.node.parties import Party, PartyRegistry

__all__ = ["app"]

app = typer.Typer(
    help="The other parties this node mirrors and witnesses, and this node's own keys.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The party's name, e.g. RU.")],
    vkey: Annotated[
        str, typer.Option("--vkey", help="The verifier key of the party's log (its origin's key).")
    ],
    url: Annotated[
        str | None, typer.Option("--url", help="The party's node, e.g. http://10.0.0.2:8000.")
    ] = None,
    witness_vkey: Annotated[
        str | None,
        typer.Option("--witness-vkey", help="The verifier key of the party's witness (0x04)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Register a party, or give a registered one a new URL or witness key."""
    with store_at(db) as store:
        registry = PartyRegistry(store, own_origin=store.get_meta("origin"))
        party, outcome = registry.add(
            Party(name=name, vkey=vkey, url=url, witness_vkey=witness_vkey)
        )
    console().print(f"{outcome} {escape(party.name)}: log {escape(party.origin)}")


@app.command("list")
def list_(json_: JsonOption = False, db: DbOption = None) -> None:
    """List this node's keys and the registered parties."""
    with store_at(db) as store:
        identity = node_identity(store)
        parties = PartyRegistry(store).all()
    if json_:
        emit_json(
            {
                "node": None if identity is None else identity.to_json(),
                "parties": [p.to_json() for p in parties],
            }
        )
        return
    out = console()
    if identity is None:
        out.print("this node: not started yet (`treaty serve --party P` creates its witness key)")
    else:
        out.print(f"this node: {escape(identity.party)}, log {escape(identity.origin)}")
        out.print(f"  log key:     {escape(identity.vkey)}")
        out.print(f"  witness key: {escape(identity.witness_vkey)}")
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("party", "origin", "url", "log key", "witness key"):
        table.add_column(column, overflow="fold")
    for p in parties:
        cells = (p.name, p.origin, p.url or "-", p.vkey, p.witness_vkey or "-")
        table.add_row(*(escape(c) for c in cells))
    out.print(table)
    out.print(f"{len(parties)} registered parties")
