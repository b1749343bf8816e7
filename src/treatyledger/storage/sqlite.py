"""The SQLite driver: one database file, durable on every acknowledged write.

The file runs in WAL mode with ``synchronous=FULL``, so a write that returned
has been fsynced and survives a killed process or a power cut. Every write
runs in ``BEGIN IMMEDIATE``, which takes the database's single writer lock
before reading the counters: appenders in other threads or processes wait
(up to the busy timeout) and then see the committed counters, so indexes are
distinct and gap-free.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any, Self

from treatyledger.errors import ConflictError, StorageError
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
from treatyledger.storage._schema import SQLITE_BOOTSTRAP, SQLITE_MIGRATIONS, latest_version
from treatyledger.storage.protocols import TileId

__all__ = ["SqliteStore"]


class SqliteStore:
    """A :class:`~treatyledger.storage.protocols.Store` in a SQLite database file.

    Opening creates the file if needed and brings its schema up to date.
    ``path`` may be ``":memory:"`` for a private, non-durable database.

    Threads: a store holds one connection, opened with
    ``check_same_thread=False`` and guarded by a lock, so any thread may call
    any method and calls run one at a time. Open one store per thread when
    reads should run in parallel; the WAL lets readers proceed beside a writer.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        log: str = "self",
        busy_timeout: float = 30.0,
    ) -> None:
        self._log_name = check_log_name(log)
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        try:
            connection = sqlite3.connect(
                self._path,
                timeout=busy_timeout,
                isolation_level=None,  # autocommit: transactions are explicit
                check_same_thread=False,  # the lock serialises use across threads
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {self._path}: {exc}") from exc
        self._connection: sqlite3.Connection | None = connection
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA fullfsync = ON")  # F_FULLFSYNC where it exists (macOS)
            connection.execute("PRAGMA checkpoint_fullfsync = ON")
            self._migrate()
        except sqlite3.Error as exc:
            connection.close()
            raise StorageError(f"cannot open SQLite database {self._path}: {exc}") from exc
        except BaseException:
            connection.close()
            raise

    @property
    def log(self) -> str:
        """The name of the log this store reads and writes."""
        return self._log_name

    @property
    def path(self) -> str:
        """The database file (or ``":memory:"``)."""
        return self._path

    def schema_version(self) -> int:
        """The schema version of the database (the last migration step applied)."""
        rows = self._query("SELECT max(version) FROM schema_migrations", ())
        return int(rows[0][0] or 0)

    # Plumbing

    def _migrate(self) -> None:
        latest = latest_version(SQLITE_MIGRATIONS)
        if self._current_version() == latest:
            return  # the common case takes no write lock
        with self._transaction() as connection:
            connection.execute(SQLITE_BOOTSTRAP)
            row = connection.execute("SELECT max(version) FROM schema_migrations").fetchone()
            current = int(row[0] or 0)
            if current > latest:
                raise StorageError(
                    f"SQLite database {self._path} has schema version {current}; "
                    f"this treatyledger knows versions up to {latest}. Upgrade treatyledger."
                )
            for step in SQLITE_MIGRATIONS:
                if step.version > current:
                    for statement in step.statements:
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
                        (step.version, step.description),
                    )

    def _current_version(self) -> int:
        with self._lock:
            connection = self._open_connection()
            table = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            ).fetchone()
            if table is None:
                return 0
            row = connection.execute("SELECT max(version) FROM schema_migrations").fetchone()
            return int(row[0] or 0)

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise closed_error(self._log_name)
        return self._connection

    @contextmanager
    def _transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction: a writer's (IMMEDIATE) or a reader's snapshot."""
        with self._lock:
            connection = self._open_connection()
            try:
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield connection
                connection.execute("COMMIT")
            except BaseException as exc:
                if connection.in_transaction:
                    with suppress(sqlite3.Error):  # the original error says more
                        connection.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"SQLite database {self._path}: {exc}") from exc
                raise

    def _query(self, sql: str, parameters: tuple[object, ...]) -> list[Any]:
        with self._lock:
            connection = self._open_connection()
            try:
                return connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"SQLite database {self._path}: {exc}") from exc

    @staticmethod
    def _counters(connection: sqlite3.Connection, log: str) -> tuple[int, int]:
        row = connection.execute(
            "SELECT entry_count, tree_size FROM logs WHERE name = ?", (log,)
        ).fetchone()
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    # EntryStore

    def append_entries(self, entries: Sequence[bytes], leaf_hashes: Sequence[bytes]) -> int:
        """Store the entries at the next indexes and return the first (see EntryStore)."""
        entry_list, hash_list = check_batch(entries, leaf_hashes)
        log = self._log_name
        with self._transaction() as connection:
            first, _ = self._counters(connection, log)
            pairs = enumerate(zip(entry_list, hash_list, strict=True))
            connection.executemany(
                "INSERT INTO entries (log, idx, data, leaf_hash) VALUES (?, ?, ?, ?)",
                ((log, first + offset, entry, leaf) for offset, (entry, leaf) in pairs),
            )
            connection.execute(
                "INSERT INTO logs (name, entry_count) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET entry_count = excluded.entry_count",
                (log, first + len(entry_list)),
            )
        return first

    def read_entries(self, start: int, stop: int) -> list[bytes]:
        """The entries ``[start, stop)`` (see EntryStore)."""
        return self._read("data", start, stop)

    def read_leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """The leaf hashes of the entries ``[start, stop)`` (see EntryStore)."""
        return self._read("leaf_hash", start, stop)

    def _read(self, column: str, start: int, stop: int) -> list[bytes]:
        check_range(start, stop)
        if start == stop:
            self._open_connection()
            return []
        rows = self._query(
            f"SELECT {column} FROM entries WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (self._log_name, start, stop),
        )
        check_stored(self._log_name, start, stop, len(rows))
        return [bytes(row[0]) for row in rows]

    def entry_count(self) -> int:
        """How many entries are stored."""
        rows = self._query("SELECT entry_count FROM logs WHERE name = ?", (self._log_name,))
        return int(rows[0][0]) if rows else 0

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The smallest index with this leaf hash, or None."""
        check_leaf_hash(leaf_hash)
        rows = self._query(
            "SELECT idx FROM entries WHERE log = ? AND leaf_hash = ? ORDER BY idx LIMIT 1",
            (self._log_name, leaf_hash),
        )
        return int(rows[0][0]) if rows else None

    # TreeStore

    def tree_size(self) -> int:
        """The published tree size; 0 before the first publish."""
        rows = self._query("SELECT tree_size FROM logs WHERE name = ?", (self._log_name,))
        return int(rows[0][0]) if rows else 0

    def read_tiles(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        """The stored data of the tiles in ``ids``, from one snapshot; absent tiles are omitted."""
        wanted = check_tile_ids(ids)
        found: dict[TileId, bytes] = {}
        with self._transaction(write=False) as connection:
            for level, index in wanted:
                row = connection.execute(
                    "SELECT data FROM tiles WHERE log = ? AND level = ? AND idx = ?",
                    (self._log_name, level, index),
                ).fetchone()
                if row is not None:
                    found[(level, index)] = bytes(row[0])
        return found

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint of the current tree size, or None before the first publish."""
        rows = self._query(
            "SELECT checkpoints.note FROM logs JOIN checkpoints "
            "ON checkpoints.log = logs.name AND checkpoints.size = logs.tree_size "
            "WHERE logs.name = ?",
            (self._log_name,),
        )
        return bytes(rows[0][0]) if rows else None

    def checkpoint_history(self) -> list[tuple[int, bytes]]:
        """Every published (size, checkpoint), oldest first."""
        rows = self._query(
            "SELECT size, note FROM checkpoints WHERE log = ? ORDER BY size", (self._log_name,)
        )
        return [(int(size), bytes(note)) for size, note in rows]

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
        log = self._log_name
        with self._transaction() as connection:
            count, size = self._counters(connection, log)
            if size != old_size:
                raise ConflictError(
                    f"log {log!r}: the tree size is {size}, not {old_size}; "
                    "another writer published first"
                )
            if new_size > count:
                raise ValueError(
                    f"log {log!r} has {count} entries; cannot publish a tree of size {new_size}"
                )
            connection.executemany(
                "INSERT INTO tiles (log, level, idx, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (log, level, idx) DO UPDATE SET data = excluded.data",
                ((log, level, index, data) for (level, index), data in checked.items()),
            )
            connection.execute(
                "INSERT INTO checkpoints (log, size, note) VALUES (?, ?, ?) "
                "ON CONFLICT (log, size) DO UPDATE SET note = excluded.note",
                (log, new_size, checkpoint),
            )
            connection.execute(
                "INSERT INTO logs (name, entry_count, tree_size) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET tree_size = excluded.tree_size",
                (log, count, new_size),
            )

    # MetaStore

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        check_meta_key(key)
        rows = self._query(
            "SELECT value FROM meta WHERE log = ? AND key = ?", (self._log_name, key)
        )
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str, *, create_only: bool = False) -> None:
        """Store ``value`` under ``key``; with ``create_only`` the key must be new."""
        check_meta_key(key)
        check_meta_value(value)
        log = self._log_name
        with self._transaction() as connection:
            if create_only:
                exists = connection.execute(
                    "SELECT 1 FROM meta WHERE log = ? AND key = ?", (log, key)
                ).fetchone()
                if exists is not None:
                    raise ConflictError(f"log {log!r}: meta key {key!r} already exists")
            connection.execute(
                "INSERT INTO meta (log, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (log, key) DO UPDATE SET value = excluded.value",
                (log, key, value),
            )

    # Lifecycle

    def close(self) -> None:
        """Close the connection; later calls raise StorageError."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Self:
        """The store itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()
