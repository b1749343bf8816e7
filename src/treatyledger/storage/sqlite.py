"""The SQLite driver: one database file, durable on every acknowledged write.

The file runs in WAL mode with ``synchronous=FULL``, so a write that returned
has been fsynced and survives a killed process or a power cut. Every write
runs in ``BEGIN IMMEDIATE``, which takes the database's single writer lock
before reading the counters: appenders in other threads or processes wait
(up to the busy timeout) and then see the committed counters, so indexes are
distinct and gap-free.

An append writes one ``batches`` row (see :mod:`treatyledger.storage._schema`);
the leaf hash index is brought up to date in bulk, inside an append, once
``index_threshold`` entries wait for it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from treatyledger.errors import ConflictError, StorageError
from treatyledger.storage._checks import (
    check_batch,
    check_index_threshold,
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
from treatyledger.storage._schema import (
    LEAF_KEY_SQLITE_FUNCTION,
    SQLITE_BOOTSTRAP,
    SQLITE_MIGRATIONS,
    decode_entries,
    decode_hashes,
    encode_rows,
    index_keys,
    latest_version,
    leaf_key,
    row_span,
)
from treatyledger.storage.protocols import TileId

__all__ = ["DEFAULT_INDEX_THRESHOLD", "SqliteStore"]

DEFAULT_INDEX_THRESHOLD = 65_536
"""How many entries may wait outside the leaf hash index before an append indexes them."""

_KEYS_PER_LOOKUP = 500
"""Index keys looked up per statement (far below SQLite's limit on bound parameters)."""


def _enter_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, retrying while another connection holds the lock.

    Changing the journal mode of a new database can report "database is
    locked" at once, without waiting on the busy timeout, when several
    processes open the same new file together; so wait here instead.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


class SqliteStore(Closing):
    """A :class:`~treatyledger.storage.protocols.Store` in a SQLite database file.

    Opening creates the file if needed and brings its schema up to date.
    ``path`` may be ``":memory:"`` for a private, non-durable database.

    Threads: a store holds one connection, opened with
    ``check_same_thread=False`` and guarded by a lock, so any thread may call
    any method and calls run one at a time. Open one store per thread when
    reads should run in parallel; the WAL lets readers proceed beside a writer.

    ``index_threshold`` is how many appended entries may wait outside the leaf
    hash index (``find_leaf`` scans their hashes instead); the append that
    reaches it indexes them all at once, in key order. Larger values make
    appends cheaper and lookups of recent entries slower. A store keeps the
    hashes it scanned in memory (at most the entries outside the index), so
    each lookup reads only the rows appended since its last one.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        log: str = "self",
        busy_timeout: float = 30.0,
        index_threshold: int = DEFAULT_INDEX_THRESHOLD,
    ) -> None:
        self._log_name = check_log_name(log)
        self._index_threshold = check_index_threshold(index_threshold)
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        # The hashes of the entries from _tail_from (indexed_upto) to _tail_to, see _scan_tail.
        self._tail: dict[bytes, int] = {}
        self._tail_from = self._tail_to = 0
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
            _enter_wal(connection, busy_timeout)
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA fullfsync = ON")  # F_FULLFSYNC where it exists (macOS)
            connection.execute("PRAGMA checkpoint_fullfsync = ON")
            connection.create_function(  # used by migration step 2
                LEAF_KEY_SQLITE_FUNCTION, 1, leaf_key, deterministic=True
            )
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
        with self._transaction() as connection:
            return self._append_rows(connection, entry_list, hash_list)

    def append_and_publish(
        self,
        *,
        old_size: int,
        entries: Sequence[bytes],
        leaf_hashes: Sequence[bytes],
        tiles: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> int:
        """Append to a fully integrated log and publish the tree including the new entries.

        One transaction (see TreeStore.append_and_publish); returns the first index.
        """
        entry_list, hash_list = check_batch(entries, leaf_hashes)
        new_size = old_size + len(entry_list)
        checked = check_publish(
            old_size=old_size, new_size=new_size, tiles=tiles, checkpoint=checkpoint
        )
        log = self._log_name
        with self._transaction() as connection:
            count, size = self._counters(connection, log)
            if count != old_size or size != old_size:
                raise ConflictError(
                    f"log {log!r} has {count} entries and a tree of {size}, not both "
                    f"{old_size}; another writer came first"
                )
            first = self._append_rows(connection, entry_list, hash_list)
            self._publish_rows(connection, old_size, new_size, checked, checkpoint)
        return first

    def _append_rows(
        self, connection: sqlite3.Connection, entry_list: list[bytes], hash_list: list[bytes]
    ) -> int:
        rows = encode_rows(entry_list, hash_list)
        log = self._log_name
        found = connection.execute(
            "SELECT entry_count, indexed_upto FROM logs WHERE name = ?", (log,)
        ).fetchone()
        first, indexed = (int(found[0]), int(found[1])) if found is not None else (0, 0)
        connection.executemany(
            "INSERT INTO batches (log, first_index, count, entry_width, hash_width, "
            "entries, leaf_hashes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    log,
                    first + row.offset,
                    row.count,
                    row.entry_width,
                    row.hash_width,
                    row.entries,
                    row.hashes,
                )
                for row in rows
            ),
        )
        count = first + len(entry_list)
        if count - indexed >= self._index_threshold:
            self._index(connection, indexed)
            indexed = count
        connection.execute(
            "INSERT INTO logs (name, entry_count, indexed_upto) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET entry_count = excluded.entry_count, "
            "indexed_upto = excluded.indexed_upto",
            (log, count, indexed),
        )
        return first

    def _index(self, connection: sqlite3.Connection, indexed: int) -> None:
        """Add the entries from ``indexed`` on to the leaf hash index, in key order."""
        tail = connection.execute(
            "SELECT first_index, count, hash_width, leaf_hashes FROM batches "
            "WHERE log = ? AND first_index >= ? ORDER BY first_index",
            (self._log_name, indexed),
        )
        keys, indexes = index_keys(tail)
        pairs: list[int] = [0] * (2 * len(keys))
        pairs[0::2] = keys
        pairs[1::2] = indexes
        # A few statements of many rows each bind far faster than executemany.
        per_statement = max(1, connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 2 - 1)
        for start in range(0, len(keys), per_statement):
            chunk = pairs[2 * start : 2 * (start + per_statement)]
            values = ",".join(["(?,?)"] * (len(chunk) // 2))
            connection.execute(
                "INSERT INTO leaf_index (log, key, idx) "
                f"SELECT ?, column1, column2 FROM (VALUES {values}) ORDER BY column1, column2",
                [self._log_name, *chunk],
            )

    def read_entries(self, start: int, stop: int) -> list[bytes]:
        """The entries ``[start, stop)`` (see EntryStore)."""
        found: list[bytes] = []
        for first, count, width, blob in self._rows("entry_width, entries", start, stop):
            found += decode_entries(width, blob, *row_span(first, count, start, stop))
        check_stored(self._log_name, start, stop, len(found))
        return found

    def read_leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """The leaf hashes of the entries ``[start, stop)`` (see EntryStore)."""
        found: list[bytes] = []
        for first, count, width, blob in self._rows("hash_width, leaf_hashes", start, stop):
            found += decode_hashes(width, blob, *row_span(first, count, start, stop))
        check_stored(self._log_name, start, stop, len(found))
        return found

    def _rows(self, columns: str, start: int, stop: int) -> list[Any]:
        """The ``batches`` rows that hold ``[start, stop)``: first index, count, ``columns``."""
        check_range(start, stop)
        if start == stop:
            self._open_connection()
            return []
        return self._query(
            f"SELECT first_index, count, {columns} FROM batches "
            "WHERE log = ? AND first_index < ? AND first_index >= "
            "(SELECT max(first_index) FROM batches WHERE log = ? AND first_index <= ?) "
            "ORDER BY first_index",
            (self._log_name, stop, self._log_name, start),
        )

    def entry_count(self) -> int:
        """How many entries are stored."""
        rows = self._query("SELECT entry_count FROM logs WHERE name = ?", (self._log_name,))
        return int(rows[0][0]) if rows else 0

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The smallest index with this leaf hash, or None."""
        return self.find_leaves([check_leaf_hash(leaf_hash)]).get(leaf_hash)

    def find_leaves(self, leaf_hashes: Sequence[bytes]) -> dict[bytes, int]:
        """The smallest index of each hash of ``leaf_hashes`` that is stored (see EntryStore).

        One read transaction: the index below ``indexed_upto``, then the
        scanned tail above it (only the rows added since the last lookup are read).
        """
        wanted = {check_leaf_hash(leaf_hash) for leaf_hash in leaf_hashes}
        log = self._log_name
        with self._transaction(write=False) as connection:
            row = connection.execute(
                "SELECT indexed_upto FROM logs WHERE name = ?", (log,)
            ).fetchone()
            indexed = int(row[0]) if row is not None else 0
            found = self._find_indexed(connection, wanted, indexed) if indexed and wanted else {}
            tail = self._scan_tail(connection, indexed)
            for leaf_hash in wanted - found.keys():
                index = tail.get(leaf_hash)
                if index is not None:
                    found[leaf_hash] = index
        return found

    def _find_indexed(
        self, connection: sqlite3.Connection, wanted: set[bytes], indexed: int
    ) -> dict[bytes, int]:
        """The hashes of ``wanted`` below ``indexed``: the index's candidates, checked in full."""
        log = self._log_name
        keys = sorted({leaf_key(leaf_hash) for leaf_hash in wanted})
        found: dict[bytes, int] = {}
        for start in range(0, len(keys), _KEYS_PER_LOOKUP):
            chunk = keys[start : start + _KEYS_PER_LOOKUP]
            marks = ",".join("?" * len(chunk))
            candidates = connection.execute(
                f"SELECT idx FROM leaf_index WHERE log = ? AND key IN ({marks}) AND idx < ? "
                "ORDER BY idx",
                (log, *chunk, indexed),
            ).fetchall()
            for (index,) in candidates:
                first, width, blob = connection.execute(
                    "SELECT first_index, hash_width, leaf_hashes FROM batches "
                    "WHERE log = ? AND first_index <= ? ORDER BY first_index DESC LIMIT 1",
                    (log, index),
                ).fetchone()
                [stored] = decode_hashes(width, blob, index - first, 1)
                if stored in wanted and index < found.get(stored, index + 1):
                    found[stored] = int(index)
        return found

    def _scan_tail(self, connection: sqlite3.Connection, indexed: int) -> dict[bytes, int]:
        """The smallest index of each hash from ``indexed`` on (the entries outside the index).

        Rows never change once committed, and a snapshot holds every row below
        its last one, so the tail read before is kept and only newer rows are
        read: ``find_leaves`` costs the rows added since the last call, not
        the whole tail. Once an append has indexed the tail, it starts anew.
        """
        if indexed != self._tail_from:
            self._tail, self._tail_from, self._tail_to = {}, indexed, indexed
        rows = connection.execute(
            "SELECT first_index, count, hash_width, leaf_hashes FROM batches "
            "WHERE log = ? AND first_index >= ? ORDER BY first_index",
            (self._log_name, self._tail_to),
        )
        tail = self._tail
        for first, count, width, blob in rows:
            for offset, leaf_hash in enumerate(decode_hashes(width, blob, 0, count)):
                tail.setdefault(leaf_hash, first + offset)
            self._tail_to = first + count
        return tail

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
        with self._transaction() as connection:
            self._publish_rows(connection, old_size, new_size, checked, checkpoint)

    def _publish_rows(
        self,
        connection: sqlite3.Connection,
        old_size: int,
        new_size: int,
        checked: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> None:
        log = self._log_name
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

    def compare_and_set_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Store ``value`` under ``key`` if the stored value is still ``expected`` (None: absent).

        One ``BEGIN IMMEDIATE`` transaction: the writer lock is held from the
        read to the write, so concurrent updaters in any process serialise.
        """
        check_meta_key(key)
        if expected is not None:
            check_meta_value(expected)
        check_meta_value(value)
        log = self._log_name
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT value FROM meta WHERE log = ? AND key = ?", (log, key)
            ).fetchone()
            if (None if row is None else str(row[0])) != expected:
                return False
            connection.execute(
                "INSERT INTO meta (log, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (log, key) DO UPDATE SET value = excluded.value",
                (log, key, value),
            )
        return True

    # Lifecycle

    def close(self) -> None:
        """Close the connection; later calls raise StorageError."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
