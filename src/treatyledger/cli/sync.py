"""``treaty sync``: one sync round by hand (cosignatures from every witness, every mirror)."""

from __future__ import annotations

from rich import box
from rich.markup import escape
from rich.table import Table

from treatyledger.cli._options import DbOption, JsonOption, store_at
from treatyledger.cli._output import console, emit_json
from treatyledger.errors import NotFoundError
from treatyledger.node.errors import PeerError
from treatyledger.node.identity import node_identity
from treatyledger.storage import default_db_url

__all__ = ["sync"]


def sync(json_: JsonOption = False, db: DbOption = None) -> None:
    """Push this node's checkpoint to every party's witness and mirror every party's log.

    Exits 1 if any step failed (each failure is listed).
    """
    # Imported here so that other commands start without loading the HTTP client.
    from treatyledger.node.node import Node, NodeConfig  # noqa: PLC0415

    url = db or default_db_url()
    with store_at(url) as store:
        identity = node_identity(store)
    if identity is None:
        raise NotFoundError("this database has no node yet; start it once with `treaty serve`")
    node = Node(NodeConfig(party=identity.party, db_url=url, sync_interval=0))
    try:
        outcomes = node.sync_round()
    finally:
        node.close()
    if json_:
        emit_json([o.to_json() for o in outcomes])
    else:
        table = Table(box=box.SIMPLE_HEAD)
        for column in ("party", "step", "result"):
            table.add_column(column, overflow="fold")
        for o in outcomes:
            mark = "[green]ok[/]" if o.ok else "[red]failed[/]"
            table.add_row(escape(o.party), o.action, f"{mark} {escape(o.detail)}")
        console().print(table)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise PeerError(f"{len(failed)} of {len(outcomes)} sync steps failed")
