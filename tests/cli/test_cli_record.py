"""``treaty record``: show, check and plot, through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from treatyledger.cli import app

runner = CliRunner()


def _check_json(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["record", "check", "--json", *args])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_check_json_shape_and_the_issue_figures() -> None:
    rows = _check_json()
    assert len(rows) == 50
    for row in rows:
        assert {"as_of", "party", "status", "limits"} <= row.keys()
        for limit in row["limits"]:
            assert set(limit) == {"limit", "count", "cap", "headroom", "status"}
    ru_2022 = next(r for r in rows if r["party"] == "RU" and r["as_of"] == "2022-09-01")
    warheads = next(lim for lim in ru_2022["limits"] if lim["limit"] == "warheads")
    assert warheads == {
        "limit": "warheads",
        "count": 1549,
        "cap": 1550,
        "headroom": 1,
        "status": "within",
    }
    us_2011 = next(r for r in rows if r["party"] == "US" and r["as_of"] == "2011-02-05")
    assert us_2011["status"] == "not_binding"
    assert {lim["status"] for lim in us_2011["limits"]} == {"not_binding"}
    ru_2023 = next(r for r in rows if r["party"] == "RU" and r["as_of"] == "2023-03-01")
    assert ru_2023["status"] == "not_provided"
    assert [lim["count"] for lim in ru_2023["limits"]] == [None, None, None]


def test_check_party_filter() -> None:
    rows = _check_json("--party", "US")
    assert {r["party"] for r in rows} == {"US"}
    assert len(rows) == 25


def test_unknown_party_is_an_error() -> None:
    result = runner.invoke(app, ["record", "check", "--party", "GB"])
    assert result.exit_code == 2
    assert "no party 'GB'" in result.stderr


def test_illustrative_treaty_has_no_record() -> None:
    result = runner.invoke(app, ["record", "show", "--treaty", "strategic-p5"])
    assert result.exit_code == 2
    assert "no public record" in result.stderr


def test_show_json_keeps_sources_and_null_for_missing() -> None:
    result = runner.invoke(app, ["record", "show", "--party", "RU", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[-1] == {
        "as_of": "2023-03-01",
        "party": "RU",
        "deployed_delivery_vehicles": None,
        "warheads": None,
        "launchers": None,
        "data_status": "not-provided",
        "source": "State Department (Russia provided no data after suspending the treaty)",
    }


def test_tables_render() -> None:
    check = runner.invoke(app, ["record", "check"], env={"COLUMNS": "120"})
    assert check.exit_code == 0
    assert "1,549 +1" in check.stdout
    assert "not_binding" in check.stdout
    show = runner.invoke(app, ["record", "show"], env={"COLUMNS": "120"})
    assert show.exit_code == 0
    assert "State Department fact sheet (1 Dec 2020)" in show.stdout


def test_plot_writes_the_figure(tmp_path: Path) -> None:
    out = tmp_path / "record.png"
    result = runner.invoke(app, ["record", "plot", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_plot_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["record", "plot", "--out", str(tmp_path / "r.bmp")])
    assert result.exit_code == 2
    assert not (tmp_path / "r.bmp").exists()


def test_python_dash_m_runs_the_same_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "treatyledger", "record", "check", "--json", "--party", "RU"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert len(json.loads(completed.stdout)) == 25


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("treatyledger ")
