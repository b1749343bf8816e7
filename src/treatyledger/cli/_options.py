"""Options and helpers shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

from treatyledger.storage import default_db_url, open_store
from treatyledger.storage.protocols import Store

__all__ = ["DbOption", "JsonOption", "store_at"]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store URL: sqlite:///PATH or postgresql://... "
        "[default: $TREATYLEDGER_DB, else sqlite:///./treatyledger.db]",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def store_at(db: str | None) -> Store:
    """The store named by ``--db`` (or the default); use it in a ``with`` block to close it."""
    return open_store(db or default_db_url())
