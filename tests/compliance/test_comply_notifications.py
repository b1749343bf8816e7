"""Late catalogue notifications, suspensions in effect, entries the rules refuse."""

from __future__ import annotations

from complyworld import World, of_rule

from treatyledger.compliance import Severity


def _new_item(occurred_at: str) -> dict[str, str]:
    return {
        "uid": "US-MM3-0451",
        "kind": "icbm",
        "type": "minuteman_iii",
        "status": "non_deployed",
        "facility": "vandenberg",
        "occurred_at": occurred_at,
    }


def test_a_notification_after_its_deadline_is_late() -> None:
    w = World()
    w.add("new_item", "US", "2019-06-06T15:00:01Z", _new_item("2019-06-01T15:00:00Z"))
    found = of_rule(w.findings("2019-06-10"), "notification.late")
    assert [(f.party, f.severity) for f in found] == [("US", Severity.VIOLATION)]
    assert "no later than 5d after occurred_at" in found[0].summary
    assert "no witness cosignature attests" in found[0].summary


def test_a_notification_at_its_deadline_is_not() -> None:
    w = World()
    w.add("new_item", "US", "2019-06-06T15:00:00Z", _new_item("2019-06-01T15:00:00Z"))
    assert of_rule(w.findings("2019-06-10"), "notification.late") == []


def test_a_suspension_not_resumed_is_recorded_with_what_it_stopped() -> None:
    w = World()
    w.add(
        "suspension",
        "RU",
        "2019-06-01T12:00:00Z",
        {"obligations": ["inspections", "data_exchange"], "reason": "Federal law."},
    )
    found = of_rule(w.findings("2019-06-10"), "suspension.in_effect")
    assert [(f.party, f.severity) for f in found] == [("RU", Severity.INFO)]
    assert "data exchange, inspections" in found[0].summary


def test_a_resumed_suspension_is_not() -> None:
    w = World()
    suspension = w.add(
        "suspension", "RU", "2019-06-01T12:00:00Z", {"obligations": ["inspections"], "reason": "x"}
    )
    w.add(
        "resumption",
        "RU",
        "2019-06-05T12:00:00Z",
        {"obligations": ["inspections"], "reason": "y"},
        [suspension],
    )
    assert of_rule(w.findings("2019-06-10"), "suspension.in_effect") == []


def test_an_entry_the_treaty_refuses_is_a_concern_and_not_judged() -> None:
    w = World()
    # Only 10 hours of notice: Type One needs 32.
    w.request("RU", "2019-05-02T08:00:00Z", "2019-05-02T18:00:00Z")
    findings = w.findings("2019-05-20")
    invalid = of_rule(findings, "entry.invalid")
    assert [(f.party, f.severity) for f in invalid] == [("RU", Severity.CONCERN)]
    assert of_rule(findings, "inspection.unanswered") == []


def test_a_note_that_is_not_an_entry_is_reported() -> None:
    w = World()
    w.add("new_item", "US", "2019-06-02T15:00:00Z", _new_item("2019-06-01T15:00:00Z"))
    w.note("US", b"hello\n")
    found = of_rule(w.findings("2019-06-10"), "entry.unreadable")
    assert [(f.party, f.severity) for f in found] == [("US", Severity.CONCERN)]
