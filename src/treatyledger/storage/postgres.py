"""The PostgreSQL driver: psycopg 3, explicit transactions, counters under row locks.

Every write is one transaction. An append bumps the log's ``entry_count``
with an upsert that locks the log's row, so concurrent appenders (any number
of connections, threads or hosts) queue on that lock and get distinct,
gap-free ranges; the entries go in as one ``batches`` row (see
:mod:`treatyledger.storage._schema`), and once ``index_threshold`` entries
wait outside the leaf hash index, the append indexes them all with binary
``COPY``, in key order. A publish locks the
same row with ``SELECT ... FOR UPDATE`` and compares the tree size before it
writes. Commits wait for the server's WAL flush (``synchronous_commit`` is
turned back on for the session if the server has it off).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from treatyledger.errors import ConflictError, InputError, StorageError
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
    POSTGRES_BOOTSTRAP,
    POSTGRES_MIGRATIONS,
    POSTGRES_SCHEMA,
    SCHEMA_LOCK_KEY,
    decode_entries,
    decode_hashes,
    encode_rows,
    index_keys,
    latest_version,
    leaf_key,
    row_span,
)
from treatyledger.storage.protocols import TileId

__all__ = ["DEFAULT_INDEX_THRESHOLD", "PostgresStore", "describe_conninfo"]

DEFAULT_INDEX_THRESHOLD = 16_384
"""How many entries may wait outside the leaf hash index before an append indexes them."""

_S = POSTGRES_SCHEMA
_Connection = psycopg.Connection[tuple[Any, ...]]
_Cursor = psycopg.Cursor[tuple[Any, ...]]


def describe_conninfo(conninfo: str) -> str:
    """A short name for a connection string, fit for messages: never its password."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "PostgreSQL (unparsable connection string)"
    host = params.get("host") or params.get("hostaddr") or "default host"
    port = params.get("port")
    where = f"{host}:{port}" if port else str(host)
    return f"PostgreSQL database {params.get('dbname') or '(default)'} on {where}"


class PostgresStore(Closing):
    """A :class:`~treatyledger.storage.protocols.Store` in a PostgreSQL database.

    ``conninfo`` is a libpq connection string or ``postgresql://`` URL. Opening
    brings the schema (the ``treatyledger`` namespace) up to date under an
    advisory lock, so many clients may open a new database at once.

    Threads: a store holds one connection, guarded by a lock, so any thread
    may call any method and calls run one at a time. Open one store per
    thread for parallel work. A connection the server dropped is replaced on
    the next call; a call that failed mid-commit may or may not have been
    applied, so resubmit appends idempotently (see ``find_leaf``).

    ``index_threshold`` is how many appended entries may wait outside the leaf
    hash index (``find_leaf`` scans their hashes instead); the append that
    reaches it indexes them all at once, in key order. A store keeps the
    hashes it scanned in memory (at most the entries outside the index), so
    each lookup reads only the rows appended since its last one.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        log: str = "self",
        index_threshold: int = DEFAULT_INDEX_THRESHOLD,
    ) -> None:
        self._log_name = check_log_name(log)
        self._index_threshold = check_index_threshold(index_threshold)
        try:
            params = conninfo_to_dict(conninfo)
        except psycopg.Error as exc:
            raise InputError(f"invalid PostgreSQL connection string: {exc}") from exc
        self._conninfo = conninfo
        self._extra: dict[str, Any] = (
            {} if "application_name" in params else {"application_name": "treatyledger"}
        )
        self._where = describe_conninfo(conninfo)
        self._lock = threading.Lock()
        # The hashes of the entries from _tail_from (indexed_upto) to _tail_to, see _scan_tail.
        self._tail: dict[bytes, int] = {}
        self._tail_from = self._tail_to = 0
        self._connection: _Connection | None = self._connect()
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    @property
    def log(self) -> str:
        """The name of the log this store reads and writes."""
        return self._log_name

    def schema_version(self) -> int:
        """The schema version of the database (the last migration step applied)."""
        rows = self._query(f"SELECT coalesce(max(version), 0) FROM {_S}.schema_migrations", ())
        return int(rows[0][0])

    # Plumbing

    def _connect(self) -> _Connection:
        try:
            connection = psycopg.connect(self._conninfo, autocommit=True, **self._extra)
        except psycopg.Error as exc:
            raise StorageError(f"cannot connect to {self._where}: {exc}") from exc
        try:
            row = connection.execute("SHOW synchronous_commit").fetchone()
            if row is not None and row[0] == "off":
                # An acknowledged write must be on disk; other values all wait for a flush.
                connection.execute("SET synchronous_commit = on")
        except psycopg.Error as exc:
            connection.close()
            raise StorageError(f"cannot configure {self._where}: {exc}") from exc
        return connection

    def _open_connection(self) -> _Connection:
        # Called with the lock held.
        if self._connection is None:
            raise closed_error(self._log_name)
        if self._connection.broken:
            self._connection.close()
            self._connection = self._connect()
        return self._connection

    def _migrate(self) -> None:
        latest = latest_version(POSTGRES_MIGRATIONS)
        with self._transaction() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{_S}.schema_migrations",))
            row = cursor.fetchone()
            if row is not None and row[0]:
                cursor.execute(f"SELECT coalesce(max(version), 0) FROM {_S}.schema_migrations")
                current = cursor.fetchone()
                if current is not None and current[0] == latest:
                    return  # the common case takes no lock
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            for statement in POSTGRES_BOOTSTRAP:
                cursor.execute(statement)
            cursor.execute(f"SELECT coalesce(max(version), 0) FROM {_S}.schema_migrations")
            found = cursor.fetchone()
            current_version = int(found[0]) if found is not None else 0
            if current_version > latest:
                raise StorageError(
                    f"{self._where} has schema version {current_version}; this treatyledger "
                    f"knows versions up to {latest}. Upgrade treatyledger."
                )
            for step in POSTGRES_MIGRATIONS:
                if step.version > current_version:
                    for statement in step.statements:
                        cursor.execute(statement)
                    cursor.execute(
                        f"INSERT INTO {_S}.schema_migrations (version, description) "
                        "VALUES (%s, %s)",
                        (step.version, step.description),
                    )

    @contextmanager
    def _transaction(self) -> Iterator[_Cursor]:
        """Run the block in one transaction; it commits (durably) when the block ends."""
        with self._lock:
            connection = self._open_connection()
            try:
                with connection.transaction(), connection.cursor(binary=True) as cursor:
                    yield cursor
            except psycopg.Error as exc:
                raise StorageError(f"{self._where}: {exc}") from exc

    def _query(
        self, sql: str, parameters: Sequence[object] | Mapping[str, object]
    ) -> list[tuple[Any, ...]]:
        with self._lock:
            connection = self._open_connection()
            try:
                with connection.cursor(binary=True) as cursor:
                    cursor.execute(sql, parameters)
                    return cursor.fetchall()
            except psycopg.Error as exc:
                raise StorageError(f"{self._where}: {exc}") from exc

    # EntryStore

    def append_entries(self, entries: Sequence[bytes], leaf_hashes: Sequence[bytes]) -> int:
        """Store the entries at the next indexes and return the first (see EntryStore)."""
        entry_list, hash_list = check_batch(entries, leaf_hashes)
        with self._transaction() as cursor:
            return self._append_rows(cursor, entry_list, hash_list)

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
        with self._transaction() as cursor:
            count, size = self._lock_counters(cursor)
            if count != old_size or size != old_size:
                raise ConflictError(
                    f"log {log!r} has {count} entries and a tree of {size}, not both "
                    f"{old_size}; another writer came first"
                )
            first = self._append_rows(cursor, entry_list, hash_list)
            self._publish_rows(cursor, old_size, new_size, checked, checkpoint)
        return first

    def _lock_counters(self, cursor: _Cursor) -> tuple[int, int]:
        """Lock the log's counter row until commit and return (entry_count, tree_size)."""
        log = self._log_name
        cursor.execute(
            f"INSERT INTO {_S}.logs (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", (log,)
        )
        cursor.execute(
            f"SELECT entry_count, tree_size FROM {_S}.logs WHERE name = %s FOR UPDATE", (log,)
        )
        row = cursor.fetchone()
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    def _append_rows(self, cursor: _Cursor, entry_list: list[bytes], hash_list: list[bytes]) -> int:
        rows = encode_rows(entry_list, hash_list)
        log = self._log_name
        # The upsert locks the log's row until commit: the next appender waits here.
        cursor.execute(
            f"INSERT INTO {_S}.logs AS l (name, entry_count) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE "
            "SET entry_count = l.entry_count + EXCLUDED.entry_count "
            "RETURNING l.entry_count, l.indexed_upto",
            (log, len(entry_list)),
        )
        row = cursor.fetchone()
        if row is None:  # pragma: no cover - an upsert always returns its row
            raise StorageError(f"{self._where}: the counter of log {log!r} did not update")
        count, indexed = int(row[0]), int(row[1])
        first = count - len(entry_list)
        cursor.executemany(
            f"INSERT INTO {_S}.batches (log, first_index, count, entry_width, hash_width, "
            "entries, leaf_hashes) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    log,
                    first + encoded.offset,
                    encoded.count,
                    encoded.entry_width,
                    encoded.hash_width,
                    encoded.entries,
                    encoded.hashes,
                )
                for encoded in rows
            ],
        )
        if count - indexed >= self._index_threshold:
            self._index(cursor, indexed)
            cursor.execute(f"UPDATE {_S}.logs SET indexed_upto = %s WHERE name = %s", (count, log))
        return first

    def _index(self, cursor: _Cursor, indexed: int) -> None:
        """Add the entries from ``indexed`` on to the leaf hash index, in key order."""
        # Hashes of 8 bytes or more (digests): keyed by the server, in one statement.
        cursor.execute(
            f"WITH tail AS MATERIALIZED ("
            f"SELECT first_index, count, hash_width, leaf_hashes || ''::bytea AS hashes "
            f"FROM {_S}.batches WHERE log = %(log)s AND first_index >= %(from)s "
            "AND hash_width >= 8) "
            f"INSERT INTO {_S}.leaf_index (log, key, idx) "
            "SELECT %(log)s, ('x' || encode(substring(t.hashes FROM g * t.hash_width + 1 FOR 8), "
            "'hex'))::bit(64)::bigint, t.first_index + g "
            "FROM tail AS t CROSS JOIN LATERAL generate_series(0, t.count - 1) AS g "
            "ORDER BY 2, 3",
            {"log": self._log_name, "from": indexed},
        )
        # Shorter or mixed-length hashes (never a digest the log computes): keyed here.
        cursor.execute(
            f"SELECT first_index, count, hash_width, leaf_hashes FROM {_S}.batches "
            "WHERE log = %s AND first_index >= %s AND hash_width < 8",
            (self._log_name, indexed),
        )
        keys, indexes = index_keys(cursor.fetchall())
        if keys:
            with cursor.copy(
                f"COPY {_S}.leaf_index (log, key, idx) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int8", "int8"])
                for key, index in sorted(zip(keys, indexes, strict=True)):
                    copy.write_row((self._log_name, key, index))

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

    def _rows(self, columns: str, start: int, stop: int) -> list[tuple[Any, ...]]:
        """The ``batches`` rows that hold ``[start, stop)``: first index, count, ``columns``."""
        check_range(start, stop)
        if start == stop:
            with self._lock:
                self._open_connection()
            return []
        return self._query(
            f"SELECT first_index, count, {columns} FROM {_S}.batches "
            "WHERE log = %(log)s AND first_index < %(stop)s AND first_index >= "
            f"(SELECT max(first_index) FROM {_S}.batches "
            "WHERE log = %(log)s AND first_index <= %(start)s) "
            "ORDER BY first_index",
            {"log": self._log_name, "start": start, "stop": stop},
        )

    def entry_count(self) -> int:
        """How many entries are stored."""
        rows = self._query(f"SELECT entry_count FROM {_S}.logs WHERE name = %s", (self._log_name,))
        return int(rows[0][0]) if rows else 0

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The smallest index with this leaf hash, or None."""
        return self.find_leaves([check_leaf_hash(leaf_hash)]).get(leaf_hash)

    def find_leaves(self, leaf_hashes: Sequence[bytes]) -> dict[bytes, int]:
        """The smallest index of each hash of ``leaf_hashes`` that is stored (see EntryStore).

        One transaction: the index below ``indexed_upto``, then the scanned
        tail above it (only the rows added since the last lookup are read).
        """
        wanted = {check_leaf_hash(leaf_hash) for leaf_hash in leaf_hashes}
        log = self._log_name
        # Correct without a snapshot: the index below indexed_upto, once written, only
        # grows, and rows never change, so each statement may see later commits.
        with self._transaction() as cursor:
            cursor.execute(f"SELECT indexed_upto FROM {_S}.logs WHERE name = %s", (log,))
            row = cursor.fetchone()
            indexed = int(row[0]) if row is not None else 0
            found = self._find_indexed(cursor, wanted, indexed) if indexed and wanted else {}
            tail = self._scan_tail(cursor, indexed)
            for leaf_hash in wanted - found.keys():
                index = tail.get(leaf_hash)
                if index is not None:
                    found[leaf_hash] = index
        return found

    def _find_indexed(self, cursor: _Cursor, wanted: set[bytes], indexed: int) -> dict[bytes, int]:
        """The hashes of ``wanted`` below ``indexed``: the index's candidates, checked in full."""
        cursor.execute(
            f"SELECT i.idx, b.first_index, b.hash_width, b.leaf_hashes "
            f"FROM {_S}.leaf_index AS i CROSS JOIN LATERAL ("
            f"SELECT first_index, hash_width, leaf_hashes FROM {_S}.batches "
            "WHERE log = i.log AND first_index <= i.idx "
            "ORDER BY first_index DESC LIMIT 1) AS b "
            "WHERE i.log = %s AND i.key = ANY(%s::int8[]) AND i.idx < %s ORDER BY i.idx",
            (self._log_name, sorted({leaf_key(leaf_hash) for leaf_hash in wanted}), indexed),
        )
        found: dict[bytes, int] = {}
        for index, first, width, blob in cursor.fetchall():
            [stored] = decode_hashes(width, blob, index - first, 1)
            if stored in wanted and stored not in found:  # smallest index first
                found[stored] = int(index)
        return found

    def _scan_tail(self, cursor: _Cursor, indexed: int) -> dict[bytes, int]:
        """The smallest index of each hash from ``indexed`` on (the entries outside the index).

        Rows never change once committed, and appends commit in index order
        (they queue on the log's row lock), so every statement sees all the rows
        below the last one it sees: the tail read before is kept and only newer
        rows are read. Once an append has indexed the tail, it starts anew.
        """
        if indexed != self._tail_from:
            self._tail, self._tail_from, self._tail_to = {}, indexed, indexed
        cursor.execute(
            f"SELECT first_index, count, hash_width, leaf_hashes FROM {_S}.batches "
            "WHERE log = %s AND first_index >= %s ORDER BY first_index",
            (self._log_name, self._tail_to),
        )
        tail = self._tail
        for first, count, width, blob in cursor:
            for offset, leaf_hash in enumerate(decode_hashes(width, blob, 0, count)):
                tail.setdefault(leaf_hash, first + offset)
            self._tail_to = first + count
        return tail

    # TreeStore

    def tree_size(self) -> int:
        """The published tree size; 0 before the first publish."""
        rows = self._query(f"SELECT tree_size FROM {_S}.logs WHERE name = %s", (self._log_name,))
        return int(rows[0][0]) if rows else 0

    def read_tiles(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        """The stored data of the tiles in ``ids``, from one snapshot; absent tiles are omitted."""
        wanted = check_tile_ids(ids)
        if not wanted:
            with self._lock:
                self._open_connection()
            return {}
        rows = self._query(
            f"SELECT t.level, t.idx, t.data FROM {_S}.tiles AS t "
            "JOIN unnest(%s::int8[], %s::int8[]) AS w (level, idx) "
            "ON t.level = w.level AND t.idx = w.idx WHERE t.log = %s",
            ([level for level, _ in wanted], [index for _, index in wanted], self._log_name),
        )
        return {(int(level), int(index)): bytes(data) for level, index, data in rows}

    def latest_checkpoint(self) -> bytes | None:
        """The checkpoint of the current tree size, or None before the first publish."""
        rows = self._query(
            f"SELECT c.note FROM {_S}.logs AS l JOIN {_S}.checkpoints AS c "
            "ON c.log = l.name AND c.size = l.tree_size WHERE l.name = %s",
            (self._log_name,),
        )
        return bytes(rows[0][0]) if rows else None

    def checkpoint_history(self) -> list[tuple[int, bytes]]:
        """Every published (size, checkpoint), oldest first."""
        rows = self._query(
            f"SELECT size, note FROM {_S}.checkpoints WHERE log = %s ORDER BY size",
            (self._log_name,),
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
        with self._transaction() as cursor:
            self._publish_rows(cursor, old_size, new_size, checked, checkpoint)

    def _publish_rows(
        self,
        cursor: _Cursor,
        old_size: int,
        new_size: int,
        checked: Mapping[TileId, bytes],
        checkpoint: bytes,
    ) -> None:
        log = self._log_name
        count, size = self._lock_counters(cursor)
        if size != old_size:
            raise ConflictError(
                f"log {log!r}: the tree size is {size}, not {old_size}; "
                "another writer published first"
            )
        if new_size > count:
            raise ValueError(
                f"log {log!r} has {count} entries; cannot publish a tree of size {new_size}"
            )
        if checked:
            cursor.executemany(
                f"INSERT INTO {_S}.tiles (log, level, idx, data) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (log, level, idx) DO UPDATE SET data = EXCLUDED.data",
                [(log, level, index, data) for (level, index), data in checked.items()],
            )
        cursor.execute(
            f"INSERT INTO {_S}.checkpoints (log, size, note) VALUES (%s, %s, %s) "
            "ON CONFLICT (log, size) DO UPDATE SET note = EXCLUDED.note",
            (log, new_size, checkpoint),
        )
        cursor.execute(f"UPDATE {_S}.logs SET tree_size = %s WHERE name = %s", (new_size, log))

    # MetaStore

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        check_meta_key(key)
        rows = self._query(
            f"SELECT value FROM {_S}.meta WHERE log = %s AND key = %s", (self._log_name, key)
        )
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str, *, create_only: bool = False) -> None:
        """Store ``value`` under ``key``; with ``create_only`` the key must be new."""
        check_meta_key(key)
        check_meta_value(value)
        log = self._log_name
        action = "NOTHING" if create_only else "UPDATE SET value = EXCLUDED.value"
        with self._transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {_S}.meta (log, key, value) VALUES (%s, %s, %s) "
                f"ON CONFLICT (log, key) DO {action} RETURNING 1",
                (log, key, value),
            )
            if cursor.fetchone() is None:
                raise ConflictError(f"log {log!r}: meta key {key!r} already exists")

    def compare_and_set_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Store ``value`` under ``key`` if the stored value is still ``expected`` (None: absent).

        One statement: an insert that does nothing on conflict, or an update
        whose ``WHERE`` names the expected value. A concurrent updater waits
        for the row lock and then re-checks the ``WHERE`` on the new row, so
        exactly one of several racing updaters wins.
        """
        check_meta_key(key)
        if expected is not None:
            check_meta_value(expected)
        check_meta_value(value)
        log = self._log_name
        with self._transaction() as cursor:
            if expected is None:
                cursor.execute(
                    f"INSERT INTO {_S}.meta (log, key, value) VALUES (%s, %s, %s) "
                    "ON CONFLICT (log, key) DO NOTHING RETURNING 1",
                    (log, key, value),
                )
            else:
                cursor.execute(
                    f"UPDATE {_S}.meta SET value = %s "
                    "WHERE log = %s AND key = %s AND value = %s RETURNING 1",
                    (value, log, key, expected),
                )
            return cursor.fetchone() is not None

    # Lifecycle

    def close(self) -> None:
        """Close the connection; later calls raise StorageError."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
