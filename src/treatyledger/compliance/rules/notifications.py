"""Rules on catalogue notifications: sent after their deadline, or never sent.

``notification.missing`` compares each pair of consecutive data exchanges of a
party as the treaty partner sees them (per facility, the number of items of
each kind and status) and counts the changes they imply at the least: at a
facility, a kind's net gain needs that many arrivals (``new_item`` there, or
``movement`` to it), a net loss that many departures (``elimination`` there,
or ``movement`` from it), and items that changed status within a kind need
``status_change`` or ``conversion`` notifications (these carry no facility,
so they are counted over the whole party). Notifications count when their
``occurred_at`` falls after the first exchange's as-of date and no later
than the second's. Fewer notifications than the least number of changes is a
violation. It is a lower bound: changes that cancel out between two
exchanges are invisible to the partner, and are not claimed.

A notification's deadline is its type's :class:`~treatyledger.treaty.Deadline`
applied to the event time in its payload. An event given as a date
(``YYYY-MM-DD``) is taken as the whole day: a notification due "5 days after"
an event on 1 March is on time until the end of 6 March; one due "1 day
before" an event on 1 March must be sent by the start of 28 February.
"""

from __future__ import annotations

import datetime as dt
import itertools

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of
from treatyledger.ledger.exchange import DataExchange
from treatyledger.treaty.notifications import DeadlineRelation, FieldType

__all__ = ["notifications_late", "notifications_missing"]


def _event_and_due(value: str, kind: FieldType, after: bool) -> tuple[dt.datetime, str]:
    if kind is FieldType.DATE:
        day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
        return (day + dt.timedelta(days=1) if after else day), value
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment, f"{moment:%Y-%m-%d %H:%M} UTC"


def notifications_late(review: Review) -> list[Finding]:
    """``notification.late``: a catalogue notification sent after its deadline."""
    findings = []
    for notice in review.spec.notifications:
        deadline = notice.deadline
        if deadline is None:
            continue
        field = notice.field(deadline.event_field)
        assert field is not None  # checked when the specification was built
        after = deadline.relation is DeadlineRelation.AFTER
        for logged in review.of_type(notice.id):
            entry = entry_of(logged)
            event, shown = _event_and_due(entry.payload[deadline.event_field], field.type, after)
            due = deadline.due(event)
            if entry.time <= due:
                continue
            name = review.party_name(entry.sender)
            findings.append(
                Finding(
                    rule="notification.late",
                    severity=Severity.VIOLATION,
                    party=entry.sender,
                    summary=(
                        f"{name} sent its {notice.id} notification of {shown} on "
                        f"{entry.time:%Y-%m-%d %H:%M} UTC ({cite(logged)}); it was due "
                        f"{deadline.describe()}, by {due:%Y-%m-%d %H:%M} UTC. {UNATTESTED}"
                    ),
                    evidence=review.evidence([logged]),
                )
            )
    return findings


_CHANGES = ("new_item", "movement", "status_change", "conversion", "elimination")


def _needed(before: DataExchange, after: DataExchange) -> tuple[dict[str, tuple[int, int]], int]:
    """Per facility (arrivals, departures) needed at least, and status changes needed."""
    facilities = {f.id for f in before.facilities} | {f.id for f in after.facilities}
    moves: dict[str, tuple[int, int]] = {}
    status = 0
    for fid in sorted(facilities):
        old, new = before.facility(fid), after.facility(fid)
        counts_old = dict(old.counts) if old is not None else {}
        counts_new = dict(new.counts) if new is not None else {}
        by_kind: dict[str, list[int]] = {}
        for key in set(counts_old) | set(counts_new):
            kind = key.partition("/")[0]
            by_kind.setdefault(kind, []).append(counts_new.get(key, 0) - counts_old.get(key, 0))
        arrivals = departures = 0
        for deltas in by_kind.values():
            net = sum(deltas)
            arrivals += max(net, 0)
            departures += max(-net, 0)
            status += (sum(abs(d) for d in deltas) - abs(net)) // 2
        if arrivals or departures:
            moves[fid] = (arrivals, departures)
    return moves, status


def _in_window(logged: LoggedEntry, start: dt.date, end: dt.date) -> bool:
    occurred = dt.datetime.fromisoformat(str(entry_of(logged).payload["occurred_at"]))
    return start < occurred.date() <= end


def _change_notices(review: Review, party: str, start: dt.date, end: dt.date) -> list[LoggedEntry]:
    return [
        e
        for e in review.of_type(*_CHANGES)
        if entry_of(e).sender == party
        and "occurred_at" in entry_of(e).payload
        and _in_window(e, start, end)
    ]


def _exchanges(review: Review, party: str) -> list[tuple[LoggedEntry, DataExchange]]:
    """The party's readable data exchanges, by as-of date, one per date (the first logged)."""
    found: dict[dt.date, tuple[LoggedEntry, DataExchange]] = {}
    for logged in review.of_type("data_exchange"):
        exchange = logged.exchange
        if exchange is not None and exchange.party == party:
            found.setdefault(exchange.as_of, (logged, exchange))
    return [found[day] for day in sorted(found)]


def _arrived(notice: LoggedEntry, fid: str) -> bool:
    payload = entry_of(notice).payload
    if entry_of(notice).type == "new_item":
        return bool(payload["facility"] == fid)
    return bool(payload.get("to_facility") == fid)


def _left(notice: LoggedEntry, fid: str) -> bool:
    payload = entry_of(notice).payload
    if entry_of(notice).type == "elimination":
        return bool(payload["facility"] == fid)
    return bool(payload.get("from_facility") == fid)


def _unaccounted(
    before: DataExchange, after: DataExchange, notices: list[LoggedEntry]
) -> list[str]:
    moves, status = _needed(before, after)
    short: list[str] = []
    for fid, (arrivals, departures) in moves.items():
        came = sum(1 for n in notices if _arrived(n, fid))
        left = sum(1 for n in notices if _left(n, fid))
        if came < arrivals:
            short.append(f"{arrivals - came} of {arrivals} arrivals at {fid}")
        if left < departures:
            short.append(f"{departures - left} of {departures} departures from {fid}")
    changed = sum(1 for n in notices if entry_of(n).type in ("status_change", "conversion"))
    if changed < status:
        short.append(f"{status - changed} of {status} status changes")
    return short


def notifications_missing(review: Review) -> list[Finding]:
    """``notification.missing``: changes between two exchanges that were never notified."""
    if not all(review.spec.notification(t) is not None for t in _CHANGES):
        return []
    findings = []
    for party in review.parties:
        for (first, before), (second, after) in itertools.pairwise(_exchanges(review, party)):
            start, end = before.as_of, after.as_of
            notices = _change_notices(review, party, start, end)
            short = _unaccounted(before, after, notices)
            if not short:
                continue
            findings.append(
                Finding(
                    rule="notification.missing",
                    severity=Severity.VIOLATION,
                    party=party,
                    summary=(
                        f"Between its data exchanges as of {start} ({cite(first)}) and {end} "
                        f"({cite(second)}), the facility totals of {review.party_name(party)} "
                        f"changed, and no notification accounts for {'; '.join(short)} (the "
                        f"least number of changes the totals imply; {len(notices)} change "
                        "notifications fall in the period)."
                    ),
                    evidence=review.evidence([first, second]),
                )
            )
    return findings
