"""Inspection rules: refused, unanswered, blocked by an exemption, over quota, concurrent."""

from __future__ import annotations

import datetime as dt

from complyworld import World

from treatyledger.compliance import Finding, Severity

REQUESTED, ARRIVAL = "2019-05-01T08:00:00Z", "2019-05-02T18:00:00Z"
LATER = "2019-05-20"


def inspection_rules(findings: list[Finding]) -> list[tuple[str, Severity, str]]:
    return [(f.rule, f.severity, f.party) for f in findings if f.rule.startswith("inspection.")]


def test_a_refusal_is_a_violation_of_the_inspected_party() -> None:
    w = World()
    request = w.request("RU", REQUESTED, ARRIVAL)
    w.add("refusal", "US", "2019-05-02T10:00:00Z", {"reason": "Not now."}, [request])
    findings = w.findings(LATER)
    assert inspection_rules(findings) == [("inspection.refused", Severity.VIOLATION, "US")]
    assert [(e.origin, e.index) for e in findings_of(findings)[0].evidence] == [
        ("example.org/ru/log", 0),
        ("example.org/us/log", 0),
    ]


def findings_of(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.rule.startswith("inspection.")]


def test_an_acknowledged_request_is_not_reported() -> None:
    w = World()
    request = w.request("RU", REQUESTED, ARRIVAL)
    w.add("acknowledgment", "US", "2019-05-01T09:00:00Z", {}, [request])
    assert inspection_rules(w.findings(LATER)) == []


def test_a_request_without_answer_is_unanswered_once_the_limit_passes() -> None:
    w = World()
    w.request("RU", REQUESTED, ARRIVAL)
    assert inspection_rules(w.findings(LATER)) == [
        ("inspection.unanswered", Severity.VIOLATION, "US")
    ]
    # Near miss: the answer is due an hour after arrival (restrictions_within); not yet.
    assert inspection_rules(w.findings("2019-05-02T19:00:00Z")) == []


def test_an_answer_at_the_limit_is_in_time_and_one_after_it_is_late() -> None:
    w = World()
    request = w.request("RU", REQUESTED, ARRIVAL)
    w.add("acknowledgment", "US", "2019-05-02T19:00:00Z", {}, [request])
    assert inspection_rules(w.findings(LATER)) == []
    w = World()
    request = w.request("RU", REQUESTED, ARRIVAL)
    w.add("acknowledgment", "US", "2019-05-02T19:00:01Z", {}, [request])
    findings = findings_of(w.findings(LATER))
    assert [(f.rule, f.party) for f in findings] == [("inspection.unanswered", "US")]
    assert "answered" in findings[0].summary
    assert "only on" in findings[0].summary


def test_an_exemption_covering_the_arrival_blocks_the_inspection() -> None:
    w = World()
    w.add(
        "exemption",
        "US",
        "2019-04-01T09:00:00Z",
        {"facilities": "all", "from": "2019-04-01", "reason": "Temporary exemption."},
    )
    w.request("RU", REQUESTED, ARRIVAL)
    findings = findings_of(w.findings(LATER))
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.blocked_by_exemption", Severity.CONCERN, "US"),
        ("inspection.exemption_declared", Severity.CONCERN, "US"),
    ]
    assert "Temporary exemption." in findings[0].summary
    assert "all its facilities exempt from inspection from 2019-04-01" in findings[1].summary
    assert len(findings[0].evidence) == 2


def test_an_exemption_that_ended_before_arrival_does_not() -> None:
    w = World()
    w.add(
        "exemption",
        "US",
        "2019-04-01T09:00:00Z",
        {"facilities": "all", "from": "2019-04-01", "until": "2019-05-01", "reason": "Over."},
    )
    w.request("RU", REQUESTED, ARRIVAL)
    assert inspection_rules(w.findings(LATER)) == [
        ("inspection.unanswered", Severity.VIOLATION, "US"),
        ("inspection.exemption_declared", Severity.CONCERN, "US"),
    ]


def test_a_refusal_during_the_agreed_pause_is_not_a_violation() -> None:
    w = World()
    request = w.request("RU", "2020-06-01T08:00:00Z", "2020-06-02T18:00:00Z")
    w.add("refusal", "US", "2020-06-01T10:00:00Z", {"reason": "Pandemic."}, [request])
    findings = findings_of(w.findings("2020-06-20"))
    assert [(f.rule, f.severity) for f in findings] == [("inspection.refused", Severity.INFO)]
    assert "paused by agreement" in findings[0].summary


def _series(w: World, count: int, *, start: dt.datetime, refuse_last: bool = False) -> None:
    """``count`` Type One requests of Russia, three days apart, each acknowledged."""
    for n in range(count):
        time = start + dt.timedelta(days=3 * n)
        arrival = time + dt.timedelta(hours=34)
        request = w.request("RU", f"{time:%Y-%m-%dT%H:%M:%SZ}", f"{arrival:%Y-%m-%dT%H:%M:%SZ}")
        answer = "refusal" if refuse_last and n == count - 1 else "acknowledgment"
        payload = {"reason": "Quota used up."} if answer == "refusal" else {}
        w.add(
            answer, "US", f"{time + dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}", payload, [request]
        )


START = dt.datetime(2019, 3, 1, 8, tzinfo=dt.UTC)


def test_the_eleventh_type_one_inspection_of_a_quota_year_exceeds_the_quota() -> None:
    w = World()
    _series(w, 11, start=START)
    findings = findings_of(w.findings("2019-06-01"))
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.quota_exceeded", Severity.VIOLATION, "RU")
    ]
    assert "number 11" in findings[0].summary
    assert len(findings[0].evidence) == 11


def test_ten_are_within_the_quota() -> None:
    w = World()
    _series(w, 10, start=START)
    assert inspection_rules(w.findings("2019-06-01")) == []


def test_a_new_quota_year_starts_afresh() -> None:
    w = World()
    _series(w, 10, start=dt.datetime(2019, 1, 1, 8, tzinfo=dt.UTC))  # 5 in each quota year
    _series(w, 1, start=dt.datetime(2019, 3, 1, 8, tzinfo=dt.UTC))
    assert inspection_rules(w.findings("2019-06-01")) == []


def test_refusing_a_request_beyond_the_quota_is_allowed() -> None:
    w = World()
    _series(w, 11, start=START, refuse_last=True)
    findings = findings_of(w.findings("2019-06-01"))
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.refused", Severity.INFO, "US")
    ]
    assert "beyond the quota of 10" in findings[0].summary


def test_a_second_inspection_during_the_first_is_concurrent() -> None:
    w = World()
    first = w.request("RU", REQUESTED, ARRIVAL)
    second = w.request("RU", "2019-05-01T09:00:00Z", "2019-05-03T08:00:00Z")
    for ref in (first, second):
        w.add("acknowledgment", "US", "2019-05-01T12:00:00Z", {}, [ref])
    findings = findings_of(w.findings(LATER))
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.concurrent", Severity.VIOLATION, "RU")
    ]
    assert len(findings[0].evidence) == 2


def test_a_second_inspection_after_the_first_ends_is_not() -> None:
    w = World()
    first = w.request("RU", REQUESTED, ARRIVAL)
    # The first may last until arrival + 30 hours: 2019-05-04T00:00:00Z.
    second = w.request("RU", "2019-05-01T09:00:00Z", "2019-05-04T00:00:00Z")
    for ref in (first, second):
        w.add("acknowledgment", "US", "2019-05-01T12:00:00Z", {}, [ref])
    assert inspection_rules(w.findings(LATER)) == []


def test_inspections_of_different_parties_may_overlap() -> None:
    w = World()
    a = w.request("RU", REQUESTED, ARRIVAL)
    b = w.request("US", REQUESTED, ARRIVAL)
    w.add("acknowledgment", "US", "2019-05-01T12:00:00Z", {}, [a])
    w.add("acknowledgment", "RU", "2019-05-01T12:00:00Z", {}, [b])
    assert inspection_rules(w.findings(LATER)) == []
