"""The database schemas, as ordered migration steps for each SQL driver.

A database records every step it has applied in ``schema_migrations``; opening
a store applies the missing steps, in order, in one transaction. Steps are
never edited once released: a change to the schema is a new step at the end.

Every table is keyed by the log name, so one database holds several logs.
``logs`` holds one row per log: how many entries it has (the next index), the
published tree size, the two counters appends and publishes compare-and-swap
under a row lock, and ``indexed_upto``, how far ``leaf_index`` reaches.

Since version 2 the entries live in ``batches``: one row per append (a call
larger than :data:`ROW_MAX_ENTRIES` entries or :data:`ROW_MAX_BYTES` bytes takes
several rows, in the same transaction), holding the row's first index, its
entry count, and two blobs, the entries and their leaf hashes (see
:func:`encode_rows` for the layout). Writing a few large rows instead of one
row per entry is what makes appends fast. ``leaf_index`` maps an 8-byte key of
a leaf hash (:func:`leaf_key`) to the indexes that have it; it covers the
indexes below ``indexed_upto`` and is filled in bulk, in key order, whenever
an append leaves at least the store's ``index_threshold`` entries unindexed.
``find_leaf`` consults the index below ``indexed_upto`` and scans the hash
blobs of the rows from ``indexed_upto`` on, which always starts a row.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "HASHES_PREFIXED",
    "LEAF_KEY_SQLITE_FUNCTION",
    "POSTGRES_BOOTSTRAP",
    "POSTGRES_MIGRATIONS",
    "POSTGRES_SCHEMA",
    "SCHEMA_LOCK_KEY",
    "SQLITE_BOOTSTRAP",
    "SQLITE_MIGRATIONS",
    "EncodedRow",
    "Migration",
    "decode_entries",
    "decode_hashes",
    "encode_rows",
    "find_hash",
    "index_keys",
    "latest_version",
    "leaf_key",
    "row_span",
]


@dataclass(frozen=True)
class Migration:
    """One schema step: the version it brings the database to and its SQL statements."""

    version: int
    description: str
    statements: tuple[str, ...]


def latest_version(migrations: tuple[Migration, ...]) -> int:
    """The version a database has once every step in ``migrations`` is applied."""
    return migrations[-1].version if migrations else 0


# -- the batch rows (schema version 2) ---------------------------------------------------

ROW_MAX_ENTRIES = 4096
"""The most entries one ``batches`` row holds. Reading entry ``i`` of a row walks the
length prefixes before it, so rows stay small enough for that walk to be cheap."""

ROW_MAX_BYTES = 32 * 1024 * 1024
"""The most entry bytes one ``batches`` row holds (unless one entry alone is larger),
far below the 1 GB that SQLite and PostgreSQL allow in one value."""

ENTRIES_RAW = 0
"""``entry_width`` of a row of one entry stored as is (rows converted from version 1)."""

HASHES_PREFIXED = -1
"""``hash_width`` of a row whose leaf hashes differ in length: each has a 1-byte length."""

LEAF_KEY_SQLITE_FUNCTION = "treatyledger_leaf_key"
"""The SQL function (registered by the SQLite driver) that computes :func:`leaf_key`."""


@dataclass(frozen=True)
class EncodedRow:
    """One ``batches`` row of an append: ``count`` entries from ``offset`` in the call."""

    offset: int
    count: int
    entry_width: int
    """2 or 4: each entry follows its length as a big-endian integer of this many bytes."""
    hash_width: int
    """The length of every leaf hash (0 to 64), or :data:`HASHES_PREFIXED`."""
    entries: bytes
    hashes: bytes


_LENGTH_PREFIX = {2: struct.Struct(">H").pack, 4: struct.Struct(">I").pack}


def _encode_row(offset: int, entries: list[bytes], hashes: list[bytes]) -> EncodedRow:
    lengths = list(map(len, entries))
    entry_width = 2 if max(lengths) <= 0xFFFF else 4
    parts: list[bytes] = [b""] * (2 * len(entries))  # prefix, entry, prefix, entry, ...
    parts[0::2] = map(_LENGTH_PREFIX[entry_width], lengths)
    parts[1::2] = entries
    hash_lengths = set(map(len, hashes))
    if len(hash_lengths) == 1:
        hash_width, hash_blob = hash_lengths.pop(), b"".join(hashes)
    else:
        hash_width = HASHES_PREFIXED
        hash_blob = b"".join(bytes([len(leaf_hash)]) + leaf_hash for leaf_hash in hashes)
    return EncodedRow(offset, len(entries), entry_width, hash_width, b"".join(parts), hash_blob)


def encode_rows(entries: list[bytes], hashes: list[bytes]) -> list[EncodedRow]:
    """The ``batches`` rows of one append (usually one row).

    The entries blob is the entries in order, each after its length as a
    big-endian integer of ``entry_width`` bytes: 2 (the tlog entry-bundle
    encoding) when every entry of the row is at most 65,535 bytes, else 4. The
    hashes blob is the leaf hashes concatenated when they all have
    ``hash_width`` bytes, else (``hash_width`` = :data:`HASHES_PREFIXED`) each
    after a 1-byte length.
    """
    if len(entries) <= ROW_MAX_ENTRIES and sum(map(len, entries)) <= ROW_MAX_BYTES:
        return [_encode_row(0, entries, hashes)]
    rows: list[EncodedRow] = []
    start = 0
    size = 0
    for position, entry in enumerate(entries):
        full = position - start >= ROW_MAX_ENTRIES or size + len(entry) > ROW_MAX_BYTES
        if position > start and full:
            rows.append(_encode_row(start, entries[start:position], hashes[start:position]))
            start, size = position, 0
        size += len(entry)
    rows.append(_encode_row(start, entries[start:], hashes[start:]))
    return rows


def decode_entries(width: int, blob: bytes, skip: int, take: int) -> list[bytes]:
    """Entries ``skip`` to ``skip + take`` of a row's entries blob."""
    if take <= 0:
        return []
    if width == ENTRIES_RAW:
        return [bytes(blob)][skip : skip + take]
    position = 0
    if width == 2:
        for _ in range(skip):
            position += 2 + (blob[position] << 8 | blob[position + 1])
        found: list[bytes] = []
        for _ in range(take):
            end = position + 2 + (blob[position] << 8 | blob[position + 1])
            found.append(blob[position + 2 : end])
            position = end
        return found
    for _ in range(skip):
        position += width + int.from_bytes(blob[position : position + width], "big")
    found = []
    for _ in range(take):
        end = position + width + int.from_bytes(blob[position : position + width], "big")
        found.append(blob[position + width : end])
        position = end
    return found


def decode_hashes(width: int, blob: bytes, skip: int, take: int) -> list[bytes]:
    """Leaf hashes ``skip`` to ``skip + take`` of a row's hashes blob."""
    if take <= 0:
        return []
    if width == 0:
        return [b""] * take
    if width != HASHES_PREFIXED:
        return [blob[i : i + width] for i in range(skip * width, (skip + take) * width, width)]
    position = 0
    for _ in range(skip):
        position += 1 + blob[position]
    found: list[bytes] = []
    for _ in range(take):
        end = position + 1 + blob[position]
        found.append(blob[position + 1 : end])
        position = end
    return found


def find_hash(count: int, width: int, blob: bytes, leaf_hash: bytes) -> int | None:
    """The first position in a row whose leaf hash is ``leaf_hash``, or ``None``."""
    if width == HASHES_PREFIXED:
        for position, candidate in enumerate(decode_hashes(width, blob, 0, count)):
            if candidate == leaf_hash:
                return position
        return None
    if width != len(leaf_hash):
        return None
    if width == 0:
        return 0
    found = blob.find(leaf_hash)
    while found >= 0:  # a match must start at a hash boundary, not straddle two hashes
        if found % width == 0:
            return found // width
        found = blob.find(leaf_hash, found + 1)
    return None


def leaf_key(leaf_hash: bytes) -> int:
    """The ``leaf_index`` key of a leaf hash: its first 8 bytes (zero-padded) as a signed int.

    Digests are uniformly spread, so keys rarely collide; a lookup verifies
    the full hash of each candidate.
    """
    return int.from_bytes(leaf_hash[:8].ljust(8, b"\x00"), "big", signed=True)


def index_keys(rows: Iterable[tuple[int, int, int, bytes]]) -> tuple[list[int], list[int]]:
    """The keys and the indexes of the ``(first, count, width, hashes)`` rows, in row order.

    The drivers sort them by key in SQL, so the index's B-tree is written in order.
    """
    keys: list[int] = []
    indexes: list[int] = []
    for first, count, width, blob in rows:
        indexes += range(first, first + count)
        if width >= 8:  # the keys straight from the blob, in C
            keys += struct.unpack(">" + f"q{width - 8}x" * count, blob)
        else:
            keys += map(leaf_key, decode_hashes(width, blob, 0, count))
    return keys, indexes


def row_span(first: int, count: int, start: int, stop: int) -> tuple[int, int]:
    """``(skip, take)``: the part of the row ``[first, first + count)`` inside ``[start, stop)``."""
    low = max(first, start)
    return low - first, max(0, min(stop, first + count) - low)


SQLITE_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
"""Creates the table that records the applied steps."""

SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="entries, tiles, checkpoints and meta keyed by log name",
        statements=(
            """
            CREATE TABLE logs (
                name        TEXT    PRIMARY KEY,
                entry_count INTEGER NOT NULL DEFAULT 0 CHECK (entry_count >= 0),
                tree_size   INTEGER NOT NULL DEFAULT 0
                            CHECK (tree_size >= 0 AND tree_size <= entry_count)
            )
            """,
            """
            CREATE TABLE entries (
                log       TEXT    NOT NULL,
                idx       INTEGER NOT NULL CHECK (idx >= 0),
                data      BLOB    NOT NULL,
                leaf_hash BLOB    NOT NULL,
                PRIMARY KEY (log, idx)
            )
            """,
            "CREATE INDEX entries_by_leaf_hash ON entries (log, leaf_hash, idx)",
            """
            CREATE TABLE tiles (
                log   TEXT    NOT NULL,
                level INTEGER NOT NULL CHECK (level >= 0),
                idx   INTEGER NOT NULL CHECK (idx >= 0),
                data  BLOB    NOT NULL,
                PRIMARY KEY (log, level, idx)
            )
            """,
            """
            CREATE TABLE checkpoints (
                log  TEXT    NOT NULL,
                size INTEGER NOT NULL CHECK (size >= 0),
                note BLOB    NOT NULL,
                PRIMARY KEY (log, size)
            )
            """,
            """
            CREATE TABLE meta (
                log   TEXT NOT NULL,
                key   TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (log, key)
            )
            """,
        ),
    ),
    Migration(
        version=2,
        description="entries in one row per append; leaf hash index built in bulk",
        statements=(
            """
            CREATE TABLE batches (
                log         TEXT    NOT NULL,
                first_index INTEGER NOT NULL CHECK (first_index >= 0),
                count       INTEGER NOT NULL CHECK (count > 0),
                entry_width INTEGER NOT NULL
                            CHECK (entry_width IN (2, 4) OR (entry_width = 0 AND count = 1)),
                hash_width  INTEGER NOT NULL CHECK (hash_width BETWEEN -1 AND 64),
                entries     BLOB    NOT NULL,
                leaf_hashes BLOB    NOT NULL,
                PRIMARY KEY (log, first_index)
            )
            """,
            """
            CREATE TABLE leaf_index (
                log TEXT    NOT NULL,
                key INTEGER NOT NULL,
                idx INTEGER NOT NULL CHECK (idx >= 0),
                PRIMARY KEY (log, key, idx)
            ) WITHOUT ROWID
            """,
            "ALTER TABLE logs ADD COLUMN indexed_upto INTEGER NOT NULL DEFAULT 0 "
            "CHECK (indexed_upto >= 0 AND indexed_upto <= entry_count)",
            # Each version-1 entry becomes a row of its own, stored as is, and is indexed.
            "INSERT INTO batches "
            "(log, first_index, count, entry_width, hash_width, entries, leaf_hashes) "
            "SELECT log, idx, 1, 0, length(leaf_hash), data, leaf_hash FROM entries",
            f"INSERT INTO leaf_index (log, key, idx) "
            f"SELECT log, {LEAF_KEY_SQLITE_FUNCTION}(leaf_hash), idx FROM entries",
            "UPDATE logs SET indexed_upto = entry_count",
            "DROP TABLE entries",
        ),
    ),
)
"""The SQLite schema, step by step. Step 2 needs the driver's SQL function
:data:`LEAF_KEY_SQLITE_FUNCTION`."""

POSTGRES_SCHEMA = "treatyledger"
"""The PostgreSQL schema (namespace) that holds every table, so a shared database stays tidy."""

SCHEMA_LOCK_KEY = 0x7472656174796C67
"""The advisory lock that serialises schema migrations across PostgreSQL clients."""

POSTGRES_BOOTSTRAP = (
    f"CREATE SCHEMA IF NOT EXISTS {POSTGRES_SCHEMA}",
    f"""
    CREATE TABLE IF NOT EXISTS {POSTGRES_SCHEMA}.schema_migrations (
        version     integer     PRIMARY KEY,
        description text        NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
    )
    """,
)
"""Creates the schema and the table that records the applied steps."""

POSTGRES_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="entries, tiles, checkpoints and meta keyed by log name",
        statements=(
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.logs (
                name        text   PRIMARY KEY,
                entry_count bigint NOT NULL DEFAULT 0 CHECK (entry_count >= 0),
                tree_size   bigint NOT NULL DEFAULT 0
                            CHECK (tree_size >= 0 AND tree_size <= entry_count)
            )
            """,
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.entries (
                log       text   NOT NULL,
                idx       bigint NOT NULL CHECK (idx >= 0),
                data      bytea  NOT NULL,
                leaf_hash bytea  NOT NULL,
                PRIMARY KEY (log, idx)
            )
            """,
            f"CREATE INDEX entries_by_leaf_hash ON {POSTGRES_SCHEMA}.entries (log, leaf_hash, idx)",
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.tiles (
                log   text   NOT NULL,
                level bigint NOT NULL CHECK (level >= 0),
                idx   bigint NOT NULL CHECK (idx >= 0),
                data  bytea  NOT NULL,
                PRIMARY KEY (log, level, idx)
            )
            """,
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.checkpoints (
                log  text   NOT NULL,
                size bigint NOT NULL CHECK (size >= 0),
                note bytea  NOT NULL,
                PRIMARY KEY (log, size)
            )
            """,
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.meta (
                log   text NOT NULL,
                key   text NOT NULL,
                value text NOT NULL,
                PRIMARY KEY (log, key)
            )
            """,
        ),
    ),
    Migration(
        version=2,
        description="entries in one row per append; leaf hash index built in bulk",
        statements=(
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.batches (
                log         text     NOT NULL,
                first_index bigint   NOT NULL CHECK (first_index >= 0),
                count       integer  NOT NULL CHECK (count > 0),
                entry_width smallint NOT NULL
                            CHECK (entry_width IN (2, 4) OR (entry_width = 0 AND count = 1)),
                hash_width  smallint NOT NULL CHECK (hash_width BETWEEN -1 AND 64),
                entries     bytea    NOT NULL,
                leaf_hashes bytea    NOT NULL,
                PRIMARY KEY (log, first_index)
            )
            """,
            # Digests do not compress: store them out of line without trying.
            f"ALTER TABLE {POSTGRES_SCHEMA}.batches ALTER COLUMN leaf_hashes SET STORAGE EXTERNAL",
            f"""
            CREATE TABLE {POSTGRES_SCHEMA}.leaf_index (
                log text   NOT NULL,
                key bigint NOT NULL,
                idx bigint NOT NULL CHECK (idx >= 0),
                PRIMARY KEY (log, key, idx)
            )
            """,
            f"ALTER TABLE {POSTGRES_SCHEMA}.logs ADD COLUMN indexed_upto bigint NOT NULL DEFAULT 0 "
            "CHECK (indexed_upto >= 0 AND indexed_upto <= entry_count)",
            # Each version-1 entry becomes a row of its own, stored as is, and is indexed.
            f"INSERT INTO {POSTGRES_SCHEMA}.batches "
            "(log, first_index, count, entry_width, hash_width, entries, leaf_hashes) "
            f"SELECT log, idx, 1, 0, length(leaf_hash), data, leaf_hash "
            f"FROM {POSTGRES_SCHEMA}.entries",
            # leaf_key in SQL: the first 8 bytes, zero-padded, as a signed big-endian bigint.
            f"INSERT INTO {POSTGRES_SCHEMA}.leaf_index (log, key, idx) "
            "SELECT log, ('x' || encode(substring(leaf_hash || '\\x0000000000000000'::bytea "
            "FROM 1 FOR 8), 'hex'))::bit(64)::bigint, idx "
            f"FROM {POSTGRES_SCHEMA}.entries",
            f"UPDATE {POSTGRES_SCHEMA}.logs SET indexed_upto = entry_count",
            f"DROP TABLE {POSTGRES_SCHEMA}.entries",
        ),
    ),
)
"""The PostgreSQL schema, step by step."""
