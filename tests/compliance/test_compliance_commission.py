"""``commission.sessions_missed``: a calendar year with fewer commission sessions than required."""

from __future__ import annotations

from complyworld import World, of_rule

from treatyledger.compliance import Severity, verify_finding
from treatyledger.ledger import Ref

RULE = "commission.sessions_missed"


def meeting(w: World, sender: str, starts_on: str, ends_on: str, refs: tuple[Ref, ...] = ()) -> Ref:
    return w.add(
        "commission_meeting",
        sender,
        f"{starts_on}T08:00:00Z",
        {"location": "Geneva", "starts_on": starts_on, "ends_on": ends_on},
        refs,
    )


def test_a_year_with_one_session_and_a_postponement_is_a_concern_of_the_postponer() -> None:
    w = World()
    request = w.add("commission_request", "US", "2020-01-10T09:00:00Z", {"agenda": "Telemetry."})
    meeting(w, "US", "2020-03-02", "2020-03-06")
    meeting(w, "RU", "2020-03-02", "2020-03-06")  # the same session, logged by both: once
    w.add(
        "commission_postponement",
        "RU",
        "2020-09-14T10:00:00Z",
        {"reason": "The delegation cannot travel."},
        [request],
    )
    findings = of_rule(w.findings("2021-01-01", since="2020-01-01"), RULE)
    assert [(f.severity, f.party) for f in findings] == [(Severity.CONCERN, "RU")]
    summary = findings[0].summary
    assert "In 2020" in summary
    assert "held 1 session (2020-03-02)" in summary
    assert "requires 2 a year" in summary
    assert "Russian Federation postponed a session on 2020-09-14" in summary
    assert "The delegation cannot travel." in summary
    assert len(findings[0].evidence) == 3
    assert len(verify_finding(findings[0])) == 3


def test_a_year_without_sessions_or_postponements_is_no_single_partys() -> None:
    w = World()
    w.add("commission_request", "US", "2020-01-10T09:00:00Z", {"agenda": "Telemetry."})
    findings = of_rule(w.findings("2021-01-01", since="2020-01-01"), RULE)
    assert [(f.severity, f.party) for f in findings] == [(Severity.CONCERN, "US+RU")]
    assert "held 0 sessions" in findings[0].summary
    assert "No party logged a postponement." in findings[0].summary
    assert findings[0].evidence  # the parties' latest entries


def test_near_misses_exactly_the_required_sessions_and_partial_years() -> None:
    w = World()
    meeting(w, "US", "2020-03-02", "2020-03-06")
    meeting(w, "RU", "2020-10-05", "2020-10-09")
    assert of_rule(w.findings("2021-01-01", since="2020-01-01"), RULE) == []
    w = World()
    meeting(w, "US", "2020-03-02", "2020-03-06")
    # 2020 is not entirely within the review: it starts later, or has not ended.
    assert of_rule(w.findings("2021-06-01", since="2020-01-02"), RULE) == []
    assert of_rule(w.findings("2020-12-31T23:59:59Z", since="2020-01-01"), RULE) == []
    # The year after the first whole one is judged once it ends.
    findings = of_rule(w.findings("2022-01-01", since="2020-01-02"), RULE)
    assert [f.summary.split(" the ")[0] for f in findings] == ["In 2021"]
