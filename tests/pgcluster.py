"""A throw-away PostgreSQL cluster for the test session (a pytest plugin).

``postgres_cluster`` starts a private cluster once per session: ``initdb`` in
a temporary folder, trust authentication, listening only on a unix socket in
that folder, stopped and deleted when the session ends. ``postgres_url`` is a
database in it. Without ``initdb`` the PostgreSQL tests skip, except under CI
(``CI`` set), where they fail: there they must run.

Set ``TREATYLEDGER_TEST_POSTGRES_URL`` to use a running server instead (its
user needs the CREATEDB privilege).

initdb refuses to run as root; as root the cluster runs as the ``postgres``
system user, which owns the temporary folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

__all__ = ["PostgresCluster", "postgres_cluster", "postgres_url"]

EXTERNAL_ENV = "TREATYLEDGER_TEST_POSTGRES_URL"
"""Names a running server to test against instead of a throw-away cluster."""

_PORT = 5432  # the socket lives in a private folder, so the usual port cannot clash
_SYSTEM_USER = "postgres"
_TIMEOUT = 120


@dataclass
class PostgresCluster:
    """Where the test server listens, and how to make databases on it."""

    params: dict[str, str]
    """libpq connection parameters other than the database name."""
    created: list[str] = field(default_factory=list)

    def url(self, dbname: str) -> str:
        """A ``postgresql://`` URL of the database ``dbname`` on this server."""
        return f"postgresql:///{quote(dbname)}?{urlencode(self.params)}"

    def create_database(self, prefix: str = "treatyledger_test") -> str:
        """Create an empty database with a fresh name and return its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url(name)


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb") + glob.glob(
        "/usr/pgsql-*/bin/initdb"
    )

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path))

    return Path(max(candidates, key=version)).parent if candidates else None


def _as_owner(command: list[str]) -> list[str]:
    """``command`` run as the cluster's owner: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", _SYSTEM_USER, "--", *command]
    return ["su", _SYSTEM_USER, "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(command: list[str], *, what: str, output: Path) -> None:
    # Output goes to a file, not a pipe: pg_ctl leaves a server running that
    # must not hold our pipe open.
    with output.open("wb") as sink:
        result = subprocess.run(
            _as_owner(command),
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=output.parent,  # a folder the cluster's owner may enter
            timeout=_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        text = output.read_text(errors="replace")
        server_log = output.parent / "server.log"
        if server_log.exists():
            text += "\n--- server.log ---\n" + server_log.read_text(errors="replace")[-4000:]
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{text}")


def _start_cluster(bin_dir: Path, root: Path) -> None:
    data = root / "data"
    _run(
        [
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            _SYSTEM_USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",  # initdb's own fsyncs only; the server keeps fsync on
        ],
        what="initdb",
        output=root / "initdb.out",
    )
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# treatyledger tests: a unix socket in the private folder, nothing on TCP\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{root}'\n"
            f"port = {_PORT}\n"
            "max_connections = 200\n"
        )
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "--pgdata",
            str(data),
            "--log",
            str(root / "server.log"),
            "--wait",
            "--timeout",
            str(_TIMEOUT),
            "start",
        ],
        what="pg_ctl start",
        output=root / "pg_ctl-start.out",
    )


def _stop_cluster(bin_dir: Path, root: Path) -> None:
    command = [
        str(bin_dir / "pg_ctl"),
        "--pgdata",
        str(root / "data"),
        "--mode",
        "fast",
        "--wait",
        "stop",
    ]
    with (root / "pg_ctl-stop.out").open("wb") as sink:
        subprocess.run(
            _as_owner(command), stdout=sink, stderr=subprocess.STDOUT, timeout=_TIMEOUT, check=False
        )


def _private_folder() -> Path:
    # A unix socket path must stay under ~100 bytes, so prefer the short /tmp.
    base = "/tmp" if Path("/tmp").is_dir() else None
    root = Path(tempfile.mkdtemp(prefix="tlpg-", dir=base))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            shutil.rmtree(root)
            pytest.fail(
                f"running as root, the test cluster needs a {_SYSTEM_USER!r} system user "
                "(initdb refuses to run as root)"
            )
        os.chown(root, owner.pw_uid, owner.pw_gid)
    return root


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for this session: a throw-away cluster, or the external one."""
    external = os.environ.get(EXTERNAL_ENV)
    if external:
        params = {k: str(v) for k, v in conninfo_to_dict(external).items() if k != "dbname"}
        cluster = PostgresCluster(params=params)
        yield cluster
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as connection:
            for name in cluster.created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    bin_dir = _bin_dir()
    if bin_dir is None:
        message = (
            "PostgreSQL's initdb was not found (on PATH or in /usr/lib/postgresql/*/bin); "
            f"install the server binaries or set {EXTERNAL_ENV}"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{message}; the PostgreSQL tests must run under CI")
        pytest.skip(message)
    root = _private_folder()
    try:
        _start_cluster(bin_dir, root)
        yield PostgresCluster(params={"host": str(root), "port": str(_PORT), "user": _SYSTEM_USER})
    finally:
        _stop_cluster(bin_dir, root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a database shared by the session's tests (use fresh log names in it)."""
    return postgres_cluster.create_database()
