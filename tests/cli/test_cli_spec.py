"""``treaty spec``: list, show, validate, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyledger.cli import app
from treatyledger.treaty import builtin_names

runner = CliRunner()


def test_list_names_every_builtin() -> None:
    result = runner.invoke(app, ["spec", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [s["id"] for s in listed] == builtin_names() == ["new-start", "strategic-p5"]
    assert {s["id"]: s["illustrative"] for s in listed} == {
        "new-start": False,
        "strategic-p5": True,
    }


def test_list_table() -> None:
    result = runner.invoke(app, ["spec", "list"])
    assert result.exit_code == 0
    assert "new-start" in result.stdout
    assert "strategic-p5" in result.stdout


def test_show_json_is_the_whole_specification() -> None:
    result = runner.invoke(app, ["spec", "show", "new-start", "--json"])
    assert result.exit_code == 0, result.output
    spec = json.loads(result.stdout)
    assert [(lim["id"], lim["cap"]) for lim in spec["limits"]] == [
        ("deployed_delivery_vehicles", 700),
        ("warheads", 1550),
        ("launchers", 800),
    ]
    assert spec["inspections"]["types"][0]["notice_before_arrival"] == "32h"
    assert "inspections.quota_year_start" in spec["unverified"]
    warheads = spec["limits"][1]["counting"]
    assert [r["each"] for r in warheads] == ["warheads", 1]


def test_show_renders_counting_rules_and_the_illustrative_label() -> None:
    shown = runner.invoke(app, ["spec", "show", "new-start"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "heavy_bomber [deployed]: 1 each, whatever it carries" in shown.stdout
    assert "Unverified values" in shown.stdout
    p5 = runner.invoke(app, ["spec", "show", "strategic-p5"], env={"COLUMNS": "200"})
    assert "ILLUSTRATIVE" in p5.stdout


def test_show_accepts_a_file(tmp_path: Path) -> None:
    source = Path(__file__).parents[2] / "src/treatyledger/treaty/specs/new-start.toml"
    copy = tmp_path / "mine.toml"
    copy.write_text(source.read_text().replace('id = "new-start"', 'id = "mine"'))
    result = runner.invoke(app, ["spec", "show", str(copy), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "mine"


def test_unknown_name_is_an_error_listing_the_builtins() -> None:
    result = runner.invoke(app, ["spec", "show", "start-iii"])
    assert result.exit_code == 2
    assert "new-start, strategic-p5" in result.stderr
    assert result.stdout == ""


def test_validate_accepts_a_builtin_file() -> None:
    source = Path(__file__).parents[2] / "src/treatyledger/treaty/specs/strategic-p5.toml"
    result = runner.invoke(app, ["spec", "validate", str(source)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "valid:" in result.stdout
    assert "5 parties" in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("cap = 1550", "cap = -1550", "limits[1].cap"),
        ('each = "warheads"', 'each = "yield"', "limits[1].counting[0].each"),
        ("annual_quota = 10", "anual_quota = 10", "inspections.types[0].annual_quota"),
    ],
    ids=["negative-cap", "unknown-count-basis", "misspelt-key"],
)
def test_validate_refuses_a_broken_file_naming_the_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    source = Path(__file__).parents[2] / "src/treatyledger/treaty/specs/new-start.toml"
    broken = tmp_path / "broken.toml"
    text = source.read_text()
    assert old in text
    broken.write_text(text.replace(old, new, 1))
    result = runner.invoke(app, ["spec", "validate", str(broken)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert f"field:   {field}" in result.stderr
    if "anual" in new:
        assert "'anual_quota' a misspelling" in result.stderr
    assert str(broken) in result.stderr
    assert "valid:" not in result.stdout


def test_validate_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["spec", "validate", str(tmp_path / "none.toml")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
