"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from treatyledger.treaty import TreatySpec, load_builtin

if TYPE_CHECKING:
    from pgcluster import PostgresCluster

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ["pgcluster"]  # tests/pgcluster.py: the throw-away PostgreSQL cluster


def shared_dir() -> Path:
    """The shared/ folder beside the project (``TREATYLEDGER_SHARED`` overrides)."""
    return Path(os.environ.get("TREATYLEDGER_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def new_start() -> TreatySpec:
    return load_builtin("new-start")


@pytest.fixture(scope="session")
def strategic_p5() -> TreatySpec:
    return load_builtin("strategic-p5")


@pytest.fixture
def shared() -> Path:
    """The shared reference folder; skipped outside CI when absent, an error under CI."""
    folder = shared_dir()
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared reference folder {folder} is missing under CI")
        pytest.skip(f"the shared reference folder {folder} is not present")
    return folder


@pytest.fixture
def fresh_postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A new, empty PostgreSQL database on the throw-away cluster, for this test alone."""
    return postgres_cluster.create_database()
