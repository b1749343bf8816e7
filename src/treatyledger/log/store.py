"""What a log needs from its store: the contract every storage driver keeps.

The log owns this interface (the core defines it; the drivers in
:mod:`treatyledger.storage` implement it), so the pure core never imports storage.

A store is one party's database. It may hold several logs (the party's own and
mirrors of other parties' logs); every :class:`Store` object is bound to one
log name and sees only that log. Drivers save and load bytes: they never hash,
build Merkle trees, or sign. The log layer computes leaf hashes, tiles and
checkpoints and hands them to the store.

Indexes are 0-based. Every write is atomic (all or nothing) and durable when
the call returns. Arguments that break the contract raise :class:`TypeError`
or :class:`ValueError` before anything is changed; the store's own failures
raise :class:`~treatyledger.errors.StorageError`, and a lost race raises
:class:`~treatyledger.errors.ConflictError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

__all__ = [
    "EntryStore",
    "LogStore",
    "MetaStore",
    "TileId",
    "TreeStore",
]

TileId = tuple[int, int]
"""A tile's address: (tile level, tile index), both non-negative."""


@runtime_checkable
class EntryStore(Protocol):
    """The log's entries, in order, with the leaf hash of each."""

    def append_entries(self, entries: Sequence[bytes], leaf_hashes: Sequence[bytes]) -> int:
        """Store ``entries`` at the next indexes, all or none, and return the first index.

        ``leaf_hashes[i]`` is stored beside ``entries[i]``. Returns only once the
        entries are durable (committed with a full fsync). Concurrent appenders,
        in threads or processes, get distinct, gap-free ranges. Raises
        :class:`ValueError` if the batch is empty, the lengths differ or a leaf
        hash is longer than 64 bytes (it is a digest, and it is indexed), and
        :class:`TypeError` if an item is not ``bytes``; nothing is stored then.
        """
        ...

    def read_entries(self, start: int, stop: int) -> list[bytes]:
        """The entries with indexes in ``[start, stop)``, in order.

        Raises :class:`ValueError` if ``start < 0`` or ``stop < start``, and
        :class:`~treatyledger.errors.NotFoundError` if ``stop > entry_count()``.
        """
        ...

    def read_leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """The leaf hashes of the entries ``[start, stop)``; same errors as :meth:`read_entries`."""
        ...

    def entry_count(self) -> int:
        """How many entries are stored (the next index to be assigned)."""
        ...

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The smallest index whose leaf hash is ``leaf_hash``, or ``None`` if there is none."""
        ...

    def find_leaves(self, leaf_hashes: Sequence[bytes]) -> dict[bytes, int]:
        """:meth:`find_leaf` of many hashes at once: each one stored, mapped to its smallest index.

        Hashes the log does not hold are left out; a hash may be asked for more
        than once. One lookup for a whole batch, so that a writer can tell which
        entries of a batch the log already holds at the cost of about one
        :meth:`find_leaf`. Raises as :meth:`find_leaf` does for a bad hash
        (:class:`TypeError` for one that is not ``bytes``, :class:`ValueError`
        for one longer than 64 bytes), before anything is read.
        """
        ...


@runtime_checkable
class TreeStore(Protocol):
    """The integrated tree: its size, its tiles and its signed checkpoints."""

    def tree_size(self) -> int:
        """The size of the integrated (published) tree; 0 before the first publish."""
        ...

    def read_tiles(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        """The latest stored data of each tile in ``ids``; tiles never stored are omitted.

        The result is one consistent snapshot, never a mix of two publishes.
        """
        ...

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint published with the current :meth:`tree_size`, or ``None`` before any."""
        ...

    def checkpoint_history(self) -> list[tuple[int, bytes]]:
        """Every published ``(size, checkpoint)``, oldest (smallest size) first.

        Publishing again at the same size replaces that size's checkpoint (a note
        that gained cosignatures), so each size appears once.
        """
        ...

    def publish(
        self,
        *,
        old_size: int,
        new_size: int,
        tiles: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> None:
        """Write ``tiles`` and ``checkpoint`` and set the tree size to ``new_size``, atomically.

        Succeeds only if the tree size is still ``old_size``; otherwise raises
        :class:`~treatyledger.errors.ConflictError`. Raises :class:`ValueError`
        if ``new_size < old_size`` or ``new_size > entry_count()``. Each tile's
        data replaces what was stored for it. Nothing changes when it raises;
        the publish is durable when it returns.
        """
        ...

    def append_and_publish(
        self,
        *,
        old_size: int,
        entries: Sequence[bytes],
        leaf_hashes: Sequence[bytes],
        tiles: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> int:
        """Append entries to a fully integrated log and publish the tree that includes them.

        One atomic, durable transaction: sequencing and integration of a batch
        with a single commit. Succeeds only if the log has exactly ``old_size``
        entries and a tree of ``old_size`` (nothing pending); otherwise raises
        :class:`~treatyledger.errors.ConflictError` and nothing changes.
        ``tiles`` and ``checkpoint`` describe the tree of ``old_size +
        len(entries)``. Returns the first index (``old_size``).
        """
        ...


@runtime_checkable
class MetaStore(Protocol):
    """Small named text values beside the log (its origin, its public key, settings)."""

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key``, or ``None``."""
        ...

    def set_meta(self, key: str, value: str, *, create_only: bool = False) -> None:
        """Store ``value`` under ``key``, durably.

        With ``create_only`` the key must not exist yet, else
        :class:`~treatyledger.errors.ConflictError` and nothing changes.
        """
        ...

    def compare_and_set_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Store ``value`` under ``key`` only if the stored value is still ``expected``.

        ``expected`` is ``None`` for a key that must not exist yet. Returns
        ``True`` once the new value is durable, ``False`` (and changes nothing)
        when another writer changed the key first: read it again and retry.
        The comparison and the write are one atomic step, also between
        processes. Bad arguments raise as :meth:`set_meta` does.
        """
        ...


@runtime_checkable
class LogStore(EntryStore, TreeStore, MetaStore, Protocol):
    """Everything one log keeps: its entries, its tree and its named values."""
