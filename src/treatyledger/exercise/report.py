"""An exercise's output folder: report.json, report.html (with figures) and the logs.

``report.json`` is ``{"treaty", "scenario", "seed", "parties", "detected",
"findings", ...}`` with the findings exactly as the compliance engine writes
them; ``report.html`` is one printable page; ``logs/<PARTY>/`` holds each
party's static tiles export with its ``vkey`` (and ``witness-vkey`` when the
party ran a witness).
"""

from __future__ import annotations

import base64
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from treatyledger.assurance.cheat import parse_cheat
from treatyledger.assurance.quota import quota_curve
from treatyledger.assurance.regime import quota_regime
from treatyledger.compliance import Severity, build_timeline, findings_to_json
from treatyledger.errors import InputError
from treatyledger.exercise.run import Exercise

__all__ = ["report_json", "write_report"]


def _totals(exercise: Exercise) -> list[dict[str, Any]]:
    rows = []
    for party, log in exercise.logs.items():
        for logged in log.entries:
            exchange = logged.exchange
            if exchange is None:
                continue
            cells = [
                {
                    "limit": lim.id,
                    "total": exchange.totals.get(lim.id, 0),
                    "cap": lim.cap_for(party),
                }
                for lim in exercise.spec.limits_in_force(exchange.as_of)
            ]
            rows.append({"party": party, "as_of": exchange.as_of.isoformat(), "cells": cells})
    return rows


def report_json(exercise: Exercise) -> dict[str, Any]:
    """The machine-readable report."""
    return {
        "treaty": exercise.spec.id,
        "scenario": exercise.scenario.name,
        "seed": exercise.seed,
        "parties": [
            {
                "id": party,
                "origin": log.origin,
                "vkey": log.vkey,
                "entries": log.size,
                "exchanges": [r for r in _totals(exercise) if r["party"] == party],
            }
            for party, log in exercise.logs.items()
        ],
        "red_team": exercise.red.party if exercise.red is not None else None,
        "year": {
            "start": exercise.plan.start.isoformat(),
            "end": exercise.plan.end.isoformat(),
            "judged_at": f"{exercise.plan.judged_at:%Y-%m-%dT%H:%M:%SZ}",
        },
        "planner": exercise.planner.to_json() if exercise.planner is not None else None,
        "detected": exercise.detected,
        **findings_to_json(exercise.findings),
    }


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _totals_figure(exercise: Exercise) -> str:
    rows = _totals(exercise)
    limits = list(exercise.spec.limits)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    axes = fig.subplots(1, len(limits), squeeze=False)[0]
    for ax, lim in zip(axes, limits, strict=True):
        labels = [f"{r['party']}\n{r['as_of'][:7]}" for r in rows]
        values = [
            next(c["total"] for c in r["cells"] if c["limit"] == lim.id)
            if any(c["limit"] == lim.id for c in r["cells"])
            else 0
            for r in rows
        ]
        caps = [lim.cap_for(r["party"]) for r in rows]
        ax.bar(range(len(rows)), values, color="#0072B2")
        ax.scatter(range(len(rows)), caps, marker="_", s=400, color="#D55E00", label="limit")
        ax.set_xticks(range(len(rows)), labels, fontsize=7)
        ax.set_title(lim.id.replace("_", " "), fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    axes[0].legend(fontsize=7, loc="lower left")
    return _png(fig)


def _curve_figure(exercise: Exercise) -> str | None:
    planner, red = exercise.planner, exercise.red
    if (
        planner is None
        or red is None
        or planner.cheat.startswith(("late", "refused", "susp", "equiv"))
    ):
        return None
    first = exercise.parties[red.party].declared[exercise.plan.exchanges[0][0]]
    regime = quota_regime(exercise.spec, first)
    curve = quota_curve(regime, [parse_cheat(planner.cheat, regime)])
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    ax.plot(curve.inspections, curve.detection[0], marker="o", color="#0072B2", label=planner.cheat)
    ax.axvline(regime.quota, color="black", linestyle="--", linewidth=1)
    ax.annotate(f"quota: {regime.quota}", (regime.quota, 0.05), rotation=90, fontsize=8, ha="right")
    ax.set_xlabel(f"{regime.inspection_name} inspections of {red.party} a year")
    ax.set_ylabel("probability of catching it")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    return _png(fig)


def _html(exercise: Exercise) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("treatyledger.exercise", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    timeline = build_timeline(list(exercise.logs.values()), exercise.spec)
    events = [e for y in timeline.years for e in y.events]
    quotas = [q for y in timeline.years for q in y.quotas]
    red = exercise.red
    red_violations = sum(
        1
        for f in exercise.findings
        if red is not None and f.severity is Severity.VIOLATION and red.party in f.party
    )
    verdict = (
        "clean"
        if red is None and not exercise.detected
        else ("caught" if exercise.detected else "missed")
    )
    return env.get_template("report.html.j2").render(
        treaty_name=exercise.spec.name,
        scenario=exercise.scenario,
        seed=exercise.seed,
        plan=exercise.plan,
        judged_at=f"{exercise.plan.judged_at:%Y-%m-%dT%H:%M:%SZ}",
        entries=exercise.entries,
        red=red,
        detected=exercise.detected,
        red_violations=red_violations,
        planner=exercise.planner,
        verdict_class=verdict,
        limits=list(exercise.spec.limits),
        totals=_totals(exercise),
        totals_png=_totals_figure(exercise),
        curve_png=_curve_figure(exercise),
        findings=exercise.findings,
        events=events,
        quotas=quotas,
        logs=[
            {"party": p, "origin": log.origin, "size": log.size, "vkey": log.vkey}
            for p, log in exercise.logs.items()
        ],
    )


def write_report(exercise: Exercise, out: Path) -> None:
    """Write report.json, report.html and logs/<PARTY>/ into ``out`` (created if needed)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for party, files in exercise.files.items():
            for path, data in files.items():
                target = out / "logs" / party / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        (out / "report.json").write_text(
            json.dumps(report_json(exercise), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        (out / "report.html").write_text(_html(exercise), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out}: {exc}") from exc


def _template_exists() -> bool:  # used by the tests: the template ships with the package
    return resources.files("treatyledger.exercise").joinpath("templates/report.html.j2").is_file()
