"""Rules on what stopped the regime: pauses, countermeasures, exemptions, disputes.

Each stoppage is reported for what it was and attributed to the party that
declared it. The ledger records declarations; it does not judge whether a
countermeasure was lawful or an exemption justified, and says so:

* ``pause.agreed`` (info, every party jointly): obligations every party
  paused, each by its own ``pause`` entry. No party is at fault.
* ``pause.unilateral`` (concern, the pausing party): a pause only some
  parties logged is that party's own stoppage.
* ``countermeasure.in_effect`` (info, the declaring party): obligations a
  party stopped as a declared countermeasure and has not resumed by ``now``,
  with what it responds to.
* ``inspection.exemption_declared`` (concern, the declaring party): an
  exemption of facilities from inspection, whether or not any request met it.
* ``dispute.open`` (concern, both parties jointly): a party contests another
  party's entry; both readings are given and no side is taken.
"""

from __future__ import annotations

import datetime as dt

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import Review, cite, entry_of, stoppage_start

__all__ = ["countermeasures_in_effect", "disputes_open", "exemptions_declared", "pauses"]


def _obligations(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(o.replace("_", " ") for o in sorted(values))


def _agreed_with(review: Review, logged: LoggedEntry, obligation: str) -> list[LoggedEntry] | None:
    """Every party's pause of ``obligation``, on a day all are in effect with ``logged``."""
    days = sorted(
        {stoppage_start(p) for p in review.of_type("pause")}
        | {entry_of(p).time.date() for p in review.of_type("pause")}
    )
    for day in days:
        if day < stoppage_start(logged):
            continue
        found = review.agreed_pause(obligation, day)
        if found is not None and logged in found:
            return found
    return None


def pauses(review: Review) -> list[Finding]:
    """``pause.agreed`` and ``pause.unilateral``: each pause logged, for what it was."""
    findings = []
    joint = "+".join(p.id for p in review.spec.parties)
    reported: set[tuple[str, int]] = set()
    for logged in review.of_type("pause"):
        if (logged.origin, logged.index) in reported:
            continue
        entry = entry_of(logged)
        day = stoppage_start(logged)
        agreed = {o: _agreed_with(review, logged, o) for o in entry.payload["obligations"]}
        together = sorted(o for o, pauses_ in agreed.items() if pauses_)
        alone = sorted(o for o, pauses_ in agreed.items() if not pauses_)
        if together:
            entries = [p for o in together for p in agreed[o] or []]
            reported.update((p.origin, p.index) for p in entries)
            findings.append(
                Finding(
                    rule="pause.agreed",
                    severity=Severity.INFO,
                    party=joint,
                    summary=(
                        f"The parties paused {_obligations(together)} by mutual agreement from "
                        f"{day} ({'; '.join(cite(p) for p in entries)}: {entry.payload['reason']})."
                        " An agreed pause is no party's failure."
                    ),
                    evidence=review.evidence(entries),
                )
            )
        if alone:
            findings.append(
                Finding(
                    rule="pause.unilateral",
                    severity=Severity.CONCERN,
                    party=entry.sender,
                    summary=(
                        f"{review.party_name(entry.sender)} paused {_obligations(alone)} from "
                        f"{day} ({cite(logged)}: {entry.payload['reason']}); no other party "
                        "logged the same pause, so it is not an agreed one."
                    ),
                    evidence=review.evidence([logged]),
                )
            )
    return findings


def countermeasures_in_effect(review: Review) -> list[Finding]:
    """``countermeasure.in_effect``: obligations a party stopped as a countermeasure."""
    findings = []
    for logged in review.of_type("countermeasure"):
        entry = entry_of(logged)
        if entry.time > review.now:
            continue
        still = [
            o
            for o in entry.payload["obligations"]
            if review.stoppage(entry.sender, o, review.now.date()) == logged
        ]
        if not still:
            continue
        cited = [c for c in (review.resolve(ref) for ref in entry.refs) if c is not None]
        answer = (
            " in response to "
            + "; ".join(f"{cite(c)} ({entry_of(c).type} by {entry_of(c).sender})" for c in cited)
            if cited
            else ""
        )
        findings.append(
            Finding(
                rule="countermeasure.in_effect",
                severity=Severity.INFO,
                party=entry.sender,
                summary=(
                    f"{review.party_name(entry.sender)} stopped {_obligations(still)} from "
                    f"{stoppage_start(logged)} as a declared countermeasure{answer} "
                    f"({cite(logged)}: {entry.payload['reason']}); they remain stopped. The "
                    "ledger records the countermeasure as declared; whether it is lawful is for "
                    "the parties to settle."
                ),
                evidence=review.evidence([logged, *cited]),
            )
        )
    return findings


def exemptions_declared(review: Review) -> list[Finding]:
    """``inspection.exemption_declared``: facilities declared exempt from inspection."""
    findings = []
    for logged in review.of_type("exemption"):
        entry = entry_of(logged)
        payload = entry.payload
        facilities = payload["facilities"]
        which = "all its facilities" if facilities == "all" else ", ".join(facilities)
        until = (
            f"until {payload['until']}"
            if "until" in payload
            else "until further notice (no end date)"
        )
        start = dt.date.fromisoformat(payload["from"])
        pause = review.agreed_pause("inspections", start)
        during = (
            " Inspections were then paused by the agreement of every party ("
            + "; ".join(cite(p) for p in pause)
            + ")."
            if pause
            else ""
        )
        findings.append(
            Finding(
                rule="inspection.exemption_declared",
                severity=Severity.CONCERN,
                party=entry.sender,
                summary=(
                    f"{review.party_name(entry.sender)} declared {which} exempt from inspection "
                    f"from {start} {until} ({cite(logged)}: {payload['reason']}).{during} The "
                    "treaty allows temporary exemptions in defined circumstances; the ledger "
                    "records the declaration and cannot judge whether they applied."
                ),
                evidence=review.evidence([logged, *(pause or [])]),
            )
        )
    return findings


def _reading(review: Review, dispute: LoggedEntry, target: LoggedEntry) -> str:
    """Both readings of a disputed count, when the dispute gives one."""
    payload = entry_of(dispute).payload
    limit_id = payload.get("limit")
    if limit_id is None or "count" not in payload:
        return ""
    limit = next((lim for lim in review.spec.limits if lim.id == limit_id), None)
    if limit is None:
        return ""
    target_entry = entry_of(target)
    declared: int | None = None
    as_of: dt.date | None = None
    if target.exchange is not None:
        declared = target.exchange.totals.get(limit_id)
        as_of = target.exchange.as_of
    elif target_entry.type == "published_totals":
        declared = target_entry.payload["totals"].get(limit_id)
        as_of = dt.date.fromisoformat(target_entry.payload["as_of"])
    cap = limit.cap_for(target_entry.sender)
    theirs = review.party_name(entry_of(dispute).sender)
    count = payload["count"]
    text = f" By the reading of {theirs}, the count for {limit_id.replace('_', ' ')} is {count:,}"
    if declared is not None:
        text += f", against {declared:,} declared"
    if as_of is not None and limit in review.spec.limits_in_force(as_of):
        text += f"; the limit is {cap:,}" + (
            f", which that reading exceeds by {count - cap:,}" if count > cap else ""
        )
    return text + "."


def disputes_open(review: Review) -> list[Finding]:
    """``dispute.open``: a party contests another party's entry; both readings, no side taken."""
    findings = []
    for logged in review.of_type("dispute"):
        entry = entry_of(logged)
        target = review.resolve(entry.refs[0])
        if target is None:  # validation resolved it; kept for the type checker
            continue
        other = entry_of(target).sender
        findings.append(
            Finding(
                rule="dispute.open",
                severity=Severity.CONCERN,
                party="+".join(sorted({other, entry.sender})),
                summary=(
                    f"Disputed: {review.party_name(entry.sender)} contests the "
                    f"{entry_of(target).type} entry of {review.party_name(other)} "
                    f"({cite(target)}) on {entry.time:%Y-%m-%d} ({cite(logged)}): "
                    f"{entry.payload['claim']}{_reading(review, logged, target)} The ledger holds "
                    "both statements and cannot settle the dispute; it takes no side."
                ),
                evidence=review.evidence([logged, target]),
            )
        )
    return findings
