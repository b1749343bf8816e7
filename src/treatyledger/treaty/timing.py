"""Durations and recurring calendar days, as written in treaty specifications.

Durations are written compactly: ``"5d"``, ``"32h"``, ``"1d12h"``, ``"90m"``.
Recurring days are written ``"MM-DD"`` (``"03-01"`` is 1 March of every year).
All treaty times are GMT/UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["MonthDay", "format_duration", "parse_duration"]

_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?", re.ASCII)


def parse_duration(text: object) -> dt.timedelta:
    """Parse ``"5d"``, ``"32h"``, ``"1d12h"`` or ``"90m"`` into a timedelta.

    Raises ``ValueError`` for anything else, including an empty string and
    units out of order; a zero duration (``"0h"``) is allowed.
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"expected a duration such as '5d', '32h', '1d12h' or '90m', got {text!r}")
    days, hours, minutes = (int(g) if g else 0 for g in match.group("d", "h", "m"))
    try:
        return dt.timedelta(days=days, hours=hours, minutes=minutes)
    except OverflowError as exc:
        raise ValueError(f"the duration {text!r} is too long") from exc


def format_duration(value: dt.timedelta) -> str:
    """Write a timedelta in the compact form :func:`parse_duration` reads.

    Whole days are written in days (``"5d"``), anything else in hours and
    minutes (``"32h"``, ``"1h30m"``), as treaty texts state them.
    """
    if value < dt.timedelta(0) or value % dt.timedelta(minutes=1):
        raise ValueError(f"cannot write {value!r} as a whole, non-negative number of minutes")
    total_minutes = int(value / dt.timedelta(minutes=1))
    if total_minutes and total_minutes % (24 * 60) == 0:
        return f"{total_minutes // (24 * 60)}d"
    hours, minutes = divmod(total_minutes, 60)
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m")) if n) or "0h"


@dataclass(frozen=True, order=True)
class MonthDay:
    """A day that recurs every year, such as 1 March."""

    month: int
    day: int

    def __post_init__(self) -> None:
        # 2000 is a leap year, so 29 February is accepted as a recurring day.
        try:
            dt.date(2000, self.month, self.day)
        except ValueError as exc:
            raise ValueError(f"not a day of the year: month {self.month}, day {self.day}") from exc
        if (self.month, self.day) == (2, 29):
            raise ValueError("29 February does not recur every year")

    @classmethod
    def parse(cls, text: object) -> MonthDay:
        """Parse ``"MM-DD"``."""
        match = re.fullmatch(r"(\d\d)-(\d\d)", text, re.ASCII) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"expected a recurring day as 'MM-DD', got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def in_year(self, year: int) -> dt.date:
        """This day in the given year."""
        return dt.date(year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"
