"""Recorded status events: pauses, exemptions, postponements, suspensions, countermeasures."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

__all__ = ["DatePrecision", "EventKind", "Obligation", "StatusEvent"]


class EventKind(enum.Enum):
    """What kind of thing happened to the treaty's operation."""

    PAUSE = "pause"
    RESUMPTION = "resumption"
    EXEMPTION = "exemption"
    POSTPONEMENT = "postponement"
    SUSPENSION = "suspension"
    COUNTERMEASURE = "countermeasure"
    EXTENSION = "extension"
    FINDING = "finding"
    """One party formally finds another non-compliant."""
    STATEMENT = "statement"
    """A declaration of intent or an offer with no immediate effect on obligations."""


class Obligation(enum.Enum):
    """The parts of the regime an event can stop or restart."""

    LIMITS = "limits"
    DATA_EXCHANGE = "data_exchange"
    NOTIFICATIONS = "notifications"
    INSPECTIONS = "inspections"
    COMMISSION = "commission"
    TELEMETRY = "telemetry"


class DatePrecision(enum.Enum):
    """How precisely the public record dates an event."""

    DAY = "day"
    MONTH = "month"
    """Only the month is known; the date given is the first of the month."""


@dataclass(frozen=True)
class StatusEvent:
    """Something that changed how the treaty operated, as the public record gives it."""

    date: dt.date
    kind: EventKind
    by: tuple[str, ...]
    """The parties that took the step; two or more with ``agreed`` for a joint decision."""
    summary: str
    affects: tuple[Obligation, ...] = ()
    agreed: bool = False
    """Taken by mutual agreement, so it is no party's failure."""
    precision: DatePrecision = DatePrecision.DAY
    source: str = ""

    def __post_init__(self) -> None:
        if not self.by:
            raise ValueError("an event needs the party or parties that took it")
        if len(set(self.by)) != len(self.by):
            raise ValueError("a party is listed twice in 'by'")
        if self.agreed and len(self.by) < 2:
            raise ValueError("an agreed event needs at least two parties in 'by'")
        if self.precision is DatePrecision.MONTH and self.date.day != 1:
            raise ValueError("an event known to the month is dated the first of that month")
        if not self.summary.strip():
            raise ValueError("an event needs a summary")

    def date_text(self) -> str:
        """The date as precisely as it is known: '2022-08-08' or '2020-03'."""
        if self.precision is DatePrecision.MONTH:
            return self.date.strftime("%Y-%m")
        return self.date.isoformat()
