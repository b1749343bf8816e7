"""Rules on the consultative commission: sessions missed, sessions postponed.

``commission.postponed`` (concern, the postponing party): a
``commission_postponement`` after which no session was held by ``now`` (a
postponement followed by a session is rescheduling, and not reported).

Sessions are counted per calendar year (1 January to 31 December, UTC), by
the ``starts_on`` date of the ``commission_meeting`` entries that no
postponement logged by their start refers to: a session
logged by several parties, or several times, counts once per start date. A
year is judged only when it lies entirely within the review (from ``since``
to ``now``). A year with fewer sessions than the specification's
``commission.sessions_per_year`` is a ``concern``: attributed to the party
that logged a ``commission_postponement`` that year (the parties joined by
``+`` when several did), otherwise to all parties jointly (their ids joined
by ``+``, e.g. ``US+RU``), since the ledger cannot tell whose fault a session
never convened is.
"""

from __future__ import annotations

import datetime as dt

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of

__all__ = ["postponed", "sessions_missed"]


def _start(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC)


def _sessions(meetings: list[LoggedEntry], year: int) -> dict[dt.date, list[LoggedEntry]]:
    """The sessions starting in ``year``, by start date, with every entry logging each."""
    found: dict[dt.date, list[LoggedEntry]] = {}
    for logged in meetings:
        day = dt.date.fromisoformat(entry_of(logged).payload["starts_on"])
        if day.year == year:
            found.setdefault(day, []).append(logged)
    return dict(sorted(found.items()))


def _postponed(review: Review, meeting: LoggedEntry) -> bool:
    """Whether a postponement logged no later than the meeting's start refers to it."""
    start = dt.date.fromisoformat(entry_of(meeting).payload["starts_on"])
    return any(
        entry_of(p).time.date() <= start
        for p in review.referring(meeting, "commission_postponement")
    )


def postponed(review: Review) -> list[Finding]:
    """``commission.postponed``: a postponement after which no session was held by ``now``."""
    findings = []
    for logged in review.of_type("commission_postponement"):
        entry = entry_of(logged)
        if entry.time > review.now:
            continue
        later = [
            m
            for m in review.of_type("commission_meeting")
            if entry.time.date()
            <= dt.date.fromisoformat(entry_of(m).payload["starts_on"])
            <= review.now.date()
            and not _postponed(review, m)
        ]
        if later:
            continue
        target = review.resolve(entry.refs[0])
        what = ""
        if target is not None:
            payload = entry_of(target).payload
            where = payload.get("location")
            starts = payload.get("starts_on") or payload.get("proposed_start")
            what = (
                " the session"
                + (f" planned in {where}" if where else "")
                + (f" from {starts}" if starts else "")
                + f" ({cite(target)})"
            )
        new_start = entry.payload.get("new_start")
        findings.append(
            Finding(
                "commission.postponed",
                Severity.CONCERN,
                entry.sender,
                f"{review.party_name(entry.sender)} postponed{what} on {entry.time:%Y-%m-%d} "
                f"({cite(logged)}: {entry.payload['reason']})"
                + (f", proposing {new_start}" if new_start else "")
                + f"; no session of the {review.spec.commission.name} has been held since. "
                f"{UNATTESTED}",
                review.evidence([logged, target]),
            )
        )
    return findings


def sessions_missed(review: Review) -> list[Finding]:
    """``commission.sessions_missed``: a calendar year with fewer sessions than required."""
    required = review.spec.commission.sessions_per_year
    if required == 0:
        return []
    name = review.spec.commission.name
    meetings = [m for m in review.of_type("commission_meeting") if not _postponed(review, m)]
    postponements = review.of_type("commission_postponement")
    findings = []
    first = (
        review.since.year if review.since == _start(review.since.year) else review.since.year + 1
    )
    for year in range(first, review.now.year):  # years ending by now
        sessions = _sessions(meetings, year)
        if len(sessions) >= required:
            continue
        postponed = [p for p in postponements if entry_of(p).time.year == year]
        senders = sorted({entry_of(p).sender for p in postponed})
        # No postponement: no single party is to blame; all parties jointly.
        party = "+".join(senders or [p.id for p in review.spec.parties])
        held = f" ({', '.join(f'{day:%Y-%m-%d}' for day in sessions)})" if sessions else ""
        summary = (
            f"In {year} the {name} held {len(sessions)} "
            f"session{'s' if len(sessions) != 1 else ''}{held}; the treaty requires "
            f"{required} a year."
        )
        for logged in postponed:
            entry = entry_of(logged)
            summary += (
                f" {review.party_name(entry.sender)} postponed a session on "
                f"{entry.time:%Y-%m-%d} ({cite(logged)}: {entry.payload['reason']})."
            )
        if not postponed:
            summary += " No party logged a postponement."
        evidence: list[LoggedEntry | None] = [e for day in sessions.values() for e in day]
        evidence += postponed
        if not evidence:  # absence is proven only by the whole logs: cite their latest entries
            evidence = [review.latest(p.id) for p in review.spec.parties]
        findings.append(
            Finding(
                "commission.sessions_missed",
                Severity.CONCERN,
                party,
                f"{summary} {UNATTESTED}",
                review.evidence(evidence),
            )
        )
    return findings
