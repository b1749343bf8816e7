"""Rules on catalogue notifications: sent after their deadline.

A notification's deadline is its type's :class:`~treatyledger.treaty.Deadline`
applied to the event time in its payload. An event given as a date
(``YYYY-MM-DD``) is taken as the whole day: a notification due "5 days after"
an event on 1 March is on time until the end of 6 March; one due "1 day
before" an event on 1 March must be sent by the start of 28 February.
"""

from __future__ import annotations

import datetime as dt

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of
from treatyledger.treaty.notifications import DeadlineRelation, FieldType

__all__ = ["notifications_late"]


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
