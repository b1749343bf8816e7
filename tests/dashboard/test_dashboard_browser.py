"""Every page in Chromium with no console error, and the entry verification done by the browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboardworld import RUN, Dashboard
from playwright.sync_api import Browser, Page

PAGES = [
    ("record", "/"),
    ("record-path", "/record"),
    ("compliance", "/compliance"),
    ("explorer", "/explorer"),
    ("log-us", "/explorer/US"),
    ("log-ru-page-2", "/explorer/RU?page=2"),
    ("entry-ru-5", "/explorer/RU/5"),
    ("inspections", "/inspections"),
    ("exercises", "/exercises"),
    ("exercise-report", f"/exercises/{RUN}/report.html"),
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


class Watched:
    """A page with every console error, page error and request it made."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport=LAPTOP)
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def _late_notification(dashboard: Dashboard) -> str:
    """The explorer path of the late notification the year's finding cites."""
    findings = dashboard.report["findings"]
    parties = dashboard.report["parties"]
    assert isinstance(findings, list)
    assert isinstance(parties, list)
    evidence = findings[0]["evidence"][0]
    party = next(p["id"] for p in parties if p["origin"] == evidence["origin"])
    return f"/explorer/{party}/{evidence['index']}"


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[n for n, _ in PAGES])
def test_every_page_loads_without_a_console_error(
    dashboard: Dashboard, watched: Watched, screenshots: Path, name: str, path: str
) -> None:
    response = watched.page.goto(dashboard.url + path, wait_until="load")
    assert response is not None
    assert response.status == 200
    assert watched.page.title()
    watched.page.screenshot(path=screenshots / f"{name}.png", full_page=True)
    watched.page.set_viewport_size(PHONE)
    watched.page.screenshot(path=screenshots / f"{name}-phone.png", full_page=False)
    assert watched.errors == []
    # Nothing leaves the node: every resource is served by it (or inline).
    assert all(u.startswith((dashboard.url, "data:")) for u in watched.requests), watched.requests


def test_the_pages_show_the_real_data(dashboard: Dashboard, watched: Watched) -> None:
    page = watched.page
    page.goto(dashboard.url + "/compliance")
    assert "notification.late" in page.inner_text("main")
    assert "within" in page.inner_text("main")
    page.goto(dashboard.url + "/record")
    assert page.locator("figure.chart svg").count() == 1
    assert "2011" in page.inner_text("table")
    page.goto(dashboard.url + "/inspections")
    assert "inspection_request" in page.inner_text("main")
    page.goto(dashboard.url + "/exercises")
    page.click(f"text={RUN}")
    assert "notification.late" in page.content()


def _verify(page: Page) -> tuple[str, str]:
    page.click("#verify")
    result = page.locator("#verify-result[data-outcome]")
    result.wait_for(timeout=10_000)
    outcome = result.get_attribute("data-outcome")
    assert outcome is not None
    return outcome, result.inner_text()


def test_the_browser_verifies_a_real_entry(
    dashboard: Dashboard, watched: Watched, screenshots: Path
) -> None:
    watched.page.goto(dashboard.url + _late_notification(dashboard))
    outcome, text = _verify(watched.page)
    watched.page.screenshot(path=screenshots / "entry-verified.png", full_page=True)
    assert outcome == "verified", text
    assert "inclusion proof" in text
    assert "signature" in text
    assert watched.errors == []


def test_the_browser_verifies_the_first_and_last_entries(
    dashboard: Dashboard, watched: Watched
) -> None:
    parties = dashboard.report["parties"]
    assert isinstance(parties, list)
    for party in parties:
        for index in (0, party["entries"] - 1):
            watched.page.goto(f"{dashboard.url}/explorer/{party['id']}/{index}")
            outcome, text = _verify(watched.page)
            assert outcome == "verified", (party["id"], index, text)


def test_a_tampered_proof_fails_in_the_browser(
    dashboard: Dashboard, watched: Watched, screenshots: Path
) -> None:
    watched.page.goto(dashboard.url + _late_notification(dashboard) + "?tamper=1")
    outcome, text = _verify(watched.page)
    watched.page.screenshot(path=screenshots / "entry-tampered.png", full_page=True)
    assert outcome == "failed"
    assert "inclusion proof leads to root" in text


def test_a_tampered_entry_or_signature_fails_in_the_browser(
    dashboard: Dashboard, watched: Watched
) -> None:
    page = watched.page
    path = _late_notification(dashboard)
    page.goto(dashboard.url + path)
    page.evaluate(
        """() => {
        const node = document.getElementById('entry-data');
        const data = JSON.parse(node.textContent);
        data.entry = btoa(atob(data.entry).replace('late', 'LATE').replace('US', 'RU'));
        node.textContent = JSON.stringify(data);
    }"""
    )
    outcome, text = _verify(page)
    assert outcome == "failed"
    assert "inclusion proof" in text
    page.goto(dashboard.url + path)
    page.evaluate(
        """() => {
        const node = document.getElementById('entry-data');
        const data = JSON.parse(node.textContent);
        const lines = data.checkpoint.split('\\n');
        const at = lines.findIndex((l) => l.startsWith('\\u2014 '));
        const line = lines[at];
        const i = line.length - 10;
        lines[at] = line.slice(0, i) + (line[i] === 'A' ? 'B' : 'A') + line.slice(i + 1);
        data.checkpoint = lines.join('\\n');
        node.textContent = JSON.stringify(data);
    }"""
    )
    outcome, text = _verify(page)
    assert outcome == "failed"
    assert "signature does not verify" in text
