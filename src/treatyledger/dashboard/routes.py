"""The dashboard's routes: server-rendered pages over the node's logs and the public record.

``router(node, config)`` gives an :class:`APIRouter` the node's app includes:

* ``GET /`` and ``GET /record`` -- the public record: figure and table with sources
* ``GET /compliance`` -- status against each limit at the latest exchange; findings
* ``GET /explorer``, ``/explorer/<party>?page=N``, ``/explorer/<party>/<index>`` --
  the logs, decoded and paged; one entry with its proof, to verify in the browser
* ``GET /inspections`` -- the quota years' calendars and quotas
* ``GET /exercises`` and ``/exercises/<run>/report.html`` -- exercise reports
* ``GET /dashboard/static/<file>`` -- the stylesheet, the verification script, the icon
* ``GET /favicon.ico`` -- the icon
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from treatyledger.compliance import build_timeline, check_compliance
from treatyledger.dashboard.figure import record_svg
from treatyledger.dashboard.ledgers import LogView, NodeLedgers
from treatyledger.dashboard.pages import entry_detail, entry_rows, limit_status
from treatyledger.errors import NotFoundError
from treatyledger.node.node import Node
from treatyledger.record.aggregates import load_record
from treatyledger.record.plot import key_events

__all__ = ["PAGE_SIZE", "DashboardConfig", "router"]

PAGE_SIZE = 50
"""Entries per page of the log explorer."""

_STATIC = {
    "style.css": "text/css; charset=utf-8",
    "verify.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


@dataclass(frozen=True)
class DashboardConfig:
    """Where exercise reports are (``reports_dir``; None: none shown).

    ``tamper`` is for the browser tests only: when set, ``?tamper=1`` on an
    entry page serves a proof with one hash altered, which must not verify.
    """

    reports_dir: Path | None = None
    tamper: bool = False


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("treatyledger.dashboard", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["utc"] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC")
    return env


def _reports(folder: Path | None) -> list[dict[str, Any]]:
    if folder is None or not folder.is_dir():
        return []
    found = []
    for run in sorted(p for p in folder.iterdir() if (p / "report.json").is_file()):
        try:
            data = json.loads((run / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        found.append(
            {
                "name": run.name,
                "html": (run / "report.html").is_file(),
                "treaty": data.get("treaty", "?"),
                "scenario": data.get("scenario", "?"),
                "seed": data.get("seed", "?"),
                "red_team": data.get("red_team"),
                "detected": data.get("detected"),
                "findings": len(data.get("findings", [])),
            }
        )
    return found


class _Pages:
    """The pages of one node; each method renders one (FastAPI runs them in its thread pool)."""

    def __init__(self, node: Node, config: DashboardConfig) -> None:
        self.node = node
        self.config = config
        self.env = _environment()
        self.ledgers = NodeLedgers(node)
        self.spec = node.spec
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[object, Any]] = {}

    def _memoised(self, what: str, key: object, compute: Callable[[], Any]) -> Any:
        """``compute()``, reused while ``key`` (the logs' checkpoints, the minute) is unchanged."""
        with self._lock:
            held = self._memo.get(what)
        if held is not None and held[0] == key:
            return held[1]
        value = compute()
        with self._lock:
            self._memo[what] = (key, value)
        return value

    def render(self, name: str, **values: Any) -> HTMLResponse:
        html = self.env.get_template(f"{name}.html.j2").render(
            party=self.node.party, treaty=self.spec.name, origin=self.node.log.origin, **values
        )
        return HTMLResponse(html)

    @functools.cached_property
    def figure(self) -> str:
        return record_svg(self.spec, load_record(self.spec))

    def record(self) -> HTMLResponse:
        try:
            record = load_record(self.spec)
        except NotFoundError as exc:
            return self.render("record", record=None, problem=exc.diagnostics(), svg="", events=[])
        return self.render(
            "record", record=record, problem=None, svg=self.figure, events=key_events(self.spec)
        )

    def compliance(self) -> HTMLResponse:
        views = self.ledgers.views()
        # Judged to the minute, so that a page reloaded within it is not judged again.
        now = self.node.config.clock().astimezone(dt.UTC).replace(second=0, microsecond=0)
        logs = [v.log for v in views]
        findings = self._memoised(
            "findings",
            (tuple(log.signed_checkpoint for log in logs), now),
            lambda: check_compliance(logs, self.spec, now=now) if logs else [],
        )
        status = limit_status(self.spec, views)
        return self.render(
            "compliance", now=now, status=status, findings=findings, party_of=_party_of(views)
        )

    def explorer(self) -> HTMLResponse:
        views = self.ledgers.views()
        held = {v.party for v in views}
        missing = [p for p in self.ledgers.parties() if p not in held]
        return self.render("explorer", views=views, missing=missing)

    def view(self, name: str) -> LogView:
        try:
            return self.ledgers.view(name)
        except NotFoundError as exc:
            raise HTTPException(404, exc.diagnostics()) from exc

    def log(self, name: str, page: int = 1) -> HTMLResponse:
        view = self.view(name)
        pages = max(1, -(-view.log.size // PAGE_SIZE))
        page = min(max(page, 1), pages)
        start = (page - 1) * PAGE_SIZE
        rows = entry_rows(view.log, start, min(start + PAGE_SIZE, view.log.size))
        return self.render("log", view=view, rows=rows, page=page, pages=pages)

    def entry(self, name: str, index: int, tamper: int = 0) -> HTMLResponse:
        view = self.view(name)
        if not 0 <= index < view.log.size:
            raise HTTPException(404, f"the log of {name} has no entry {index}")
        detail = entry_detail(view.log, index, tamper=bool(tamper) and self.config.tamper)
        return self.render("entry", view=view, detail=detail, page_size=PAGE_SIZE)

    def inspections(self) -> HTMLResponse:
        views = self.ledgers.views()
        logs = [v.log for v in views]
        timeline = self._memoised(
            "timeline",
            tuple(log.signed_checkpoint for log in logs),
            lambda: build_timeline(logs, self.spec) if logs else None,
        )
        return self.render("inspections", timeline=timeline, party_of=_party_of(views))

    def exercises(self) -> HTMLResponse:
        runs = _reports(self.config.reports_dir)
        return self.render("exercises", runs=runs, folder=self.config.reports_dir)

    def exercise_report(self, run: str) -> HTMLResponse:
        folder = self.config.reports_dir
        # Only a run the listing shows, by name: never a path from the request.
        if folder is None or run not in {r["name"] for r in _reports(folder)}:
            raise HTTPException(404, f"no exercise report {run!r}")
        path = folder / run / "report.html"
        if not path.is_file():
            raise HTTPException(404, f"exercise {run!r} has no report.html")
        return HTMLResponse(path.read_text(encoding="utf-8"))


def _party_of(views: list[LogView]) -> dict[str, str]:
    return {v.log.origin: v.party for v in views}


def _static(name: str) -> Response:
    if name not in _STATIC:
        raise HTTPException(404, f"no static file {name!r}")
    data = resources.files("treatyledger.dashboard").joinpath("static", name).read_bytes()
    return Response(
        data, media_type=_STATIC[name], headers={"Cache-Control": "public, max-age=300"}
    )


def router(node: Node, config: DashboardConfig | None = None) -> APIRouter:
    """The dashboard's pages for ``node`` (see the module docstring)."""
    pages = _Pages(node, config or DashboardConfig())
    routes = APIRouter(include_in_schema=False)
    for path, endpoint in (
        ("/", pages.record),
        ("/record", pages.record),
        ("/compliance", pages.compliance),
        ("/explorer", pages.explorer),
        ("/explorer/{name}", pages.log),
        ("/explorer/{name}/{index}", pages.entry),
        ("/inspections", pages.inspections),
        ("/exercises", pages.exercises),
        ("/exercises/{run}/report.html", pages.exercise_report),
    ):
        routes.add_api_route(path, endpoint, methods=["GET"], response_class=HTMLResponse)
    routes.add_api_route("/dashboard/static/{name}", _static, methods=["GET"])
    # Browsers ask for it on every page, the exercise reports' included.
    routes.add_api_route("/favicon.ico", lambda: _static("favicon.svg"), methods=["GET"])
    return routes
