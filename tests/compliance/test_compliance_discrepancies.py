"""Inspection discrepancies: observations against the declaration opened at the site."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any

from complyworld import SPEC, World, exchange_note

from treatyledger.compliance import Finding, Severity
from treatyledger.escrow.commitment import Declaration
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.opening import open_facility
from treatyledger.escrow.opening_json import facility_opening_to_json
from treatyledger.escrow.sumtree import commit
from treatyledger.ledger import Ref

AS_OF, SENT = "2019-03-01", "2019-03-01T12:00:00Z"
REQUESTED, ARRIVAL = "2019-05-01T08:00:00Z", "2019-05-02T18:00:00Z"
OPENED, OBSERVED, LATER = "2019-05-02T18:30:00Z", "2019-05-03T10:00:00Z", "2019-05-20"
B2A = [f"US-B2A-{n:04d}" for n in range(1, 13)]  # the twelve declared at Whiteman


@functools.cache
def declaration() -> Declaration:
    """The commitment ``exchange_note(AS_OF, ...)`` publishes, with its secrets."""
    inventory = us_inventory_2020_09_01(SPEC)
    return commit(
        SPEC,
        "US",
        dt.date.fromisoformat(AS_OF),
        inventory.items,
        [f.id for f in inventory.facilities],
        secret=b"\x07" * 32,
    )


@functools.cache
def opening_json(facility: str) -> str:
    return facility_opening_to_json(open_facility(declaration(), facility))


def inspect(
    facility: str,
    kind: str,
    seen: Sequence[str],
    *,
    counted: dict[str, Any] | None = None,
    extra_launchers: int = 0,
    before: Sequence[tuple[str, str, dict[str, Any]]] = (),
) -> World:
    """A US exchange, a Russian Type One inspection of ``facility`` and its observations.

    ``before`` are catalogue notifications the US logs before the observations.
    """
    w = World()
    exchange = w.note("US", exchange_note(AS_OF, SENT, extra_launchers=extra_launchers))
    request = w.request("RU", REQUESTED, ARRIVAL)
    designation = w.add(
        "site_designation", "RU", ARRIVAL, {"facility": facility, "facility_kind": kind}, [request]
    )
    w.add(
        "pre_inspection_opening",
        "US",
        OPENED,
        {"facility": facility, "opening": json.loads(opening_json(facility))},
        [designation, exchange],
    )
    for notice, time, payload in before:
        w.add(notice, "US", time, payload)
    payload: dict[str, Any] = {"uids_seen": list(seen)}
    if counted is not None:
        payload["reentry_vehicles"] = counted
    observations: Ref = w.add("observations", "RU", OBSERVED, payload, [designation])
    assert observations.index == 2
    return w


def discrepancies(w: World) -> list[Finding]:
    rules = {
        "inspection.undeclared_item",
        "inspection.declared_absent",
        "inspection.reentry_vehicles",
        "inspection.opening_invalid",
    }
    return [f for f in w.findings(LATER) if f.rule in rules]


def test_observations_matching_the_declaration_are_not_reported() -> None:
    assert discrepancies(inspect("whiteman", "air_base", B2A)) == []


def test_an_item_seen_but_not_declared_is_a_violation_of_the_inspected_party() -> None:
    findings = discrepancies(inspect("whiteman", "air_base", [*B2A, "US-B2A-0099"]))
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.undeclared_item", Severity.VIOLATION, "US")
    ]
    summary = findings[0].summary
    assert "US-B2A-0099" in summary
    assert "whiteman" in summary
    assert "2019-05-03" in summary
    assert "as of 2019-03-01" in summary
    # Evidence: the observations, the opening and the data exchange.
    assert [(e.origin, e.index) for e in findings[0].evidence] == [
        ("example.org/ru/log", 2),
        ("example.org/us/log", 1),
        ("example.org/us/log", 0),
    ]


def test_a_declared_item_not_seen_is_a_concern() -> None:
    findings = discrepancies(inspect("whiteman", "air_base", B2A[1:]))
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.declared_absent", Severity.CONCERN, "US")
    ]
    assert "US-B2A-0001" in findings[0].summary
    assert "no witness cosignature" in findings[0].summary
    assert len(findings[0].evidence) == 3


def test_a_long_list_of_uids_is_cut_short() -> None:
    findings = discrepancies(inspect("whiteman", "air_base", []))
    assert [f.rule for f in findings] == ["inspection.declared_absent"]
    summary = findings[0].summary
    assert "US-B2A-0010" in summary
    assert "US-B2A-0011" not in summary
    assert "and 2 more" in summary


def test_an_absence_explained_by_an_earlier_movement_is_not_reported() -> None:
    movement = {
        "uid": "US-B2A-0001",
        "from_facility": "whiteman",
        "to_facility": "barksdale",
        "occurred_at": "2019-05-01T00:00:00Z",
    }
    before = [("movement", "2019-05-01T12:00:00Z", movement)]
    assert discrepancies(inspect("whiteman", "air_base", B2A[1:], before=before)) == []


def test_reentry_vehicles_counted_as_declared_are_not_reported() -> None:
    seen = [s.item.uid for s in open_facility(declaration(), "malmstrom").items]
    findings = discrepancies(
        inspect("malmstrom", "icbm_base", seen, counted={"uid": "US-MM3-0140", "counted": 1})
    )
    assert findings == []


def test_reentry_vehicles_counted_differently_are_a_violation() -> None:
    seen = [s.item.uid for s in open_facility(declaration(), "malmstrom").items]
    assert "US-MM3-0140" in seen
    findings = discrepancies(
        inspect("malmstrom", "icbm_base", seen, counted={"uid": "US-MM3-0140", "counted": 3})
    )
    assert [(f.rule, f.severity, f.party) for f in findings] == [
        ("inspection.reentry_vehicles", Severity.VIOLATION, "US")
    ]
    assert "counted 3" in findings[0].summary
    assert "US-MM3-0140" in findings[0].summary
    assert findings[0].summary.endswith("gives it 1.")


def test_an_opening_that_does_not_open_the_commitment_is_a_violation() -> None:
    # The exchange commits to one more launcher than the declaration opened.
    w = inspect("whiteman", "air_base", B2A, extra_launchers=1)
    findings = [f for f in w.findings(LATER) if f.rule.startswith(("inspection.", "entry."))]
    rules = [(f.rule, f.severity, f.party) for f in findings]
    assert ("inspection.opening_invalid", Severity.VIOLATION, "US") in rules
    assert ("entry.invalid", Severity.CONCERN, "US") in rules
    invalid = next(f for f in findings if f.rule == "inspection.opening_invalid")
    assert "whiteman" in invalid.summary
    assert [(e.origin, e.index) for e in invalid.evidence] == [
        ("example.org/us/log", 1),
        ("example.org/us/log", 0),
    ]
    # No declaration is compared with the observations.
    assert [f.rule for f in discrepancies(w)] == ["inspection.opening_invalid"]
