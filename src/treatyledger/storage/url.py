"""Open a store from a database URL, the one string a user configures.

=========================================  ===========================================
``sqlite:///relative/path.db``             a SQLite file, relative to the working folder
``sqlite:////absolute/path.db``            a SQLite file at an absolute path
``sqlite:///:memory:``                     a private SQLite database that dies with the store
``postgresql://user@host:5432/dbname``     a PostgreSQL database (any libpq URL;
``postgres://...``                         ``?host=/run/postgresql`` for a unix socket)
=========================================  ===========================================
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from treatyledger.errors import InputError
from treatyledger.storage.protocols import Store
from treatyledger.storage.sqlite import SqliteStore

__all__ = ["DEFAULT_DB_URL", "ENV_VAR", "default_db_url", "open_store", "redact_url"]

ENV_VAR = "TREATYLEDGER_DB"
"""The environment variable that names the database when no URL is given."""

DEFAULT_DB_URL = "sqlite:///./treatyledger.db"
"""The database used when neither an argument nor :data:`ENV_VAR` names one."""

_EXPECTED = "expected sqlite:///path/to/file.db or postgresql://user@host/dbname"


def default_db_url() -> str:
    """The URL of the database to use by default: ``$TREATYLEDGER_DB`` if set and non-empty,
    else ``sqlite:///./treatyledger.db``."""
    return os.environ.get(ENV_VAR) or DEFAULT_DB_URL


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit for messages and logs."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(unparsable URL)"
    if not password:
        return url
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))


def _sqlite_path(url: str) -> str:
    rest = url[len("sqlite:") :]
    if not rest.startswith("///"):
        raise InputError(
            f"invalid SQLite URL {url!r}: put three slashes before the path "
            "(sqlite:///relative.db, sqlite:////absolute.db)"
        )
    path = rest[3:]
    if not path:
        raise InputError(f"invalid SQLite URL {url!r}: the file path is missing")
    if "?" in path or "#" in path:
        raise InputError(
            f"invalid SQLite URL {url!r}: query parameters and fragments are not supported"
        )
    return path


def open_store(url: str, *, log: str = "self") -> Store:
    """Open the store that ``url`` names, bound to the log ``log``.

    SQLite files are created if missing; every store's schema is brought up to
    date. Raises :class:`~treatyledger.errors.InputError` for a URL that is
    malformed or names an unsupported kind of database, and
    :class:`~treatyledger.errors.StorageError` when the database cannot be opened.
    """
    scheme, colon, _ = url.partition(":")
    kind = scheme.lower()
    if not colon or not scheme:
        raise InputError(f"{redact_url(url)!r} is not a database URL; {_EXPECTED}")
    if kind == "sqlite":
        return SqliteStore(_sqlite_path(url), log=log)
    if kind in {"postgresql", "postgres"}:
        # Imported here so that commands which never touch PostgreSQL start fast.
        from treatyledger.storage.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore(url, log=log)
    raise InputError(f"unsupported database {scheme!r} in {redact_url(url)!r}; {_EXPECTED}")
