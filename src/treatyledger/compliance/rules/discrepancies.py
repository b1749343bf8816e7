"""Rules on inspection discrepancies: what inspectors saw against what was declared there.

The declaration of the inspected site is the one its pre-inspection opening
opens: the items of the designated facility in the commitment of the
inspected party's data exchange the opening refers to. The opening is
verified against that commitment again here; an opening that does not open
it (a logged opening that the treaty's rules refuse for that reason) is a
violation of the inspected party, and no declaration is compared with it.

Observations are then compared with the opened items: a UID seen (or whose
reentry vehicles were counted) but not declared at the facility, a declared
UID not seen, and reentry vehicles counted differently from the warheads
declared on that item (an item declared without warheads counts as none). A
declared item not seen is a ``concern``, not a violation: it may have left
the site; it is not reported when the inspected party notified its movement,
elimination, status change or a heavy bomber's departure abroad before the
observations.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of
from treatyledger.errors import TreatyLedgerError
from treatyledger.escrow.commitment import Commitment, parse_commitment
from treatyledger.escrow.opening import OpenedFacility, verify_facility_opening
from treatyledger.escrow.opening_json import parse_facility_opening

__all__ = ["inspection_discrepancies"]

EXPLAINING = ("movement", "elimination", "status_change", "heavy_bomber_abroad")
"""Notifications by the inspected party that may explain a declared item's absence."""

_LISTED = 10
"""How many UIDs a summary names before it says how many more there are."""


def _uids(uids: Sequence[str]) -> str:
    shown = ", ".join(uids[:_LISTED])
    return f"{shown} and {len(uids) - _LISTED} more" if len(uids) > _LISTED else shown


def _commitment(exchange: LoggedEntry) -> Commitment:
    if exchange.exchange is not None:
        return exchange.exchange.commitment
    doc = entry_of(exchange).payload_json()["commitment"]
    return parse_commitment(json.dumps(doc, sort_keys=True, separators=(",", ":")))


def _open(
    review: Review, opening: LoggedEntry
) -> tuple[LoggedEntry, LoggedEntry, OpenedFacility | str] | None:
    """The designation, the data exchange and the opened facility (or why it does not open).

    None when the opening's references are not a site designation by the other
    party and a data exchange of the sender held in the logs under review.
    """
    entry = entry_of(opening)
    if len(entry.refs) != 2:
        return None
    designation, exchange = (review.resolve(ref) for ref in entry.refs)
    if designation is None or exchange is None:
        return None
    if not (review.valid(designation) and review.valid(exchange)):
        return None
    if entry_of(designation).type != "site_designation" or entry_of(designation).sender == (
        entry.sender
    ):
        return None
    if entry_of(exchange).type != "data_exchange" or entry_of(exchange).sender != entry.sender:
        return None
    facility = entry_of(designation).payload["facility"]
    try:
        text = json.dumps(entry.payload_json()["opening"], sort_keys=True, separators=(",", ":"))
        opened = verify_facility_opening(parse_facility_opening(text), _commitment(exchange))
    except (KeyError, TreatyLedgerError) as exc:
        return designation, exchange, str(exc)
    if opened.facility != facility:
        return designation, exchange, f"it opens {opened.facility!r}, not {facility!r}"
    return designation, exchange, opened


def _opening_invalid(
    review: Review, opening: LoggedEntry, exchange: LoggedEntry, facility: str, problem: str
) -> Finding:
    entry = entry_of(opening)
    as_of = entry_of(exchange).payload.get("as_of", "?")
    return Finding(
        rule="inspection.opening_invalid",
        severity=Severity.VIOLATION,
        party=entry.sender,
        summary=(
            f"The declaration {review.party_name(entry.sender)} opened at {facility} on "
            f"{entry.time:%Y-%m-%d} ({cite(opening)}) does not open the commitment of its "
            f"data exchange as of {as_of} ({cite(exchange)}): {problem}"
        ),
        evidence=review.evidence([opening, exchange]),
    )


def _explained(review: Review, party: str, observations: LoggedEntry) -> set[str]:
    """The UIDs whose absence the party notified before the observations."""
    when = entry_of(observations).time
    return {
        str(entry_of(e).payload.get("uid"))
        for e in review.of_type(*EXPLAINING)
        if entry_of(e).sender == party and entry_of(e).time <= when
    }


def _compare(
    review: Review,
    observations: LoggedEntry,
    opening: LoggedEntry,
    exchange: LoggedEntry,
    opened: OpenedFacility,
) -> list[Finding]:
    obs = entry_of(observations)
    inspected = entry_of(opening).sender
    inspected_name = review.party_name(inspected)
    inspector = review.party_name(obs.sender)
    as_of = entry_of(exchange).payload["as_of"]
    facility = opened.facility
    declared = {item.uid: item for item in opened.items}
    counted = obs.payload.get("reentry_vehicles")
    seen = list(obs.payload["uids_seen"])
    if counted is not None and counted["uid"] not in seen:
        seen.append(counted["uid"])
    evidence = review.evidence([observations, opening, exchange])
    day = f"{obs.time:%Y-%m-%d}"
    declaration = (
        f"the declaration {inspected_name} opened there ({cite(opening)}), that of its data "
        f"exchange as of {as_of} ({cite(exchange)})"
    )
    findings = []
    undeclared = [uid for uid in seen if uid not in declared]
    if undeclared:
        findings.append(
            Finding(
                rule="inspection.undeclared_item",
                severity=Severity.VIOLATION,
                party=inspected,
                summary=(
                    f"The inspectors of {inspector} recorded at {facility} on {day} "
                    f"({cite(observations)}) {len(undeclared)} item(s) not in {declaration}: "
                    f"{_uids(undeclared)}."
                ),
                evidence=evidence,
            )
        )
    explained = _explained(review, inspected, observations)
    absent = sorted(uid for uid in declared if uid not in seen and uid not in explained)
    if absent:
        findings.append(
            Finding(
                rule="inspection.declared_absent",
                severity=Severity.CONCERN,
                party=inspected,
                summary=(
                    f"The inspectors of {inspector} did not record at {facility} on {day} "
                    f"({cite(observations)}) {len(absent)} item(s) of {declaration}: "
                    f"{_uids(absent)}. {inspected_name} had notified no movement, elimination, "
                    f"status change or departure abroad of them before; their absence may "
                    f"have an explanation the ledger does not hold. {UNATTESTED}"
                ),
                evidence=evidence,
            )
        )
    item = declared.get(counted["uid"]) if counted is not None else None
    if counted is not None and item is not None:
        warheads = item.warheads or 0
        if counted["counted"] != warheads:
            findings.append(
                Finding(
                    rule="inspection.reentry_vehicles",
                    severity=Severity.VIOLATION,
                    party=inspected,
                    summary=(
                        f"The inspectors of {inspector} counted {counted['counted']} reentry "
                        f"vehicle(s) on {item.uid} at {facility} on {day} "
                        f"({cite(observations)}); {declaration} gives it {warheads}."
                    ),
                    evidence=evidence,
                )
            )
    return findings


def inspection_discrepancies(review: Review) -> list[Finding]:
    """``inspection.*`` discrepancies: opening invalid, undeclared, absent, reentry vehicles."""
    findings: list[Finding] = []
    for logged, _ in review.invalid:  # in time order
        if entry_of(logged).type != "pre_inspection_opening":
            continue
        refused = _open(review, logged)
        if refused is None:
            continue
        designation, exchange, problem = refused
        if isinstance(problem, str):
            facility = entry_of(designation).payload["facility"]
            findings.append(_opening_invalid(review, logged, exchange, facility, problem))
    for observations in review.of_type("observations"):
        site = review.resolve(entry_of(observations).refs[0])
        assert site is not None  # a valid entry's references resolve
        openings = review.referring(site, "pre_inspection_opening")
        if not openings:
            continue  # nothing was opened: the inspection rules report the missing answer
        opened = _open(review, openings[0])
        if opened is None:
            continue
        _, exchange, result = opened
        if isinstance(result, str):  # a valid opening opens its commitment; kept as a guard
            facility = entry_of(site).payload["facility"]
            findings.append(_opening_invalid(review, openings[0], exchange, facility, result))
            continue
        findings += _compare(review, observations, openings[0], exchange, result)
    return findings
