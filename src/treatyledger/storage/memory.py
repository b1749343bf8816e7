"""An in-memory store for tests and demonstrations: the same contract, no durability.

A :class:`MemoryDatabase` plays the part of one database file: several
:class:`MemoryStore` objects opened on it (from any thread) share its logs,
and a store closed and reopened on the same database sees what was written.
Nothing survives the process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from treatyledger.errors import ConflictError
from treatyledger.storage._checks import (
    check_batch,
    check_leaf_hash,
    check_log_name,
    check_meta_key,
    check_meta_value,
    check_publish,
    check_range,
    check_stored,
    check_tile_ids,
    closed_error,
)
from treatyledger.storage._closing import Closing
from treatyledger.storage.protocols import TileId

__all__ = ["MemoryDatabase", "MemoryStore"]


@dataclass
class _Log:
    entries: list[bytes] = field(default_factory=list)
    leaf_hashes: list[bytes] = field(default_factory=list)
    first_index: dict[bytes, int] = field(default_factory=dict)
    tree_size: int = 0
    tiles: dict[TileId, bytes] = field(default_factory=dict)
    checkpoints: dict[int, bytes] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)


class MemoryDatabase:
    """Logs held in memory, shared by every :class:`MemoryStore` opened on this object."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: append_and_publish calls append_entries
        self._logs: dict[str, _Log] = {}

    def open(self, log: str = "self") -> MemoryStore:
        """A store bound to ``log`` in this database."""
        return MemoryStore(log=log, database=self)

    def logs(self) -> list[str]:
        """The names of the logs written so far, sorted."""
        with self._lock:
            return sorted(self._logs)


class MemoryStore(Closing):
    """A :class:`~treatyledger.storage.protocols.Store` kept in a :class:`MemoryDatabase`.

    Safe to use from several threads. Without ``database`` the store gets a
    fresh database of its own.
    """

    def __init__(self, *, log: str = "self", database: MemoryDatabase | None = None) -> None:
        self._log_name = check_log_name(log)
        self._database = database if database is not None else MemoryDatabase()
        self._closed = False

    @property
    def log(self) -> str:
        """The name of the log this store reads and writes."""
        return self._log_name

    @property
    def database(self) -> MemoryDatabase:
        """The database this store keeps its log in (open more stores on it)."""
        return self._database

    def _state(self, *, write: bool = False) -> _Log:
        # Called with the database lock held; only writes make a log appear.
        if self._closed:
            raise closed_error(self._log_name)
        logs = self._database._logs
        if write:
            return logs.setdefault(self._log_name, _Log())
        return logs.get(self._log_name) or _Log()

    # EntryStore

    def append_entries(self, entries: Sequence[bytes], leaf_hashes: Sequence[bytes]) -> int:
        """Store the entries at the next indexes and return the first (see EntryStore)."""
        entry_list, hash_list = check_batch(entries, leaf_hashes)
        with self._database._lock:
            state = self._state(write=True)
            first = len(state.entries)
            state.entries.extend(entry_list)
            state.leaf_hashes.extend(hash_list)
            for offset, leaf_hash in enumerate(hash_list):
                state.first_index.setdefault(leaf_hash, first + offset)
            return first

    def append_and_publish(
        self,
        *,
        old_size: int,
        entries: Sequence[bytes],
        leaf_hashes: Sequence[bytes],
        tiles: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> int:
        """Append to a fully integrated log and publish the tree including the new entries."""
        entry_list, hash_list = check_batch(entries, leaf_hashes)
        new_size = old_size + len(entry_list)
        checked = check_publish(
            old_size=old_size, new_size=new_size, tiles=tiles, checkpoint=checkpoint
        )
        with self._database._lock:
            state = self._state(write=True)
            if len(state.entries) != old_size or state.tree_size != old_size:
                raise ConflictError(
                    f"log {self._log_name!r} has {len(state.entries)} entries and a tree of "
                    f"{state.tree_size}, not both {old_size}; another writer came first"
                )
            first = self.append_entries(entry_list, hash_list)
            self.publish(old_size=old_size, new_size=new_size, tiles=checked, checkpoint=checkpoint)
            return first

    def read_entries(self, start: int, stop: int) -> list[bytes]:
        """The entries ``[start, stop)`` (see EntryStore)."""
        return self._read("entries", start, stop)

    def read_leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """The leaf hashes of the entries ``[start, stop)`` (see EntryStore)."""
        return self._read("leaf_hashes", start, stop)

    def _read(self, column: str, start: int, stop: int) -> list[bytes]:
        check_range(start, stop)
        with self._database._lock:
            state = self._state()
            values = state.entries if column == "entries" else state.leaf_hashes
            found = values[start:stop]
        check_stored(self._log_name, start, stop, len(found))
        return found

    def entry_count(self) -> int:
        """How many entries are stored."""
        with self._database._lock:
            return len(self._state().entries)

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The smallest index with this leaf hash, or None."""
        check_leaf_hash(leaf_hash)
        with self._database._lock:
            return self._state().first_index.get(leaf_hash)

    def find_leaves(self, leaf_hashes: Sequence[bytes]) -> dict[bytes, int]:
        """The smallest index of each hash of ``leaf_hashes`` that is stored."""
        wanted = {check_leaf_hash(leaf_hash) for leaf_hash in leaf_hashes}
        with self._database._lock:
            first_index = self._state().first_index
            return {h: first_index[h] for h in wanted if h in first_index}

    # TreeStore

    def tree_size(self) -> int:
        """The published tree size; 0 before the first publish."""
        with self._database._lock:
            return self._state().tree_size

    def read_tiles(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        """The stored data of the tiles in ``ids``; absent tiles are omitted."""
        wanted = check_tile_ids(ids)
        with self._database._lock:
            tiles = self._state().tiles
            return {tile_id: tiles[tile_id] for tile_id in wanted if tile_id in tiles}

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint of the current tree size, or None before the first publish."""
        with self._database._lock:
            state = self._state()
            return state.checkpoints.get(state.tree_size)

    def checkpoint_history(self) -> list[tuple[int, bytes]]:
        """Every published (size, checkpoint), oldest first."""
        with self._database._lock:
            return sorted(self._state().checkpoints.items())

    def publish(
        self,
        *,
        old_size: int,
        new_size: int,
        tiles: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> None:
        """Write tiles and checkpoint and move the tree size, if it is still ``old_size``."""
        checked = check_publish(
            old_size=old_size, new_size=new_size, tiles=tiles, checkpoint=checkpoint
        )
        with self._database._lock:
            state = self._state(write=True)
            if state.tree_size != old_size:
                raise ConflictError(
                    f"log {self._log_name!r}: the tree size is {state.tree_size}, "
                    f"not {old_size}; another writer published first"
                )
            if new_size > len(state.entries):
                raise ValueError(
                    f"log {self._log_name!r} has {len(state.entries)} entries; "
                    f"cannot publish a tree of size {new_size}"
                )
            state.tiles.update(checked)
            state.checkpoints[new_size] = checkpoint
            state.tree_size = new_size

    # MetaStore

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        check_meta_key(key)
        with self._database._lock:
            return self._state().meta.get(key)

    def set_meta(self, key: str, value: str, *, create_only: bool = False) -> None:
        """Store ``value`` under ``key``; with ``create_only`` the key must be new."""
        check_meta_key(key)
        check_meta_value(value)
        with self._database._lock:
            meta = self._state(write=True).meta
            if create_only and key in meta:
                raise ConflictError(f"log {self._log_name!r}: meta key {key!r} already exists")
            meta[key] = value

    def compare_and_set_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Store ``value`` under ``key`` if it still holds ``expected`` (None: no value)."""
        check_meta_key(key)
        if expected is not None:
            check_meta_value(expected)
        check_meta_value(value)
        with self._database._lock:
            meta = self._state(write=True).meta
            if meta.get(key) != expected:
                return False
            meta[key] = value
            return True

    # Lifecycle

    def close(self) -> None:
        """Mark the store closed; the database and its logs stay."""
        self._closed = True
