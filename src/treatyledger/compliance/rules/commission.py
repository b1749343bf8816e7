"""Rules on the consultative commission: sessions missed.

Sessions are counted per calendar year (1 January to 31 December, UTC), by
the ``starts_on`` date of the ``commission_meeting`` entries: a session
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

__all__ = ["sessions_missed"]


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


def sessions_missed(review: Review) -> list[Finding]:
    """``commission.sessions_missed``: a calendar year with fewer sessions than required."""
    required = review.spec.commission.sessions_per_year
    if required == 0:
        return []
    name = review.spec.commission.name
    meetings = review.of_type("commission_meeting")
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
