"""`treaty history`: the documented record of 2020-2023, replayed and judged fairly."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyledger.cli.app import app
from treatyledger.compliance import Finding, Severity, verify_finding
from treatyledger.history import History, replay_history
from treatyledger.treaty import load_builtin


@functools.cache
def replayed() -> History:
    return replay_history(load_builtin("new-start"))


def rules(rule: str) -> list[Finding]:
    return [f for f in replayed().findings if f.rule == rule]


def test_the_2022_exemption_is_attributed_to_russia() -> None:
    [found] = rules("inspection.exemption_declared")
    assert (found.party, found.severity) == ("RU", Severity.CONCERN)
    assert "2022-08-08" in found.summary
    assert "paused by the agreement of every party" in found.summary


def test_the_2022_postponement_is_attributed_to_russia() -> None:
    [found] = rules("commission.postponed")
    assert (found.party, found.severity) == ("RU", Severity.CONCERN)
    assert "Cairo" in found.summary
    assert "2022-11-28" in found.summary
    missed = {f.summary[:8]: f.party for f in rules("commission.sessions_missed")}
    assert missed == {"In 2021 ": "US+RU", "In 2022 ": "RU"}


def test_the_2023_suspension_is_attributed_to_russia() -> None:
    [found] = rules("suspension.in_effect")
    assert found.party == "RU"
    assert "data exchange, inspections, notifications" in found.summary


def test_march_2023_records_each_absence_for_what_it_was() -> None:
    missing = [f for f in rules("exchange.missing") if "2023-03-01" in f.summary]
    assert [(f.party, f.severity) for f in missing] == [("RU", Severity.VIOLATION)]
    assert "suspension of its data exchanges" in missing[0].summary
    [withheld] = rules("exchange.withheld")
    assert (withheld.party, withheld.severity) == ("US", Severity.CONCERN)
    assert "withheld its database as a declared countermeasure" in withheld.summary
    assert "published its aggregate totals instead on 2023-05-15" in withheld.summary
    assert "deployed delivery vehicles 662" in withheld.summary
    assert not [f for f in rules("exchange.missing") if f.party == "US"]


def test_the_june_2023_notification_stop_is_a_us_countermeasure() -> None:
    found = rules("countermeasure.in_effect")
    june = [f for f in found if "2023-06-01" in f.summary]
    assert [(f.party, f.severity) for f in june] == [("US", Severity.INFO)]
    assert "notifications" in june[0].summary
    assert "in response to" in june[0].summary
    assert "suspension by RU" in june[0].summary


def test_no_finding_blames_either_party_for_the_2020_pause() -> None:
    [agreed] = rules("pause.agreed")
    assert agreed.party == "US+RU"
    assert agreed.severity is Severity.INFO
    assert rules("pause.unilateral") == []
    for finding in replayed().findings:
        if "2020-03" in finding.summary or "pause" in finding.rule:
            assert finding.party == "US+RU" or finding.severity is Severity.INFO, finding
    inspection = [f for f in replayed().findings if f.rule.startswith("inspection.")]
    assert {f.rule for f in inspection} == {"inspection.exemption_declared"}


def test_the_disputed_record_is_stated_as_disputed() -> None:
    disputes = rules("dispute.open")
    assert {f.party for f in disputes} == {"RU+US"}
    launchers = [f for f in disputes if "901" in f.summary]
    assert len(launchers) == 1
    assert "takes no side" in launchers[0].summary
    assert rules("limits.exceeded") == []


def test_the_replayed_exchanges_are_complete_and_consistent() -> None:
    history = replayed()
    assert rules("exchange.totals_inconsistent") == []
    assert rules("exchange.late") == []
    assert rules("notification.missing") == []
    assert rules("notification.late") == []
    assert rules("entry.invalid") == []
    assert rules("entry.unreadable") == []
    exchanges = {
        (logged.entry.sender, logged.exchange.as_of.isoformat()): logged.exchange.totals
        for log in history.logs.values()
        for logged in log.entries
        if logged.entry is not None and logged.exchange is not None
    }
    assert len(exchanges) == 12
    assert exchanges[("RU", "2022-09-01")]["warheads"] == 1549
    assert exchanges[("US", "2020-09-01")]["launchers"] == 800


def test_every_finding_verifies_offline_and_says_times_are_unattested() -> None:
    for finding in replayed().findings:
        assert finding.evidence, finding.rule
        doc = json.loads(json.dumps(finding.to_json()))
        vkeys = {log.origin: log.vkey for log in replayed().logs.values()}
        assert verify_finding(doc, vkeys)


def test_the_replay_is_reproducible_byte_for_byte() -> None:
    again = replay_history(load_builtin("new-start"))
    assert again.files == replayed().files


def test_history_refuses_a_treaty_without_a_record() -> None:
    with pytest.raises(ValueError, match="New START"):
        replay_history(load_builtin("strategic-p5"))


def test_cli_json_and_out_folder_reproduce_the_findings(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["history", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["treaty"] == "new-start"
    assert [p["id"] for p in doc["parties"]] == ["US", "RU"]
    assert len(doc["findings"]) == len(replayed().findings)
    saved = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert saved["findings"] == doc["findings"]
    # The exported logs give the same findings through `treaty comply`.
    again = runner.invoke(
        app,
        [
            "comply",
            str(tmp_path / "logs" / "US"),
            str(tmp_path / "logs" / "RU"),
            "--at",
            doc["as_of"],
            "--since",
            doc["since"],
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["findings"] == doc["findings"]
    # One finding saved alone verifies with `treaty comply verify-finding`.
    one = tmp_path / "one.json"
    one.write_text(json.dumps(doc["findings"][0]), encoding="utf-8")
    checked = runner.invoke(app, ["comply", "verify-finding", str(one)])
    assert checked.exit_code == 0, checked.output


def test_cli_refuses_another_treaty() -> None:
    result = CliRunner().invoke(app, ["history", "--treaty", "strategic-p5"])
    assert result.exit_code == 2
    assert "documented history" in result.output
