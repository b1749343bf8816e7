"""The exercise's year, played in memory: every scenario caught for what it is, a clean year clean,
and the draws recomputable from the logs."""

from __future__ import annotations

import functools
import json
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyledger.assurance.draw_record import check_draws
from treatyledger.cli.app import app
from treatyledger.compliance import Severity, verify_finding
from treatyledger.errors import InputError
from treatyledger.exercise import Exercise, run_exercise, scenario
from treatyledger.exercise.report import report_json, write_report
from treatyledger.exercise.transport import MemoryTransport
from treatyledger.treaty import load_builtin

NEW_START = load_builtin("new-start")


@functools.cache
def played(name: str, seed: int, treaty: str = "new-start") -> Exercise:
    spec = NEW_START if treaty == "new-start" else load_builtin(treaty)
    return run_exercise(spec, scenario(name), seed, lambda signers, _: MemoryTransport(signers))


def rules_against(ex: Exercise, party: str) -> set[str]:
    return {
        f.rule
        for f in ex.findings
        if f.severity is Severity.VIOLATION and party in f.party.split("+")
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_a_clean_year_has_no_violation(seed: int) -> None:
    ex = played("clean", seed)
    assert ex.red is None
    assert not [f for f in ex.findings if f.severity is Severity.VIOLATION], ex.findings
    assert not ex.detected
    assert ex.planner is None
    assert ex.entries > 250


def test_the_year_holds_every_step_of_the_regime() -> None:
    ex = played("clean", 1)
    kinds: dict[str, int] = {}
    for log in ex.logs.values():
        for logged in log.entries:
            assert logged.entry is not None
            kinds[logged.entry.type] = kinds.get(logged.entry.type, 0) + 1
    assert kinds["data_exchange"] == 4
    # Type One: the quota of 10 each way. Type Two: 8 at the 4 US sites of that kind
    # (2 a site at most), 6 at the 3 Russian ones.
    assert kinds["inspection_request"] == (10 + 8) + (10 + 6)
    assert kinds["pre_inspection_opening"] == kinds["inspection_request"]
    assert kinds["report_countersignature"] == kinds["inspection_request"]
    assert kinds["draw_commitment"] == kinds["draw_reveal"] == 4
    assert kinds["commission_meeting"] == 1
    assert sum(kinds.get(k, 0) for k in ("new_item", "movement", "status_change")) > 10


def test_every_draw_is_recomputed_from_the_two_logs() -> None:
    ex = played("clean", 1)
    for inspecting, inspected in (("US", "RU"), ("RU", "US")):
        checks = check_draws(NEW_START, ex.logs[inspecting], ex.logs[inspected])
        assert len(checks) == 2
        assert all(c.holds for c in checks), [c.problems for c in checks]
        requests = sum(
            1
            for logged in ex.logs[inspecting].entries
            if logged.entry is not None and logged.entry.type == "inspection_request"
        )
        assert sum(len(c.logged) for c in checks) == requests


def _designated(ex: Exercise, party: str) -> set[str]:
    return {
        logged.entry.payload["facility"]
        for log in ex.logs.values()
        for logged in log.entries
        if logged.entry is not None
        and logged.entry.type == "site_designation"
        and logged.entry.sender != party
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_hidden_launchers_are_caught_exactly_when_their_base_is_inspected(seed: int) -> None:
    ex = played("hidden-launchers", seed)
    assert ex.red is not None
    assert ex.red.hidden_base is not None
    inspected = ex.red.hidden_base in _designated(ex, ex.red.party)
    assert ex.detected == inspected
    assert ("inspection.undeclared_item" in rules_against(ex, ex.red.party)) == inspected
    assert rules_against(ex, ex.red.party) <= {"inspection.undeclared_item"}
    other = next(p for p in ex.parties if p != ex.red.party)
    assert rules_against(ex, other) == set()
    assert ex.planner is not None
    assert 0 < ex.planner.probability < 1


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("late-notification", "notification.late"),
        ("refused-inspection", "inspection.refused"),
        ("suspension", "exchange.missing"),
    ],
)
def test_procedural_misconduct_is_caught_for_what_it_is(name: str, rule: str) -> None:
    ex = played(name, 3)
    assert ex.red is not None
    assert rule in rules_against(ex, ex.red.party)
    assert ex.detected
    assert ex.planner is not None
    assert ex.planner.probability == 1.0
    other = next(p for p in ex.parties if p != ex.red.party)
    assert rules_against(ex, other) == set()


def test_understated_warheads_are_caught_by_a_count_of_one_of_them() -> None:
    for seed in (1, 2, 3):
        ex = played("understated-warheads", seed)
        assert ex.red is not None
        counted = {
            logged.entry.payload["reentry_vehicles"]["uid"]
            for log in ex.logs.values()
            for logged in log.entries
            if logged.entry is not None
            and logged.entry.type == "observations"
            and "reentry_vehicles" in logged.entry.payload
        }
        caught = bool(counted & ex.red.understated)
        assert ex.detected == caught
        assert ("inspection.reentry_vehicles" in rules_against(ex, ex.red.party)) == caught


def test_five_parties_play_a_clean_year() -> None:
    ex = played("clean", 1, "strategic-p5")
    assert set(ex.logs) == {"US", "RU", "CN", "GB", "FR"}
    assert not [f for f in ex.findings if f.severity is Severity.VIOLATION]


def test_an_equivocating_log_needs_witnesses() -> None:
    with pytest.raises(InputError, match="needs witnesses"):
        run_exercise(
            NEW_START,
            scenario("equivocating-log"),
            1,
            lambda signers, _: MemoryTransport(signers),
        )


def test_an_unknown_scenario_is_refused_with_the_list() -> None:
    with pytest.raises(InputError, match="hidden-launchers"):
        scenario("cheating")


def test_the_report_and_the_logs_reproduce_the_findings(tmp_path: Path) -> None:
    ex = played("refused-inspection", 3)
    write_report(ex, tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert doc == json.loads(json.dumps(report_json(ex)))
    assert set(doc) >= {"treaty", "scenario", "seed", "parties", "detected", "findings"}
    assert doc["detected"] is True
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "refused-inspection" in html
    assert "data:image/png;base64," in html
    runner = CliRunner()
    dirs = [str(tmp_path / "logs" / p) for p in ex.logs]
    for folder in dirs:
        vkey = (Path(folder) / "vkey").read_text(encoding="utf-8").strip()
        verified = runner.invoke(app, ["log", "verify", folder, "--vkey", vkey])
        assert verified.exit_code == 0, verified.output
    again = runner.invoke(
        app,
        [
            "comply",
            *dirs,
            "--at",
            doc["year"]["judged_at"],
            "--since",
            doc["year"]["start"],
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["findings"] == doc["findings"]
    for finding in doc["findings"]:
        verify_finding(finding)


# -- honest detection: the rate over many seeds is the planner's probability ---------------

SEEDS = range(100, 140)


def _detected(seed: int) -> tuple[bool, float]:
    ex = run_exercise(
        NEW_START,
        scenario("hidden-launchers"),
        seed,
        lambda signers, _: MemoryTransport(signers),
        check=False,
    )
    assert ex.planner is not None
    return ex.detected, ex.planner.probability


def test_the_detection_rate_of_hidden_launchers_is_the_planners_probability() -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_detected, SEEDS))
    caught = sum(1 for detected, _ in results if detected)
    expected = sum(p for _, p in results)
    sd = math.sqrt(sum(p * (1 - p) for _, p in results))
    # Each run is a Bernoulli trial with the planner's probability for its red team and base;
    # the number caught must lie within 3 standard deviations of the expectation.
    assert abs(caught - expected) <= 3 * sd, (caught, expected, sd)
    # And the runs are not all alike: some years miss, some catch.
    assert 0 < caught < len(results)
