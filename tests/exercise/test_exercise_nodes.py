"""`treaty exercise` through real nodes on loopback: SQLite by default, PostgreSQL with --db."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from treatyledger.cli.app import app
from treatyledger.compliance import verify_finding

runner = CliRunner()


def _play(out: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["exercise", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert isinstance(report, dict)
    return report


def _comply(out: Path, report: dict[str, object]) -> list[object]:
    year = report["year"]
    assert isinstance(year, dict)
    dirs = sorted(str(p) for p in (out / "logs").iterdir())
    result = runner.invoke(
        app, ["comply", *dirs, "--at", year["judged_at"], "--since", year["start"], "--json"]
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    assert isinstance(findings, list)
    return findings


def test_a_late_notification_year_over_http_with_witnessed_times(tmp_path: Path) -> None:
    out = tmp_path / "run"
    report = _play(out, "--scenario", "late-notification", "--seed", "3")
    assert report["detected"] is True
    assert report["scenario"] == "late-notification"
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [f["rule"] for f in findings] == ["notification.late"]
    evidence = findings[0]["evidence"][0]
    # The other party's witness cosigned a checkpoint holding the late notification.
    assert evidence["time_attested"] is True
    assert evidence["attested"]["witness"].startswith("exercise.treatyledger.invalid/")
    for party in ("US", "RU"):
        folder = out / "logs" / party
        assert (folder / "vkey").is_file()
        assert (folder / "witness-vkey").is_file()
        vkey = (folder / "vkey").read_text(encoding="utf-8").strip()
        verified = runner.invoke(app, ["log", "verify", str(folder), "--vkey", vkey])
        assert verified.exit_code == 0, verified.output
    assert _comply(out, report) == findings
    for finding in findings:
        witnesses = [
            (out / "logs" / p / "witness-vkey").read_text(encoding="utf-8").strip()
            for p in ("US", "RU")
        ]
        verify_finding(finding, witnesses=witnesses)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "notification.late" in html
    assert "Red team" in html


def test_an_equivocating_log_is_caught_by_the_other_witness(tmp_path: Path) -> None:
    out = tmp_path / "eq"
    report = _play(out, "--scenario", "equivocating-log", "--seed", "3")
    assert report["detected"] is True
    findings = report["findings"]
    assert isinstance(findings, list)
    red = report["red_team"]
    assert [(f["rule"], f["party"]) for f in findings] == [("log.equivocation", red)]
    holder = next(p for p in ("US", "RU") if p != red)
    assert (out / "logs" / holder / "witness-evidence.json").is_file()
    assert _comply(out, report) == findings
    saved = tmp_path / "finding.json"
    saved.write_text(json.dumps(findings[0]), encoding="utf-8")
    vkey = (out / "logs" / str(red) / "vkey").read_text(encoding="utf-8").strip()
    checked = runner.invoke(app, ["comply", "verify-finding", str(saved), "--vkey", vkey])
    assert checked.exit_code == 0, checked.output


def test_a_clean_year_on_postgresql(tmp_path: Path, fresh_postgres_url: str) -> None:
    out = tmp_path / "pg"
    report = _play(out, "--db", fresh_postgres_url, "--seed", "2")
    assert report["detected"] is False
    assert report["findings"] == []
    assert not (out / "nodes").exists()
    assert _comply(out, report) == []
    # The nodes' databases exist now; a second run with the same --db refuses to reuse them.
    again = runner.invoke(
        app, ["exercise", "--out", str(tmp_path / "again"), "--db", fresh_postgres_url]
    )
    assert again.exit_code == 2
    assert "exists already" in again.output


def test_the_scenarios_are_listed() -> None:
    result = runner.invoke(app, ["exercise", "--list-scenarios"])
    assert result.exit_code == 0
    for name in (
        "clean",
        "hidden-launchers",
        "understated-warheads",
        "late-notification",
        "refused-inspection",
        "suspension",
    ):
        assert name in result.output


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    unknown = runner.invoke(
        app, ["exercise", "--scenario", "cheating", "--out", str(tmp_path / "a")]
    )
    assert unknown.exit_code == 2
    assert "hidden-launchers" in unknown.output
    assert not (tmp_path / "a").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine", encoding="utf-8")
    refused = runner.invoke(app, ["exercise", "--out", str(busy)])
    assert refused.exit_code == 2
    assert "fresh --out" in refused.output
    assert sorted(p.name for p in busy.iterdir()) == ["keep.txt"]
    negative = runner.invoke(app, ["exercise", "--seed", "-1", "--out", str(tmp_path / "b")])
    assert negative.exit_code == 2
    sqlite = runner.invoke(
        app, ["exercise", "--db", "sqlite:///x.db", "--out", str(tmp_path / "c")]
    )
    assert sqlite.exit_code == 2
    assert "PostgreSQL" in sqlite.output
