"""Inspection types, annual quotas and time limits."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from treatyledger.treaty.timing import MonthDay

__all__ = ["InspectionRules", "InspectionType", "QuotaScope"]

_IDENT = re.compile(r"[a-z][a-z0-9_]*")


class QuotaScope(enum.Enum):
    """Whom an annual quota is counted against."""

    PER_PAIR = "per_pair"
    """Each party may conduct the quota on each other party (bilateral treaties)."""
    PER_INSPECTED_PARTY = "per_inspected_party"
    """Each party receives at most the quota, whoever inspects it."""


@dataclass(frozen=True)
class InspectionType:
    """One type of on-site inspection, where it may happen and how long each step may take."""

    id: str
    name: str
    annual_quota: int
    facility_kinds: frozenset[str]
    notice_before_arrival: dt.timedelta
    """Minimum notice between the notification and arrival at the point of entry."""
    designation_within: dt.timedelta
    """Latest designation of the site, counted from arrival at the point of entry."""
    restrictions_within: dt.timedelta
    """Pre-inspection restrictions take effect at the latest this long after designation."""
    max_duration: dt.timedelta
    """The longest an inspection may last at the site."""
    reentry_vehicle_count: bool
    """Whether inspectors count the reentry vehicles on one missile they designate."""
    description: str = ""

    def __post_init__(self) -> None:
        if not _IDENT.fullmatch(self.id):
            raise ValueError(f"an inspection type id must be lower_snake_case, got {self.id!r}")
        if self.annual_quota < 0:
            raise ValueError(f"an annual quota must be non-negative, got {self.annual_quota}")
        if not self.facility_kinds:
            raise ValueError("an inspection type needs at least one facility kind")
        if self.max_duration <= dt.timedelta(0):
            raise ValueError("an inspection's maximum duration must be positive")


@dataclass(frozen=True)
class InspectionRules:
    """The inspection regime: types, the quota year, and the rules that span types."""

    types: tuple[InspectionType, ...]
    quota_year_start: MonthDay
    quota_scope: QuotaScope
    one_at_a_time: bool
    """Only one inspection may be under way on a party's territory at a time."""
    max_per_site_per_year: int | None = None

    def __post_init__(self) -> None:
        ids = [t.id for t in self.types]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"inspection type {dupes[0]!r} is declared twice")
        if self.max_per_site_per_year is not None and self.max_per_site_per_year < 1:
            raise ValueError("max_per_site_per_year must be at least 1 when given")

    @property
    def annual_quota(self) -> int:
        """All types' quotas together."""
        return sum(t.annual_quota for t in self.types)

    def type(self, type_id: str) -> InspectionType | None:
        """The inspection type with this id, if there is one."""
        return next((t for t in self.types if t.id == type_id), None)

    def quota_year(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """The quota year containing ``day``: its first day and the first day of the next."""
        start = self.quota_year_start.in_year(day.year)
        if day < start:
            start = self.quota_year_start.in_year(day.year - 1)
        return start, self.quota_year_start.in_year(start.year + 1)
