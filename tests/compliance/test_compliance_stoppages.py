"""Stoppages reported for what they were: pauses, countermeasures, exemptions, disputes,
postponements, withheld exchanges, and change notifications never sent."""

from __future__ import annotations

from complyworld import World, exchange_note, of_rule

from treatyledger.compliance import Severity, verify_finding

CM_REASON = "In response to the suspension of the treaty."


def _suspension(w: World, time: str = "2023-02-28T12:00:00Z") -> object:
    return w.add(
        "suspension",
        "RU",
        time,
        {"obligations": ["data_exchange", "inspections"], "reason": "Federal law."},
    )


def test_a_pause_both_parties_logged_is_agreed_and_blames_no_one() -> None:
    w = World()
    us = w.add(
        "pause",
        "US",
        "2020-03-28T12:00:00Z",
        {"obligations": ["inspections"], "reason": "COVID-19."},
    )
    w.add(
        "pause",
        "RU",
        "2020-03-29T12:00:00Z",
        {"obligations": ["inspections"], "reason": "COVID-19."},
        [us],
    )
    findings = w.findings("2020-06-01")
    agreed = of_rule(findings, "pause.agreed")
    assert [(f.party, f.severity) for f in agreed] == [("US+RU", Severity.INFO)]
    assert "no party's failure" in agreed[0].summary
    assert len(agreed[0].evidence) == 2
    assert of_rule(findings, "pause.unilateral") == []
    # The March 2020 exchanges are missing (no log holds them), but nothing about the pause.
    assert not [
        f for f in findings if f.rule.startswith(("pause", "inspection")) and f.party != "US+RU"
    ]
    verify_finding(agreed[0])


def test_a_pause_only_one_party_logged_is_its_own() -> None:
    w = World()
    w.add(
        "pause",
        "US",
        "2020-03-28T12:00:00Z",
        {"obligations": ["inspections"], "reason": "COVID-19."},
    )
    findings = w.findings("2020-06-01")
    assert of_rule(findings, "pause.agreed") == []
    assert [(f.party, f.severity) for f in of_rule(findings, "pause.unilateral")] == [
        ("US", Severity.CONCERN)
    ]


def test_a_countermeasure_in_effect_names_what_it_answers() -> None:
    w = World()
    suspension = _suspension(w)
    w.add(
        "countermeasure",
        "US",
        "2023-06-01T12:00:00Z",
        {"obligations": ["notifications", "telemetry"], "reason": CM_REASON},
        [suspension],
    )
    found = of_rule(w.findings("2023-07-01"), "countermeasure.in_effect")
    assert [(f.party, f.severity) for f in found] == [("US", Severity.INFO)]
    assert "notifications, telemetry" in found[0].summary
    assert "in response to entry 0 of log example.org/ru/log (suspension by RU)" in (
        found[0].summary
    )
    assert "whether it is lawful is for the parties" in found[0].summary
    verify_finding(found[0])


def test_a_countermeasure_resumed_is_not_in_effect() -> None:
    w = World()
    suspension = _suspension(w)
    cm = w.add(
        "countermeasure",
        "US",
        "2023-06-01T12:00:00Z",
        {"obligations": ["telemetry"], "reason": CM_REASON},
        [suspension],
    )
    w.add(
        "resumption",
        "US",
        "2023-06-20T12:00:00Z",
        {"obligations": ["telemetry"], "reason": "Talks."},
        [cm],
    )
    assert of_rule(w.findings("2023-07-01"), "countermeasure.in_effect") == []


def test_an_exchange_withheld_under_a_countermeasure_is_that_not_a_plain_absence() -> None:
    w = World()
    w.note("US", exchange_note("2022-09-01", "2022-09-30T10:00:00Z"))
    suspension = _suspension(w)
    w.add(
        "countermeasure",
        "US",
        "2023-03-28T12:00:00Z",
        {"obligations": ["data_exchange"], "reason": CM_REASON},
        [suspension],
    )
    w.add(
        "published_totals",
        "US",
        "2023-05-15T12:00:00Z",
        {
            "as_of": "2023-03-01",
            "totals": {"deployed_delivery_vehicles": 662, "warheads": 1419, "launchers": 800},
        },
    )
    findings = w.findings("2023-06-30", since="2022-10-02")
    withheld = of_rule(findings, "exchange.withheld")
    assert [(f.party, f.severity) for f in withheld] == [("US", Severity.CONCERN)]
    assert "declared countermeasure" in withheld[0].summary
    assert "published its aggregate totals instead on 2023-05-15" in withheld[0].summary
    assert "warheads 1,419 (within 1,550)" in withheld[0].summary
    missing = of_rule(findings, "exchange.missing")
    # Russia's absence under its suspension stays a violation, for what it was.
    assert [(f.party, f.severity) for f in missing] == [("RU", Severity.VIOLATION)]
    assert "suspension of its data exchanges" in missing[0].summary
    assert not [f for f in missing if f.party == "US"]
    verify_finding(withheld[0])


def test_published_totals_above_a_cap_exceed_it() -> None:
    w = World()
    w.add(
        "published_totals",
        "US",
        "2023-05-15T12:00:00Z",
        {
            "as_of": "2023-03-01",
            "totals": {"deployed_delivery_vehicles": 701, "warheads": 1550, "launchers": 800},
        },
    )
    found = of_rule(w.findings("2023-05-16"), "limits.exceeded")
    assert [(f.party, f.severity) for f in found] == [("US", Severity.VIOLATION)]
    assert "701" in found[0].summary
    # Exactly at the cap (1,550 warheads, 800 launchers) is not reported.
    assert len(found) == 1


def test_an_exemption_is_reported_as_declared() -> None:
    w = World()
    w.add(
        "exemption",
        "RU",
        "2022-08-08T09:00:00Z",
        {"facilities": "all", "from": "2022-08-08", "reason": "Sanctions."},
    )
    found = of_rule(w.findings("2022-09-01"), "inspection.exemption_declared")
    assert [(f.party, f.severity) for f in found] == [("RU", Severity.CONCERN)]
    assert "until further notice" in found[0].summary
    assert "cannot judge" in found[0].summary


def test_a_postponement_never_followed_by_a_session_is_reported() -> None:
    w = World()
    request = w.add(
        "commission_request",
        "US",
        "2022-10-01T12:00:00Z",
        {"agenda": "Resumption of inspections.", "location": "Cairo"},
    )
    meeting = w.add(
        "commission_meeting",
        "US",
        "2022-11-08T12:00:00Z",
        {"location": "Cairo", "starts_on": "2022-11-29", "ends_on": "2022-12-06"},
        [request],
    )
    w.add(
        "commission_postponement", "RU", "2022-11-28T10:00:00Z", {"reason": "Postponed."}, [meeting]
    )
    findings = w.findings("2023-01-02", since="2022-01-01")
    postponed = of_rule(findings, "commission.postponed")
    assert [(f.party, f.severity) for f in postponed] == [("RU", Severity.CONCERN)]
    assert "planned in Cairo from 2022-11-29" in postponed[0].summary
    # The postponed session is not counted as held: 2022 had none, and Russia postponed.
    missed = of_rule(findings, "commission.sessions_missed")
    assert [(f.party, f.summary.split(";")[0]) for f in missed] == [
        ("RU", "In 2022 the Bilateral Consultative Commission held 0 sessions")
    ]


def test_a_postponement_followed_by_a_session_is_rescheduling() -> None:
    w = World()
    request = w.add(
        "commission_request",
        "US",
        "2022-10-01T12:00:00Z",
        {"agenda": "Inspections.", "location": "Cairo"},
    )
    w.add(
        "commission_postponement",
        "RU",
        "2022-10-10T10:00:00Z",
        {"reason": "Later.", "new_start": "2022-11-15"},
        [request],
    )
    w.add(
        "commission_meeting",
        "RU",
        "2022-11-20T12:00:00Z",
        {"location": "Geneva", "starts_on": "2022-11-15", "ends_on": "2022-11-18"},
    )
    assert of_rule(w.findings("2023-01-02"), "commission.postponed") == []


def test_a_dispute_is_reported_as_disputed_with_both_readings() -> None:
    w = World()
    exchange = w.note("US", exchange_note("2022-03-01", "2022-03-30T10:00:00Z"))
    w.add(
        "dispute",
        "RU",
        "2022-04-15T12:00:00Z",
        {"claim": "Conversions cannot be confirmed.", "limit": "launchers", "count": 901},
        [exchange],
    )
    findings = w.findings("2022-05-01")
    found = of_rule(findings, "dispute.open")
    assert [(f.party, f.severity) for f in found] == [("RU+US", Severity.CONCERN)]
    summary = found[0].summary
    assert "count for launchers is 901, against 800 declared" in summary
    assert "exceeds by 101" in summary
    assert "takes no side" in summary
    # Neither reading is adopted: no limit finding on the disputed count.
    assert of_rule(findings, "limits.exceeded") == []
    verify_finding(found[0])


def test_changes_between_exchanges_never_notified_are_missing() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-09-30T10:00:00Z"))
    w.note("US", exchange_note("2020-03-01", "2020-03-30T10:00:00Z", extra_launchers=2))
    found = of_rule(w.findings("2020-04-01"), "notification.missing")
    assert [(f.party, f.severity) for f in found] == [("US", Severity.VIOLATION)]
    assert "2 of 2 arrivals at vandenberg" in found[0].summary
    assert len(found[0].evidence) == 2
    verify_finding(found[0])


def _new_item(w: World, n: int, when: str) -> None:
    w.add(
        "new_item",
        "US",
        when,
        {
            "uid": f"US-XTRA-{n:04d}",
            "kind": "icbm_launcher",
            "type": "minuteman_iii",
            "status": "non_deployed",
            "facility": "vandenberg",
            "occurred_at": when,
        },
    )


def test_changes_notified_in_the_period_are_not_missing() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-09-30T10:00:00Z"))
    _new_item(w, 0, "2019-12-01T00:00:00Z")
    _new_item(w, 1, "2020-03-01T12:00:00Z")  # on the second as-of date: inside the period
    w.note("US", exchange_note("2020-03-01", "2020-03-30T10:00:00Z", extra_launchers=2))
    assert of_rule(w.findings("2020-04-01"), "notification.missing") == []


def test_a_change_notified_before_the_period_does_not_count() -> None:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-09-30T10:00:00Z"))
    _new_item(w, 0, "2019-12-01T00:00:00Z")
    _new_item(w, 1, "2019-09-01T12:00:00Z")  # on the first as-of date: already in it
    w.note("US", exchange_note("2020-03-01", "2020-03-30T10:00:00Z", extra_launchers=2))
    found = of_rule(w.findings("2020-04-01"), "notification.missing")
    assert "1 of 2 arrivals at vandenberg" in found[0].summary
