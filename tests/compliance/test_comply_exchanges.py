"""Data-exchange rules: limits, totals against the commitment, missing and late exchanges."""

from __future__ import annotations

from complyworld import World, exchange_note, of_rule

from treatyledger.compliance import Severity


def test_a_total_above_its_cap_is_a_violation() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z", extra_launchers=1))
    found = of_rule(w.findings("2019-10-15"), "limits.exceeded")
    assert len(found) == 1
    finding = found[0]
    assert (finding.severity, finding.party) == (Severity.VIOLATION, "US")
    assert "801 deployed and non-deployed ICBM launchers" in finding.summary
    assert "limit of 800" in finding.summary
    assert [(e.origin, e.index) for e in finding.evidence] == [("example.org/us/log", 0)]


def test_a_total_exactly_at_its_cap_is_not() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z"))
    assert of_rule(w.findings("2019-10-15"), "limits.exceeded") == []


def test_totals_that_do_not_match_the_commitment_are_a_violation() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z", totals_off=-5))
    findings = w.findings("2019-10-15")
    found = of_rule(findings, "exchange.totals_inconsistent")
    assert [(f.party, f.severity) for f in found] == [("US", Severity.VIOLATION)]
    assert "not those of the commitment" in found[0].summary
    # Delivered, though inconsistent: not also missing, and no limit judged on bad totals.
    assert not [f for f in of_rule(findings, "exchange.missing") if f.party == "US"]
    assert of_rule(findings, "limits.exceeded") == []


def test_consistent_totals_are_not_reported() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z"))
    assert of_rule(w.findings("2019-10-15"), "exchange.totals_inconsistent") == []


def test_an_exchange_after_its_due_date_is_late() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-02T00:00:00Z"))
    found = of_rule(w.findings("2019-10-15"), "exchange.late")
    assert [f.party for f in found] == ["US"]
    assert "due on 2019-10-01" in found[0].summary
    assert "no witness cosignature attests" in found[0].summary
    assert not any(e.time_attested for e in found[0].evidence)


def test_an_exchange_on_its_due_date_is_on_time() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T23:59:59Z"))
    findings = w.findings("2019-10-15")
    assert of_rule(findings, "exchange.late") == []
    assert not [f for f in of_rule(findings, "exchange.missing") if f.party == "US"]


def test_an_exchange_never_logged_is_missing_once_it_is_due() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z"))
    w.add("new_item", "RU", "2019-09-20T10:00:00Z", _new_item("2019-09-19T10:00:00Z"))
    missing = of_rule(w.findings("2019-10-02"), "exchange.missing")
    assert [(f.party, f.severity) for f in missing] == [("RU", Severity.VIOLATION)]
    assert "as of 2019-09-01, due by 2019-10-01" in missing[0].summary
    # Near miss: judged on the due date itself, nothing is missing yet.
    assert of_rule(w.findings("2019-10-01T12:00:00Z"), "exchange.missing") == []


def test_a_missing_exchange_under_a_suspension_names_it() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z"))
    w.add(
        "suspension",
        "RU",
        "2019-09-10T12:00:00Z",
        {"obligations": ["data_exchange"], "reason": "Federal law on the suspension."},
    )
    missing = of_rule(w.findings("2019-10-15"), "exchange.missing")
    assert [(f.party, f.severity) for f in missing] == [("RU", Severity.VIOLATION)]
    assert "suspension of its data exchanges" in missing[0].summary
    assert "Federal law on the suspension." in missing[0].summary
    assert [(e.origin, e.index) for e in missing[0].evidence] == [("example.org/ru/log", 0)]


def test_a_resumed_suspension_is_not_named() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z"))
    suspension = w.add(
        "suspension",
        "RU",
        "2019-09-10T12:00:00Z",
        {"obligations": ["data_exchange"], "reason": "x"},
    )
    w.add(
        "resumption",
        "RU",
        "2019-09-20T12:00:00Z",
        {"obligations": ["data_exchange"], "reason": "y"},
        [suspension],
    )
    missing = of_rule(w.findings("2019-10-15"), "exchange.missing")
    assert len(missing) == 1
    assert "suspension" not in missing[0].summary


def _new_item(occurred_at: str) -> dict[str, str]:
    return {
        "uid": "RU-X-0001",
        "kind": "icbm",
        "type": "rs_24_yars",
        "status": "non_deployed",
        "facility": "teykovo",
        "occurred_at": occurred_at,
    }
