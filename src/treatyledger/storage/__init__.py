"""Where a node keeps its logs: drivers behind small protocols.

The protocols (:mod:`treatyledger.storage.protocols`) say what a store
promises; :class:`MemoryStore`, :class:`SqliteStore` and :class:`PostgresStore`
keep those promises and run one shared conformance suite. Drivers only save
and load: hashing, tiles and signatures belong to :mod:`treatyledger.log`.
:func:`open_store` picks the driver from a database URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from treatyledger.storage.memory import MemoryDatabase, MemoryStore
from treatyledger.storage.protocols import EntryStore, MetaStore, Store, TileId, TreeStore
from treatyledger.storage.sqlite import SqliteStore
from treatyledger.storage.url import default_db_url, open_store

if TYPE_CHECKING:
    from treatyledger.storage.postgres import PostgresStore

__all__ = [
    "EntryStore",
    "MemoryDatabase",
    "MemoryStore",
    "MetaStore",
    "PostgresStore",
    "SqliteStore",
    "Store",
    "TileId",
    "TreeStore",
    "default_db_url",
    "open_store",
]


def __getattr__(name: str) -> object:
    # PostgresStore loads psycopg (a fifth of a second), so only when asked for.
    if name == "PostgresStore":
        from treatyledger.storage.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
