"""The treaty-year timeline: inspection activity per quota year, quotas used and left."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from complyworld import SPEC, World
from typer.testing import CliRunner, Result

from treatyledger.cli import app
from treatyledger.compliance import Timeline, build_timeline
from treatyledger.treaty.inspections import QuotaScope

runner = CliRunner()


def scripted() -> World:
    """One quota year (from 2019-02-05): RU asks for three Type One, one refused; US one Type Two.

    A Type One request in March 2020 falls in the next quota year.
    """
    w = World()
    first = w.request("RU", "2019-05-01T08:00:00Z", "2019-05-02T18:00:00Z")
    w.add(
        "site_designation",
        "RU",
        "2019-05-02T18:00:00Z",
        {"facility": "whiteman", "facility_kind": "air_base"},
        [first],
    )
    refused = w.request("RU", "2019-06-01T08:00:00Z", "2019-06-02T18:00:00Z")
    w.add("refusal", "US", "2019-06-02T10:00:00Z", {"reason": "Not now."}, [refused])
    w.request("RU", "2019-07-01T08:00:00Z", "2019-07-02T18:00:00Z")
    w.request("US", "2019-08-01T08:00:00Z", "2019-08-02T18:00:00Z", kind="type_two")
    w.add(
        "exemption",
        "US",
        "2019-09-01T09:00:00Z",
        {"facilities": "all", "from": "2019-09-01", "reason": "Temporary exemption."},
    )
    w.request("RU", "2020-03-01T08:00:00Z", "2020-03-02T18:00:00Z")
    return w


def quotas(timeline: Timeline, year: int) -> dict[tuple[str, str | None, str], tuple[int, int]]:
    return {
        (q.inspection_type, q.inspector, q.inspected): (q.used, q.left)
        for q in timeline.years[year].quotas
    }


def test_the_timeline_counts_quotas_per_pair_and_type() -> None:
    timeline = build_timeline(scripted().logs(), SPEC)
    assert [(y.start.isoformat(), y.end.isoformat()) for y in timeline.years] == [
        ("2019-02-05", "2020-02-05"),
        ("2020-02-05", "2021-02-05"),
    ]
    first = quotas(timeline, 0)
    assert first[("type_one", "RU", "US")] == (2, 8)  # the refused request does not count
    assert first[("type_two", "RU", "US")] == (0, 8)
    assert first[("type_two", "US", "RU")] == (1, 7)
    assert first[("type_one", "US", "RU")] == (0, 10)
    assert quotas(timeline, 1)[("type_one", "RU", "US")] == (1, 9)
    events = [(e.type, e.sender) for e in timeline.years[0].events]
    assert events == [
        ("inspection_request", "RU"),
        ("site_designation", "RU"),
        ("inspection_request", "RU"),
        ("refusal", "US"),
        ("inspection_request", "RU"),
        ("inspection_request", "US"),
        ("exemption", "US"),
    ]
    assert timeline.years[0].events[1].what == "site whiteman"


def test_per_inspected_party_quotas_are_shared_by_the_inspecting_parties() -> None:
    shared = dataclasses.replace(SPEC.inspections, quota_scope=QuotaScope.PER_INSPECTED_PARTY)
    spec = dataclasses.replace(SPEC, inspections=shared)
    first = quotas(build_timeline(scripted().logs(), spec), 0)
    assert first[("type_one", None, "US")] == (2, 8)
    assert ("type_one", "RU", "US") not in first


def test_a_party_sees_only_what_concerns_it() -> None:
    timeline = build_timeline(scripted().logs(), SPEC).for_party("US")
    assert len(timeline.years[0].events) == 7
    ru = build_timeline(scripted().logs(), SPEC).for_party("RU")
    assert ("exemption", "US") not in [(e.type, e.sender) for e in ru.years[0].events]


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "300"})


def folders(tmp_path: Path) -> list[str]:
    w = scripted()
    return [str(w.write(p, tmp_path / p.lower())) for p in ("US", "RU")]


def test_the_command_prints_tables(tmp_path: Path) -> None:
    result = run("timeline", *folders(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Quota year 2019-02-05 to 2020-02-05" in result.stdout
    assert "Not now." in result.stdout
    assert "example.org/ru/log#0" in result.stdout


def test_the_command_emits_json(tmp_path: Path) -> None:
    result = run("timeline", *folders(tmp_path), "--party", "RU", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["treaty"] == "new-start"
    assert doc["quota_scope"] == "per_pair"
    year = doc["years"][0]
    assert year["start"] == "2019-02-05"
    used = {(q["inspection_type"], q["inspector"], q["inspected"]): q for q in year["quotas"]}
    assert used[("type_one", "RU", "US")]["used"] == 2
    assert used[("type_one", "RU", "US")]["left"] == 8
    assert year["events"][0]["type"] == "inspection_request"
    assert year["events"][0]["time"] == "2019-05-01T08:00:00Z"


def test_the_command_refuses_an_unknown_party(tmp_path: Path) -> None:
    assert run("timeline", *folders(tmp_path), "--party", "XX").exit_code == 2
