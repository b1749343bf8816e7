"""The data-exchange schedule: when each party's database is due."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from treatyledger.treaty.timing import MonthDay

__all__ = ["DataExchangeSchedule", "ExchangeKind", "ScheduledExchange", "SpecialExchange"]


_MAX_DAYS = 3660
"""No deadline of a data exchange runs longer than ten years."""


class ExchangeKind(enum.Enum):
    """Why an exchange is on the schedule."""

    INITIAL = "initial"
    SEMI_ANNUAL = "semi_annual"
    SPECIAL = "special"


@dataclass(frozen=True, order=True)
class ScheduledExchange:
    """One exchange: data as of ``as_of``, due no later than the end of ``due``."""

    as_of: dt.date
    due: dt.date
    kind: ExchangeKind


@dataclass(frozen=True)
class SpecialExchange:
    """An exchange outside the regular cycle, possibly in place of a regular one."""

    as_of: dt.date
    due_within_days: int
    replaces: dt.date | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.due_within_days <= _MAX_DAYS:
            raise ValueError(f"due_within_days must be between 0 and {_MAX_DAYS} days")


@dataclass(frozen=True)
class DataExchangeSchedule:
    """An initial exchange after entry into force, then regular exchanges as of fixed days."""

    initial_within_days: int
    """The initial exchange (data as of entry into force) is due this many days after it."""
    as_of: tuple[MonthDay, ...]
    """The regular as-of days of every year."""
    regular_from: dt.date
    """The first regular as-of date."""
    due_within_days: int
    """A regular exchange is due this many days after its as-of date."""
    change_notice_days: int
    """Changes in the data are notified no later than this many days after they occur."""
    warheads_change_only_at_exchange: bool
    """Warhead numbers are updated only by the regular exchanges, not by change notices."""
    special: tuple[SpecialExchange, ...] = ()

    def __post_init__(self) -> None:
        for name in ("initial_within_days", "due_within_days", "change_notice_days"):
            if not 0 <= getattr(self, name) <= _MAX_DAYS:
                raise ValueError(f"{name} must be between 0 and {_MAX_DAYS} days")
        if not self.as_of:
            raise ValueError("at least one regular as-of day is needed")
        if len(set(self.as_of)) != len(self.as_of):
            raise ValueError("a regular as-of day is listed twice")
        if MonthDay(self.regular_from.month, self.regular_from.day) not in self.as_of:
            raise ValueError(f"regular_from {self.regular_from} is not one of the as-of days")

    def exchanges(self, *, entry_into_force: dt.date, until: dt.date) -> list[ScheduledExchange]:
        """Every exchange with an as-of date from entry into force up to ``until`` inclusive."""
        if until < entry_into_force:
            return []
        result = [
            ScheduledExchange(
                entry_into_force,
                entry_into_force + dt.timedelta(days=self.initial_within_days),
                ExchangeKind.INITIAL,
            )
        ]
        replaced = {s.replaces for s in self.special if s.replaces is not None}
        year = self.regular_from.year
        while year <= until.year:
            for day in sorted(self.as_of):
                as_of = day.in_year(year)
                if self.regular_from <= as_of <= until and as_of not in replaced:
                    due = as_of + dt.timedelta(days=self.due_within_days)
                    result.append(ScheduledExchange(as_of, due, ExchangeKind.SEMI_ANNUAL))
            year += 1
        for s in self.special:
            if entry_into_force <= s.as_of <= until:
                due = s.as_of + dt.timedelta(days=s.due_within_days)
                result.append(ScheduledExchange(s.as_of, due, ExchangeKind.SPECIAL))
        return sorted(result)
