"""Fixtures of the node tests: party databases of each store kind, live servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nodeworld import LiveServer, PartyDb, make_party_db

from treatyledger.node.app import create_app
from treatyledger.node.node import Node, NodeConfig


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _url(kind: str, request: pytest.FixtureRequest, path: Path) -> str:
    if kind == "postgres":  # a database of its own for each party
        return str(request.getfixturevalue("postgres_cluster").create_database())
    return f"sqlite:///{path}"


@pytest.fixture
def party_dbs(
    db_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], PartyDb]]:
    """Makes a party's database of the parametrized kind (SQLite, PostgreSQL)."""
    made: list[PartyDb] = []

    def make(party: str) -> PartyDb:
        db = make_party_db(
            _url(db_kind, request, tmp_path / f"{party}.db"), tmp_path / party, party
        )
        made.append(db)
        return db

    yield make
    for db in made:
        for node in db.nodes:
            node.close()


@pytest.fixture
def us(tmp_path: Path) -> Iterator[PartyDb]:
    """The US party's SQLite database."""
    db = make_party_db(f"sqlite:///{tmp_path / 'us.db'}", tmp_path / "us", "US")
    yield db
    for node in db.nodes:
        node.close()


@pytest.fixture
def ru(tmp_path: Path) -> Iterator[PartyDb]:
    """The Russian party's SQLite database."""
    db = make_party_db(f"sqlite:///{tmp_path / 'ru.db'}", tmp_path / "ru", "RU")
    yield db
    for node in db.nodes:
        node.close()


@pytest.fixture
def serve() -> Iterator[Callable[[NodeConfig | Node], LiveServer]]:
    """Starts a node under uvicorn; every server is stopped (and its node closed) at the end."""
    servers: list[LiveServer] = []

    def start(what: NodeConfig | Node) -> LiveServer:
        app = create_app(what.config, node=what) if isinstance(what, Node) else create_app(what)
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
