"""Database URLs: which driver each opens, the default, and the URLs that are refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from treatyledger.errors import InputError, StorageError
from treatyledger.storage import SqliteStore, default_db_url, open_store
from treatyledger.storage.postgres import PostgresStore, describe_conninfo
from treatyledger.storage.url import DEFAULT_DB_URL, ENV_VAR, redact_url


def test_a_relative_sqlite_path_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with open_store("sqlite:///data/ledger.db", log="mirror") as store:
        assert isinstance(store, SqliteStore)
        assert store.path == "data/ledger.db"
        assert store.log == "mirror"
        store.append_entries([b"a"], [b"h"])
    assert (tmp_path / "data" / "ledger.db").is_file()


def test_an_absolute_sqlite_path_takes_four_slashes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    assert url.startswith("sqlite:////")
    with open_store(url) as store:
        assert isinstance(store, SqliteStore)
        assert store.path == str(path)
        assert store.log == "self"
        store.append_entries([b"a"], [b"h"])
    with open_store(url) as again:
        assert again.read_entries(0, 1) == [b"a"]


def test_the_scheme_is_case_insensitive(tmp_path: Path) -> None:
    with open_store(f"SQLite:///{tmp_path / 'x.db'}") as store:
        assert isinstance(store, SqliteStore)


def test_an_in_memory_sqlite_database_is_private(tmp_path: Path) -> None:
    with open_store("sqlite:///:memory:") as first, open_store("sqlite:///:memory:") as second:
        first.append_entries([b"a"], [b"h"])
        assert first.entry_count() == 1
        assert second.entry_count() == 0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite://ledger.db", "three slashes"),
        ("sqlite:/ledger.db", "three slashes"),
        ("sqlite:ledger.db", "three slashes"),
        ("sqlite://host/ledger.db", "three slashes"),
        ("sqlite:///", "path is missing"),
        ("sqlite:///ledger.db?mode=ro", "query parameters"),
        ("sqlite:///ledger.db#x", "query parameters"),
    ],
)
def test_malformed_sqlite_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        open_store(url)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@host/db",
        "http://example.org/db",
        "file:///tmp/ledger.db",
        "memory://",
        "C:\\ledger.db",
    ],
)
def test_unsupported_schemes_are_refused(url: str) -> None:
    scheme = url.partition(":")[0]
    with pytest.raises(InputError, match=f"unsupported database '{scheme}'") as caught:
        open_store(url)
    assert "sqlite:///" in str(caught.value)  # the message says what would work
    assert "postgresql://" in str(caught.value)


@pytest.mark.parametrize("url", ["", "ledger.db", "./ledger.db", ":memory:"])
def test_strings_without_a_scheme_are_refused(url: str) -> None:
    with pytest.raises(InputError, match="not a database URL"):
        open_store(url)


def test_refusals_never_show_a_password() -> None:
    with pytest.raises(InputError) as caught:
        open_store("mysql://admin:hunter2@db.example.org/ledger")
    assert "hunter2" not in caught.value.diagnostics()
    assert "admin:***@db.example.org" in caught.value.diagnostics()


def test_redact_url() -> None:
    assert redact_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"
    assert redact_url("postgresql://u:p@[::1") == "(unparsable URL)"


def test_the_default_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_db_url() == DEFAULT_DB_URL == "sqlite:///./treatyledger.db"
    monkeypatch.setenv(ENV_VAR, "")
    assert default_db_url() == DEFAULT_DB_URL
    monkeypatch.setenv(ENV_VAR, "postgresql://ledger@db.example.org/treaty")
    assert default_db_url() == "postgresql://ledger@db.example.org/treaty"


def test_the_default_url_opens_a_file_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    with open_store(default_db_url()) as store:
        store.set_meta("origin", "example.org/log")
    assert (tmp_path / "treatyledger.db").is_file()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgres_urls_open_the_postgres_driver(postgres_url: str, scheme: str) -> None:
    url = scheme + postgres_url.removeprefix("postgresql")
    with open_store(url, log=f"url-{scheme}") as store:
        assert isinstance(store, PostgresStore)
        assert store.log == f"url-{scheme}"
        store.set_meta("scheme", scheme)
        assert store.get_meta("scheme") == scheme


def test_an_unreachable_postgres_server_is_a_storage_error(tmp_path: Path) -> None:
    url = f"postgresql://ledger:hunter2@/treaty?host={tmp_path}&connect_timeout=2"
    with pytest.raises(
        StorageError, match="cannot connect to PostgreSQL database treaty"
    ) as caught:
        open_store(url)
    assert "hunter2" not in caught.value.diagnostics()


def test_a_malformed_postgres_url_is_an_input_error() -> None:
    with pytest.raises(InputError, match="invalid PostgreSQL connection string"):
        open_store("postgresql://host/db?no_such_option=1")


def test_describe_conninfo_names_the_database_not_the_password() -> None:
    described = describe_conninfo("postgresql://u:secret@db.example.org:5433/treaty")
    assert described == "PostgreSQL database treaty on db.example.org:5433"
    assert describe_conninfo("dbname=x host=/run/postgresql") == (
        "PostgreSQL database x on /run/postgresql"
    )


def test_importing_the_storage_package_does_not_load_psycopg() -> None:
    code = "import sys, treatyledger.storage; print('psycopg' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
