"""Judge each published exchange against the central limits in force on its date."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from treatyledger.record.aggregates import DataStatus, ExchangeFigures, PublicRecord
from treatyledger.treaty.spec import TreatySpec

__all__ = ["ExchangeJudgement", "LimitJudgement", "RecordStatus", "check_record"]


class RecordStatus(enum.Enum):
    """Where a figure stands against its limit on the exchange's date."""

    NOT_BINDING = "not_binding"
    """The limit did not yet (or no longer) bind on that date."""
    WITHIN = "within"
    EXCEEDS = "exceeds"
    NOT_PROVIDED = "not_provided"
    """The party provided no data: unknown, never zero."""


@dataclass(frozen=True)
class LimitJudgement:
    """One figure against one limit. ``count`` and ``headroom`` are None when not provided."""

    limit: str
    count: int | None
    cap: int
    status: RecordStatus

    @property
    def headroom(self) -> int | None:
        """Cap minus count (negative above the cap); None when there is no count."""
        return None if self.count is None else self.cap - self.count

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``treaty record check --json``."""
        return {
            "limit": self.limit,
            "count": self.count,
            "cap": self.cap,
            "headroom": self.headroom,
            "status": self.status.value,
        }


@dataclass(frozen=True)
class ExchangeJudgement:
    """One party's exchange judged against every limit the record gives figures for."""

    figures: ExchangeFigures
    status: RecordStatus
    limits: tuple[LimitJudgement, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``treaty record check --json``."""
        return {
            "as_of": self.figures.as_of.isoformat(),
            "party": self.figures.party,
            "status": self.status.value,
            "limits": [j.to_json() for j in self.limits],
            "data_status": self.figures.data_status.value,
            "source": self.figures.source,
        }


def check_record(spec: TreatySpec, record: PublicRecord) -> list[ExchangeJudgement]:
    """Judge every row of ``record`` under ``spec``, in the record's order.

    A limit binds on the exchange's as-of date when it has taken effect and
    the treaty is in force; a count equal to the cap is within it.
    """
    judgements = []
    for figures in record.rows:
        binding = {lim.id for lim in spec.limits_in_force(figures.as_of)}
        limits = []
        for limit_id in record.limits:
            limit = spec.limit(limit_id)
            assert limit is not None  # checked when the record was parsed
            cap = limit.cap_for(figures.party)
            if figures.counts is None:
                limits.append(LimitJudgement(limit_id, None, cap, RecordStatus.NOT_PROVIDED))
                continue
            count = figures.counts[limit_id]
            if limit_id not in binding:
                status = RecordStatus.NOT_BINDING
            elif count > cap:
                status = RecordStatus.EXCEEDS
            else:
                status = RecordStatus.WITHIN
            limits.append(LimitJudgement(limit_id, count, cap, status))
        judgements.append(ExchangeJudgement(figures, _overall(figures, limits), tuple(limits)))
    return judgements


def _overall(figures: ExchangeFigures, limits: list[LimitJudgement]) -> RecordStatus:
    if figures.data_status is DataStatus.NOT_PROVIDED:
        return RecordStatus.NOT_PROVIDED
    statuses = {j.status for j in limits}
    if RecordStatus.EXCEEDS in statuses:
        return RecordStatus.EXCEEDS
    if RecordStatus.WITHIN in statuses:
        return RecordStatus.WITHIN
    return RecordStatus.NOT_BINDING
