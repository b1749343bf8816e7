"""The dashboard under a real browser: a played exercise, its US node serving the pages, Chromium.

The data are real: ``treaty exercise`` plays a late-notification year between
two nodes (SQLite databases under the run's folder), and the US node is then
served with the dashboard as ``treaty serve --reports`` would, its clock set
to the end of the year. Chromium is Debian's (``scripts/test`` installs it),
driven headless by Playwright; no browser is downloaded. Without it the
browser tests skip, except under CI (``CI`` set), where they fail.

Screenshots go to ``$TREATYLEDGER_SCREENSHOTS`` (default
``tests/dashboard/screenshots/``, ignored by git).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboardworld import RUN, Dashboard
from playwright.sync_api import Browser, sync_playwright
from typer.testing import CliRunner

from treatyledger.cli.app import app as cli
from treatyledger.dashboard import DashboardConfig
from treatyledger.node.app import create_app
from treatyledger.node.node import NodeConfig
from treatyledger.node.server import ThreadedServer

CHROMIUM = Path(os.environ.get("TREATYLEDGER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def played(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports folder holding one run of ``treaty exercise`` through real nodes."""
    reports = tmp_path_factory.mktemp("reports")
    out = reports / RUN
    result = CliRunner().invoke(
        cli, ["exercise", "--scenario", "late-notification", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return reports


@pytest.fixture(scope="session")
def dashboard(played: Path) -> Iterator[Dashboard]:
    """The US node of the exercise, served with the dashboard, judged at the year's end."""
    report = json.loads((played / RUN / "report.json").read_text(encoding="utf-8"))
    judged = dt.datetime.strptime(report["year"]["judged_at"], "%Y-%m-%dT%H:%M:%SZ")
    judged = judged.replace(tzinfo=dt.UTC)
    config = NodeConfig(
        party="US",
        db_url=f"sqlite:///{played / RUN / 'nodes' / 'us.sqlite'}",
        sync_interval=0,
        clock=lambda: judged,
    )
    # The tamper flag is for tests only: ?tamper=1 alters one hash of an entry's proof.
    app = create_app(config, dashboard=DashboardConfig(reports_dir=played, tamper=True))
    server = ThreadedServer(app)
    try:
        yield Dashboard(url=server.url, reports=played, report=report, node=app.state.node)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; skipped without it, except under CI."""
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        message = f"{CHROMIUM} is missing (apt-get install chromium; scripts/test does)"
        if os.environ.get("CI"):
            pytest.fail(message + ": the browser tests must run under CI")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where each page's screenshot is written for review."""
    default = Path(__file__).parent / "screenshots"
    folder = Path(os.environ.get("TREATYLEDGER_SCREENSHOTS", default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
