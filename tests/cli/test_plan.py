"""``treaty plan``: sample sizes, detection, allocation, quotas, curves and draws, end to end."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from treatyledger.assurance import find_commitment, fix_draw
from treatyledger.cli import app
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory_csv import facilities_to_csv, items_to_csv
from treatyledger.log.note import Signer
from treatyledger.treaty import TreatySpec

# The draw tests' two logs in memory (tests/assurance/drawworld.py), to write as folders.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "assurance"))
from drawworld import SEED, SPEC, fixed_world

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "300"})


def ok(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def usage_error(*args: str, says: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert says in result.output, result.output


@pytest.fixture
def inventory(tmp_path: Path, new_start: TreatySpec) -> list[str]:
    us = us_inventory_2020_09_01(new_start)
    items, facilities = tmp_path / "items.csv", tmp_path / "facilities.csv"
    items.write_text(items_to_csv(us.items), encoding="utf-8")
    facilities.write_text(facilities_to_csv(us.facilities), encoding="utf-8")
    return ["--inventory", str(items), "--facilities", str(facilities)]


# -- sample-size and detect -------------------------------------------------------------------


def test_sample_size_json() -> None:
    result = ok(
        "plan", "sample-size", "--population", "100", "--defects", "10", "--non-detection", "0.05",
        "--json",
    )  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc == {
        "population": 100,
        "defects": 10,
        "non_detection_target": 0.05,
        "n": 25,
        "n_iaea": 26,
        "achieved_non_detection": doc["achieved_non_detection"],
    }
    assert round(doc["achieved_non_detection"], 3) == 0.048


def test_sample_size_table() -> None:
    result = ok(
        "plan", "sample-size", "--population", "1000", "--defects", "5", "--non-detection", "0.05"
    )
    assert "451" in result.stdout
    assert "450" in result.stdout


def test_detect_json() -> None:
    doc = json.loads(
        ok(
            "plan", "detect", "--population", "100", "--defects", "10", "--sample", "25",
            "--recognition", "0.9", "--json",
        ).stdout
    )  # fmt: skip
    assert set(doc) >= {"detection_probability", "non_detection"}
    assert doc["detection_probability"] == pytest.approx(1 - doc["non_detection"])
    assert 0.9 < doc["detection_probability"] < 0.952
    human = ok("plan", "detect", "--population", "100", "--defects", "10", "--sample", "25")
    assert "every sampled defect recognised" in human.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--population", "10", "--defects", "11", "--non-detection", "0.05"], "defects: 11"),
        (["--population", "10", "--defects", "2", "--non-detection", "0"], "non-detection target"),
        (["--population", "10", "--defects", "2", "--non-detection", "1"], "non-detection target"),
        (["--population", "10", "--defects", "2", "--non-detection", "1.5"], "(0, 1)"),
        (["--population", "-5", "--defects", "2", "--non-detection", "0.05"], "population"),
        (["--population", "10", "--defects", "-2", "--non-detection", "0.05"], "defects"),
        (["--population", "10", "--defects", "0", "--non-detection", "0.05"], "zero defects"),
        (["--population", "ten", "--defects", "2", "--non-detection", "0.05"], "--population"),
    ],
)
def test_sample_size_bad_arguments(args: list[str], says: str) -> None:
    usage_error("plan", "sample-size", *args, says=says)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--population", "10", "--defects", "11", "--sample", "5"], "defects: 11"),
        (["--population", "10", "--defects", "2", "--sample", "11"], "sample: a sample of 11"),
        (["--population", "10", "--defects", "2", "--sample", "-1"], "sample"),
        (["--population", "-10", "--defects", "2", "--sample", "1"], "population"),
        (["--population", "10", "--defects", "2", "--sample", "5", "--recognition", "0"], "(0, 1]"),
        (["--population", "10", "--defects", "2", "--sample", "5", "--recognition", "2"], "(0, 1]"),
    ],
)
def test_detect_bad_arguments(args: list[str], says: str) -> None:
    usage_error("plan", "detect", *args, says=says)


# -- allocate ---------------------------------------------------------------------------------


def sites_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "sites.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


SITES = (
    "id,items,value,non_detection,gain,sanction\n"
    "a,100,10,0.1,1,4\n"
    "b,50,5,0.2,1,2\n"
    "c,20,2,0.05,2,1\n"
)


def test_allocate_detection(tmp_path: Path) -> None:
    path = sites_file(tmp_path, SITES)
    doc = json.loads(ok("plan", "allocate", "--sites", path, "--inspections", "2", "--json").stdout)
    assert doc["objective"] == "detection"
    assert sum(s["probability"] for s in doc["sites"]) == pytest.approx(2)
    assert max(s["expected_gain"] for s in doc["sites"]) == pytest.approx(doc["value"])
    assert doc["guaranteed_detection"] == pytest.approx(1 - doc["value"] / 10)
    table = ok("plan", "allocate", "--sites", path, "--inspections", "2").stdout
    assert "game value" in table


def test_allocate_deterrence(tmp_path: Path) -> None:
    path = sites_file(tmp_path, SITES)
    result = ok(
        "plan", "allocate", "--sites", path, "--inspections", "1", "--objective", "deterrence",
        "--margin", "0.01", "--json",
    )  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["deterred"] == ["a", "b"]
    assert doc["not_deterred"] == ["c"]
    expected = sum(
        (d / (d + b) + 0.01) / (1 - beta) for beta, d, b in ((0.1, 1, 4), (0.2, 1, 2), (0.05, 2, 1))
    )
    assert doc["budget"] == pytest.approx(expected)
    table = run(
        "plan", "allocate", "--sites", path, "--inspections", "1", "--objective", "deterrence"
    )
    assert "2 of 3 sites deterred" in table.stdout


@pytest.mark.parametrize(
    ("text", "extra", "says"),
    [
        ("id,items,value,non_detection\na,1,2,1.5\n", [], "row 2, non_detection"),
        ("id,items,value\na,1,2\n", [], "non_detection"),
        (
            "id,items,value,non_detection\na,1,2,0.5\n",
            ["--objective", "deterrence"],
            "gain and sanction",
        ),
        (SITES, ["--objective", "secrecy"], "--objective"),
        (SITES, ["--margin", "1.5"], "margin"),
    ],
)
def test_allocate_bad_input(tmp_path: Path, text: str, extra: list[str], says: str) -> None:
    if "--margin" in extra:
        extra = [*extra, "--objective", "deterrence"]
    usage_error(
        "plan", "allocate", "--sites", sites_file(tmp_path, text), "--inspections", "1", *extra,
        says=says,
    )  # fmt: skip


def test_allocate_negative_inspections(tmp_path: Path) -> None:
    path = sites_file(tmp_path, SITES)
    usage_error("plan", "allocate", "--sites", path, "--inspections", "-1", says="inspections")


# -- quota and curve ---------------------------------------------------------------------------


def test_quota_exact_and_simulated(inventory: list[str]) -> None:
    result = ok(
        "plan", "quota", *inventory, "--treaty", "new-start", "--cheat", "warheads:30",
        "--monte-carlo", "20000", "--seed", "7", "--json",
    )  # fmt: skip
    doc = json.loads(result.stdout)
    assert (doc["quota"], doc["inspections"], doc["per_site_cap"]) == (10, 10, 2)
    assert len(doc["sites"]) == 8
    exact = doc["detection_probability"]
    mc = doc["monte_carlo"]
    assert mc["replications"] == 20000
    assert mc["seed"] == 7
    se = math.sqrt(exact * (1 - exact) / 20000)
    assert abs(mc["rate"] - exact) <= 4 * se
    low, high = mc["interval"]
    assert low <= exact <= high or abs(mc["rate"] - exact) <= 4 * se


def test_quota_table(inventory: list[str]) -> None:
    out = ok("plan", "quota", *inventory, "--cheat", "undeclared:5@malmstrom").stdout
    assert "0.875000" in out
    assert "malmstrom (132)" in out


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--cheat", "warheads:30@vandenberg"], "not a site of US"),
        (["--cheat", "hidden:3"], "is not undeclared"),
        (["--cheat", "warheads:3", "--inspections", "17"], "more than 8 sites allow"),
        (["--cheat", "warheads:3", "--recognition", "0"], "recognition"),
        (["--cheat", "warheads:3", "--monte-carlo", "0"], "replications"),
        (["--cheat", "warheads:3", "--party", "RU"], "unknown type 'minuteman_iii' for a RU"),
        (["--cheat", "warheads:3", "--party", "FR"], "'FR' is not a party"),
        (["--cheat", "warheads:3", "--treaty", "no-such-treaty"], "no-such-treaty"),
        (["--cheat", "warheads:3", "--inspection-type", "type_three"], "type_three"),
    ],
)
def test_quota_bad_input(inventory: list[str], extra: list[str], says: str) -> None:
    usage_error("plan", "quota", *inventory, *extra, says=says)


def test_quota_missing_file(tmp_path: Path) -> None:
    usage_error(
        "plan", "quota", "--inventory", str(tmp_path / "no.csv"), "--facilities",
        str(tmp_path / "no.csv"), "--cheat", "warheads:3", says="cannot read",
    )  # fmt: skip


def test_curve(inventory: list[str], tmp_path: Path) -> None:
    out = tmp_path / "curve.png"
    result = ok(
        "plan", "curve", *inventory, "--cheat", "undeclared:1@malmstrom", "--cheat", "warheads:50",
        "--out", str(out), "--json",
    )  # fmt: skip
    doc = json.loads(result.stdout)
    assert out.read_bytes().startswith(b"\x89PNG")
    assert doc["inspections"] == list(range(17))
    assert doc["quota"] == 10
    assert [s["cheat"] for s in doc["series"]] == ["undeclared:1@malmstrom", "warheads:50"]
    assert doc["series"][0]["detection_probability"][10] == pytest.approx(0.875)
    usage_error(
        "plan", "curve", *inventory, "--cheat", "warheads:5", "--out", str(tmp_path / "c.gif"),
        says=".png",
    )  # fmt: skip


# -- draws ---------------------------------------------------------------------------------------


def test_draw_year_on_two_nodes(tmp_path: Path, inventory: list[str]) -> None:
    ru_db, us_db = f"sqlite:///{tmp_path / 'ru.db'}", f"sqlite:///{tmp_path / 'us.db'}"
    ru_dir, us_dir, seed = tmp_path / "ru", tmp_path / "us", tmp_path / "seed.hex"
    ok("log", "init", "--origin", "example.org/ru/log", "--db", ru_db)
    ok("log", "init", "--origin", "example.org/us/log", "--db", us_db)
    ok(
        "declare",
        "import",
        inventory[1],
        "--facilities",
        inventory[3],
        "--party",
        "US",
        "--db",
        us_db,
    )
    committed = ok(
        "plan", "draw-commit", "--inspected-party", "US", "--quota-year", "2021-02-05",
        "--seed-out", str(seed), "--party", "RU", "--db", ru_db,
    )  # fmt: skip
    assert "entry 0" in committed.stdout
    assert seed.stat().st_mode & 0o777 == 0o600
    ok("log", "export", str(ru_dir), "--db", ru_db)
    # No acknowledgment yet: the draw is not fixed.
    ok("log", "export", str(us_dir), "--db", us_db)
    usage_error(
        "plan", "draw", str(ru_dir), str(us_dir), "--seed-file", str(seed), says="not acknowledged"
    )
    assert "acknowledged 1 new" in ok("plan", "draw-acknowledge", str(ru_dir), "--db", us_db).stdout
    assert "acknowledged 0 new" in ok("plan", "draw-acknowledge", str(ru_dir), "--db", us_db).stdout
    ok("declare", "commit", "--as-of", "2021-03-01", "--db", us_db)
    ok("log", "export", str(us_dir), "--db", us_db)
    preview = json.loads(
        ok("plan", "draw", str(ru_dir), str(us_dir), "--seed-file", str(seed), "--json").stdout
    )
    assert len(preview["designations"]) == 10
    assert preview["declaration"]["index"] == 1  # after the acknowledgment at 0
    ok("plan", "draw-reveal", str(us_dir), "--seed-file", str(seed), "--party", "RU", "--db", ru_db)
    ok("log", "export", str(ru_dir), "--db", ru_db)
    verified = ok("plan", "draw", str(ru_dir), str(us_dir), "--verify")
    assert "verified: 1 draws" in verified.stdout
    doc = json.loads(ok("plan", "draw", str(ru_dir), str(us_dir), "--json").stdout)
    assert doc["draws"][0]["draw"]["designations"] == preview["designations"]
    # The seed file is never overwritten.
    again = run(
        "plan", "draw-commit", "--inspected-party", "US", "--quota-year", "2022-02-05",
        "--seed-out", str(seed), "--party", "RU", "--db", ru_db,
    )  # fmt: skip
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_draw_verify_fails_on_a_designation_off_the_draw(tmp_path: Path) -> None:
    w, commitment, _, declaration = fixed_world()
    w.add(
        "draw_reveal", "RU", "2022-02-10T12:00:00Z", {"seed": SEED.hex()}, [commitment, declaration]
    )
    ru, us = w.log("RU"), w.log("US")
    record = fix_draw(SPEC, ru, us, find_commitment(ru, SEED), SEED)
    wrong = next(s for s in record.sites if s != record.designations[0])
    w.inspect(wrong, "2021-03-01T10:00:00Z")
    ru_dir, us_dir = w.write("RU", tmp_path / "ru"), w.write("US", tmp_path / "us")
    result = run("plan", "draw", str(ru_dir), str(us_dir), "--verify")
    assert result.exit_code == 1, result.output
    assert f"designation #1 (example.org/ru/log#3) is {wrong}" in result.output
    # Without --verify the draw is shown and the problem printed, without failing.
    shown = run("plan", "draw", str(ru_dir), str(us_dir))
    assert shown.exit_code == 0
    assert "problem:" in shown.stdout


def test_draw_bad_usage(tmp_path: Path) -> None:
    w, *_ = fixed_world()
    ru_dir, us_dir = w.write("RU", tmp_path / "ru"), w.write("US", tmp_path / "us")
    seed = tmp_path / "seed.hex"
    seed.write_text(SEED.hex() + "\n", encoding="ascii")
    usage_error(
        "plan",
        "draw",
        str(ru_dir),
        str(us_dir),
        "--verify",
        "--seed-file",
        str(seed),
        says="leave out",
    )
    usage_error("plan", "draw", str(ru_dir), str(us_dir), says="reveals no draw")
    (tmp_path / "bad.hex").write_text("xyz\n", encoding="ascii")
    usage_error(
        "plan",
        "draw",
        str(ru_dir),
        str(us_dir),
        "--seed-file",
        str(tmp_path / "bad.hex"),
        says="64 lowercase hex",
    )
    other_key = Signer(name="example.org/ru/log", seed=bytes(32)).verifier().vkey()
    pinned = run(
        "plan", "draw", str(ru_dir), str(us_dir), "--seed-file", str(seed), "--vkey", other_key
    )
    assert pinned.exit_code == 1
    assert "not a pinned key" in pinned.output
    assert (
        ok("plan", "draw", str(ru_dir), str(us_dir), "--seed-file", str(seed)).stdout.count(". ")
        >= 10
    )


def test_draw_commit_bad_arguments(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ru.db'}"
    ok("log", "init", "--origin", "example.org/ru/log", "--db", db)
    base = ["plan", "draw-commit", "--seed-out", str(tmp_path / "s"), "--party", "RU", "--db", db]
    usage_error(*base, "--inspected-party", "US", "--quota-year", "2021-02-06", says="first day")
    usage_error(*base, "--inspected-party", "US", "--quota-year", "soon", says="quota year")
    usage_error(*base, "--inspected-party", "RU", "--quota-year", "2021-02-05", says="itself")
    usage_error(
        *base, "--inspected-party", "FR", "--quota-year", "2021-02-05", says="inspected_party"
    )
    assert not (tmp_path / "s").exists()
