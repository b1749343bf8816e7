"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from treatyledger.errors import NotFoundError, VerificationError
from treatyledger.storage import default_db_url, open_store
from treatyledger.storage.protocols import Store

__all__ = ["DbOption", "JsonOption", "folder_fetcher", "store_at"]

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


def folder_fetcher(directory: Path) -> Callable[[str], bytes]:
    """Read files of an exported log folder by their tlog-tiles path, never outside it."""
    root = directory.resolve()
    if not root.is_dir():
        raise NotFoundError(f"{directory} is not a folder")

    def fetch(path: str) -> bytes:
        target = (root / path).resolve()
        if root not in target.parents:
            raise VerificationError(f"{path} points outside {directory}")
        return target.read_bytes()

    return fetch
