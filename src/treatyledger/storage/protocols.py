"""The contract of a storage driver: the log's store protocols, plus connection handling.

The per-job protocols (:class:`EntryStore`, :class:`TreeStore`,
:class:`MetaStore`) belong to the log, which defines what it needs in
:mod:`treatyledger.log.store`; a driver implements them all, for one log name,
and adds closing and context-manager support.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from treatyledger.log.store import (
    EntryStore,
    LogStore,
    MetaStore,
    TileId,
    TreeStore,
)

__all__ = [
    "EntryStore",
    "LogStore",
    "MetaStore",
    "Store",
    "TileId",
    "TreeStore",
]


@runtime_checkable
class Store(LogStore, Protocol):
    """Everything a node keeps about one log; a driver class implements it all."""

    @property
    def log(self) -> str:
        """The name of the log this store object reads and writes."""
        ...

    def close(self) -> None:
        """Release the connection; later calls raise StorageError. Closing twice is harmless."""
        ...

    def __enter__(self) -> Self:
        """The store itself; :meth:`close` runs when the block ends."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        ...
