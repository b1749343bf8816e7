"""The database schemas, as ordered migration steps for each SQL driver.

A database records every step it has applied in ``schema_migrations``; opening
a store applies the missing steps, in order, in one transaction. Steps are
never edited once released: a change to the schema is a new step at the end.

Every table is keyed by the log name, so one database holds several logs.
``logs`` holds one row per log: how many entries it has (the next index) and
the published tree size, the two counters appends and publishes
compare-and-swap under a row lock.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "POSTGRES_BOOTSTRAP",
    "POSTGRES_MIGRATIONS",
    "POSTGRES_SCHEMA",
    "SCHEMA_LOCK_KEY",
    "SQLITE_BOOTSTRAP",
    "SQLITE_MIGRATIONS",
    "Migration",
    "latest_version",
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
)
"""The SQLite schema, step by step."""

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
)
"""The PostgreSQL schema, step by step."""
