"""Rules on data exchanges: limits, totals against commitments, missing or late exchanges."""

from __future__ import annotations

import datetime as dt

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of
from treatyledger.treaty.events import Obligation
from treatyledger.treaty.schedule import ScheduledExchange

__all__ = ["exchanges_missing_or_late", "limits_exceeded", "totals_inconsistent"]


def limits_exceeded(review: Review) -> list[Finding]:
    """``limits.exceeded``: a declared total above the cap in force on the exchange's as-of date.

    Totals published without an exchange (``published_totals``) are judged too.
    """
    findings = _published_over(review)
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


def _published_over(review: Review) -> list[Finding]:
    findings = []
    for logged in review.of_type("published_totals"):
        entry = entry_of(logged)
        as_of = dt.date.fromisoformat(entry.payload["as_of"])
        for limit in review.spec.limits_in_force(as_of):
            total = entry.payload["totals"][limit.id]
            cap = limit.cap_for(entry.sender)
            if total <= cap:
                continue
            findings.append(
                Finding(
                    rule="limits.exceeded",
                    severity=Severity.VIOLATION,
                    party=entry.sender,
                    summary=(
                        f"In the totals it published as of {as_of}, "
                        f"{review.party_name(entry.sender)} gave {total:,} "
                        f"{limit.name[:1].lower()}{limit.name[1:]}, above the limit of "
                        f"{cap:,} in force since {limit.effective} ({cite(logged)})."
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


def _published(review: Review, party: str, as_of: dt.date) -> LoggedEntry | None:
    """The party's first ``published_totals`` entry for ``as_of``, if any."""
    return next(
        (
            e
            for e in review.of_type("published_totals")
            if entry_of(e).sender == party and entry_of(e).payload["as_of"] == as_of.isoformat()
        ),
        None,
    )


def _totals_text(review: Review, totals: dict[str, int], as_of: dt.date, party: str) -> str:
    parts = []
    for limit in review.spec.limits_in_force(as_of):
        if limit.id in totals:
            cap = limit.cap_for(party)
            verdict = "within" if totals[limit.id] <= cap else "above"
            parts.append(f"{limit.id.replace('_', ' ')} {totals[limit.id]:,} ({verdict} {cap:,})")
    return ", ".join(parts)


def _missing(review: Review, party: str, due: ScheduledExchange) -> Finding:
    """The finding for a scheduled exchange never logged, for what the absence was."""
    name = review.party_name(party)
    head = f"{name} has not logged its data exchange as of {due.as_of}, due by {due.due}"
    stopped = review.stoppage(party, Obligation.DATA_EXCHANGE.value, due.due)
    published = _published(review, party, due.as_of)
    also = ""
    if published is not None:
        totals = dict(entry_of(published).payload["totals"])
        also = (
            f" It published its aggregate totals instead on {entry_of(published).time:%Y-%m-%d} "
            f"({cite(published)}: {_totals_text(review, totals, due.as_of, party)}); no "
            "commitment binds them."
        )
    latest = review.latest(party)
    if stopped is not None and entry_of(stopped).type == "countermeasure":
        cm = entry_of(stopped)
        cited = [review.resolve(ref) for ref in cm.refs]
        answer = "; ".join(cite(c) for c in cited if c is not None)
        return Finding(
            rule="exchange.withheld",
            severity=Severity.CONCERN,
            party=party,
            summary=(
                f"{head}: it withheld its database as a declared countermeasure "
                f"({cite(stopped)}: {cm.payload['reason']}"
                + (f"; in response to {answer}" if answer else "")
                + ")."
                + also
                + " The ledger records the countermeasure as declared; whether it is lawful is "
                f"for the parties to settle. {UNATTESTED}"
            ),
            evidence=review.evidence([stopped, published, *cited]),
        )
    if stopped is not None and review.agreed_pause(Obligation.DATA_EXCHANGE.value, due.due):
        return Finding(
            rule="exchange.missing",
            severity=Severity.INFO,
            party=party,
            summary=(
                f"{head}; data exchanges were paused by the agreement of every party "
                f"({cite(stopped)}).{also} {UNATTESTED}"
            ),
            evidence=review.evidence([stopped, published]),
        )
    because = ""
    if stopped is not None:
        kind = entry_of(stopped).type
        because = (
            f", while it had declared the {kind} of its data exchanges "
            f"({cite(stopped)}: {entry_of(stopped).payload['reason']})"
        )
    return Finding(
        rule="exchange.missing",
        severity=Severity.VIOLATION,
        party=party,
        summary=f"{head}{because}.{also} {UNATTESTED}",
        evidence=review.evidence([stopped, published, latest]),
    )


def exchanges_missing_or_late(review: Review) -> list[Finding]:
    """``exchange.missing``, ``exchange.withheld`` and ``exchange.late``: each scheduled exchange.

    Exchanges due before ``now`` are judged, for the parties that have a log
    under review; an exchange is reported missing only if it was due from the
    start of the review on (a late one is its own evidence, whenever it was due).
    A missing exchange is a violation, also under a suspension (which the
    summary names); under a declared countermeasure it is ``exchange.withheld``,
    a concern; under a pause every party agreed, information.
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
            if not sent:
                if due.due >= review.since.date():  # before the review the ledger cannot say
                    findings.append(_missing(review, party, due))
                continue
            first = sent[0]
            sent_on = entry_of(first).time.date()
            if sent_on > due.due:
                stopped = review.stoppage(party, Obligation.DATA_EXCHANGE.value, due.due)
                because = (
                    f", while it had declared the {entry_of(stopped).type} of its data "
                    f"exchanges ({cite(stopped)}: {entry_of(stopped).payload['reason']})"
                    if stopped is not None
                    else ""
                )
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
                        evidence=review.evidence([first, stopped]),
                    )
                )
    return findings
