"""The dashboard's routes over HTTP, without a browser: statuses, the data pages carry, refusals."""

from __future__ import annotations

import base64
import json
import re

import httpx
import pytest
from dashboardworld import RUN, Dashboard
from fastapi import FastAPI

from treatyledger.dashboard import PAGE_SIZE, router
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.merkle import leaf_hash, verify_inclusion
from treatyledger.log.note import Ed25519Verifier
from treatyledger.node.server import ThreadedServer

PAGES = [
    "/",
    "/record",
    "/compliance",
    "/explorer",
    "/explorer/US",
    "/explorer/RU?page=2",
    "/explorer/US/0",
    "/inspections",
    "/exercises",
    f"/exercises/{RUN}/report.html",
]


def _data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="entry-data">(.*?)</script>', html)
    assert found is not None
    data = json.loads(found.group(1))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_served_as_html(dashboard: Dashboard, path: str) -> None:
    response = httpx.get(dashboard.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/explorer/XX",
        "/explorer/US/100000",
        "/explorer/US/-1",
        "/dashboard/static/../routes.py",
        "/dashboard/static/nothing.js",
        "/exercises/nothing/report.html",
        "/exercises/..%2F..%2Fetc/report.html",
    ],
)
def test_what_is_not_there_is_404(dashboard: Dashboard, path: str) -> None:
    assert httpx.get(dashboard.url + path).status_code == 404


def test_an_entry_page_carries_what_verifies_it(dashboard: Dashboard) -> None:
    for party in ("US", "RU"):
        html = httpx.get(f"{dashboard.url}/explorer/{party}/3").text
        data = _data(html)
        entry = base64.b64decode(str(data["entry"]))
        vkey = str(data["vkey"])
        checkpoint = open_checkpoint(
            str(data["checkpoint"]).encode(), Ed25519Verifier.from_vkey(vkey)
        )
        assert checkpoint.size == data["size"]
        proof = data["proof"]
        assert isinstance(proof, list)
        verify_inclusion(
            leaf_hash=leaf_hash(entry),
            index=3,
            size=checkpoint.size,
            proof=[base64.b64decode(h) for h in proof],
            root=checkpoint.root_hash,
        )


def test_the_log_is_paged(dashboard: Dashboard) -> None:
    html = httpx.get(dashboard.url + "/explorer/US?page=2").text
    assert f'href="/explorer/US/{PAGE_SIZE}"' in html
    assert 'href="/explorer/US/0"' not in html
    assert "page 2 of" in html


def test_the_tamper_flag_needs_a_test_app(dashboard: Dashboard) -> None:
    tampered = _data(httpx.get(dashboard.url + "/explorer/US/3?tamper=1").text)
    honest = _data(httpx.get(dashboard.url + "/explorer/US/3").text)
    assert tampered["proof"] != honest["proof"]
    app = FastAPI()
    app.include_router(router(dashboard.node))  # the default: no tampering
    server = ThreadedServer(app)
    try:
        assert _data(httpx.get(server.url + "/explorer/US/3?tamper=1").text) == honest
        exercises = httpx.get(server.url + "/exercises").text
        assert "No reports folder is configured" in exercises
    finally:
        server.stop()
