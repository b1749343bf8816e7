"""Rules on data exchanges: limits, totals against commitments, missing or late exchanges."""

from __future__ import annotations

import datetime as dt

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of
from treatyledger.treaty.events import Obligation

__all__ = ["exchanges_missing_or_late", "limits_exceeded", "totals_inconsistent"]


def limits_exceeded(review: Review) -> list[Finding]:
    """``limits.exceeded``: a declared total above the cap in force on the exchange's as-of date."""
    findings = []
    for logged in review.of_type("data_exchange"):
        exchange = logged.exchange
        if exchange is None:
            continue
        name = review.party_name(exchange.party)
        for limit in review.spec.limits_in_force(exchange.as_of):
            total = exchange.totals.get(limit.id)
            cap = limit.cap_for(exchange.party)
            if total is None or total <= cap:
                continue
            findings.append(
                Finding(
                    rule="limits.exceeded",
                    severity=Severity.VIOLATION,
                    party=exchange.party,
                    summary=(
                        f"In its data exchange as of {exchange.as_of}, {name} declared "
                        f"{total:,} {limit.name[:1].lower()}{limit.name[1:]}, above the "
                        f"limit of {cap:,} in force since {limit.effective} ({cite(logged)})."
                    ),
                    evidence=review.evidence([logged]),
                )
            )
    return findings


def totals_inconsistent(review: Review) -> list[Finding]:
    """``exchange.totals_inconsistent``: totals that do not check against the commitment."""
    findings = []
    for logged in review.of_type("data_exchange"):
        if logged.problem is None:
            continue
        entry = entry_of(logged)
        as_of = entry.payload.get("as_of", "?")
        findings.append(
            Finding(
                rule="exchange.totals_inconsistent",
                severity=Severity.VIOLATION,
                party=entry.sender,
                summary=(
                    f"The totals {review.party_name(entry.sender)} declared in its data "
                    f"exchange as of {as_of} are not those of the commitment it published "
                    f"with them ({cite(logged)}): {logged.problem}"
                ),
                evidence=review.evidence([logged]),
            )
        )
    return findings


def _suspension_of(review: Review, party: str, obligation: str, day: dt.date) -> LoggedEntry | None:
    """The party's suspension covering ``obligation`` in effect at the end of ``day``, if any."""
    current: LoggedEntry | None = None
    for logged in review.of_type("suspension", "resumption"):
        entry = entry_of(logged)
        if entry.sender != party or entry.time.date() > day:
            continue
        if obligation in entry.payload["obligations"]:
            current = logged if entry.type == "suspension" else None
    return current


def exchanges_missing_or_late(review: Review) -> list[Finding]:
    """``exchange.missing`` and ``exchange.late``: each scheduled exchange of each party.

    Exchanges due before ``now`` are judged, for the parties that have a log
    under review; an exchange is reported missing only if it was due from the
    start of the review on (a late one is its own evidence, whenever it was due).
    """
    spec = review.spec
    until = review.now.date()
    if spec.dates.expiry is not None:
        until = min(until, spec.dates.expiry - dt.timedelta(days=1))
    schedule = spec.data_exchange.exchanges(
        entry_into_force=spec.dates.entry_into_force, until=until
    )
    findings = []
    for party in review.parties:
        name = review.party_name(party)
        delivered = [e for e in review.of_type("data_exchange") if entry_of(e).sender == party]
        for due in schedule:
            if due.due >= review.now.date():
                continue
            sent = [
                e for e in delivered if entry_of(e).payload.get("as_of") == due.as_of.isoformat()
            ]
            if not sent and due.due < review.since.date():
                continue  # due before the review: the ledger cannot say it was missed
            suspension = _suspension_of(review, party, Obligation.DATA_EXCHANGE.value, due.due)
            because = (
                f", while it had declared the suspension of its data exchanges "
                f"({cite(suspension)}: {entry_of(suspension).payload['reason']})"
                if suspension is not None
                else ""
            )
            if not sent:
                latest = review.latest(party)
                findings.append(
                    Finding(
                        rule="exchange.missing",
                        severity=Severity.VIOLATION,
                        party=party,
                        summary=(
                            f"{name} has not logged its data exchange as of {due.as_of}, due by "
                            f"{due.due}{because}. {UNATTESTED}"
                        ),
                        evidence=review.evidence([suspension, latest]),
                    )
                )
                continue
            first = sent[0]
            sent_on = entry_of(first).time.date()
            if sent_on > due.due:
                findings.append(
                    Finding(
                        rule="exchange.late",
                        severity=Severity.VIOLATION,
                        party=party,
                        summary=(
                            f"{name} logged its data exchange as of {due.as_of} on {sent_on}, "
                            f"{(sent_on - due.due).days} days after it was due on {due.due}"
                            f"{because} ({cite(first)}). {UNATTESTED}"
                        ),
                        evidence=review.evidence([first, suspension]),
                    )
                )
    return findings
