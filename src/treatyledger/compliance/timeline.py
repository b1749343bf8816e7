"""The treaty-year timeline: inspection activity per quota year, quotas used and left.

:func:`build_timeline` reads the valid entries of one treaty in every log and
lists, per quota year (``spec.inspections.quota_year``), the inspection
activity in time order (requests, site designations, pre-inspection openings,
observations, reports, countersignatures, refusals and exemptions), and per
inspection type the quota used and left. An inspection's entries belong to
the quota year of its arrival; an exemption to the year of its entry's time.
Quotas are counted as ``inspection.quota_exceeded`` counts them: valid
requests that were not refused, by the quota year of their arrival — per
inspecting and inspected party for ``per_pair``, per inspected party (any
inspecting party, ``inspector`` None) for ``per_inspected_party``.

Pure: no clock, no storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from treatyledger.compliance.reading import LoggedEntry, LoggedLog
from treatyledger.compliance.review import Review, entry_of
from treatyledger.compliance.rules.inspections import Request, requests
from treatyledger.treaty.inspections import QuotaScope
from treatyledger.treaty.spec import TreatySpec

__all__ = ["QuotaUse", "Timeline", "TimelineEvent", "TimelineYear", "build_timeline"]

_END_OF_TIME = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class TimelineEvent:
    """One logged entry of inspection activity: when, who, what, and where it is logged."""

    time: dt.datetime
    type: str
    sender: str
    what: str
    origin: str
    index: int
    parties: frozenset[str]
    """The parties the activity concerns (inspecting and inspected, or the exempting party)."""

    def to_json(self) -> dict[str, Any]:
        """``time``, ``type``, ``sender``, ``what``, ``origin``, ``index``."""
        return {
            "time": self.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "type": self.type,
            "sender": self.sender,
            "what": self.what,
            "origin": self.origin,
            "index": self.index,
        }


@dataclass(frozen=True)
class QuotaUse:
    """The use of one inspection type's annual quota in one quota year."""

    inspection_type: str
    inspector: str | None
    """The inspecting party (``per_pair``), or None: any party (``per_inspected_party``)."""
    inspected: str
    quota: int
    used: int

    @property
    def left(self) -> int:
        """What is left of the quota (never below zero)."""
        return max(self.quota - self.used, 0)

    def to_json(self) -> dict[str, Any]:
        """``inspection_type``, ``inspector``, ``inspected``, ``quota``, ``used``, ``left``."""
        return {
            "inspection_type": self.inspection_type,
            "inspector": self.inspector,
            "inspected": self.inspected,
            "quota": self.quota,
            "used": self.used,
            "left": self.left,
        }


@dataclass(frozen=True)
class TimelineYear:
    """One quota year: from ``start`` up to (not including) ``end``."""

    start: dt.date
    end: dt.date
    events: tuple[TimelineEvent, ...]
    quotas: tuple[QuotaUse, ...]

    def to_json(self) -> dict[str, Any]:
        """``start``, ``end`` (exclusive), ``events`` and ``quotas``."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "events": [e.to_json() for e in self.events],
            "quotas": [q.to_json() for q in self.quotas],
        }


@dataclass(frozen=True)
class Timeline:
    """The quota years with inspection activity, in order."""

    treaty: str
    quota_scope: QuotaScope
    years: tuple[TimelineYear, ...]

    def for_party(self, party: str) -> Timeline:
        """Only the activity and quotas that concern ``party`` (inspecting or inspected)."""
        years = []
        for year in self.years:
            events = tuple(e for e in year.events if party in e.parties)
            quotas = tuple(q for q in year.quotas if party in (q.inspector, q.inspected))
            if events:
                years.append(TimelineYear(year.start, year.end, events, quotas))
        return Timeline(self.treaty, self.quota_scope, tuple(years))

    def to_json(self) -> dict[str, Any]:
        """``{"treaty", "quota_scope", "years": [...]}``."""
        return {
            "treaty": self.treaty,
            "quota_scope": self.quota_scope.value,
            "years": [y.to_json() for y in self.years],
        }


def _what(review: Review, logged: LoggedEntry, request: Request | None) -> str:
    entry = entry_of(logged)
    payload = entry.payload
    if entry.type == "inspection_request" and request is not None:
        return (
            f"{request.type.name} inspection of {request.inspected}, arrival "
            f"{request.arrival:%Y-%m-%d %H:%M} UTC at {payload['point_of_entry']}"
        )
    if entry.type in ("site_designation", "pre_inspection_opening"):
        return f"site {payload['facility']}"
    if entry.type == "observations":
        return f"{len(payload['uids_seen'])} UIDs seen"
    if entry.type == "inspection_report":
        return str(payload["summary"])
    if entry.type == "report_countersignature":
        return str(payload.get("comment", "report countersigned"))
    if entry.type == "refusal":
        return str(payload["reason"])
    if entry.type == "exemption":
        facilities = payload["facilities"]
        where = "all facilities" if facilities == "all" else ", ".join(facilities)
        until = f" until {payload['until']}" if "until" in payload else ""
        return f"{where} from {payload['from']}{until}: {payload['reason']}"
    return entry.type


def _activity(review: Review, request: Request) -> list[LoggedEntry]:
    """Every entry of one inspection: request, designation, opening, observations, report."""
    found = [request.logged]
    found += review.referring(request.logged, "refusal")
    if request.designation is not None:
        found.append(request.designation)
        found += review.referring(request.designation, "pre_inspection_opening", "observations")
    for report in review.referring(request.logged, "inspection_report"):
        found.append(report)
        found += review.referring(report, "report_countersignature")
    return found


def _event(
    review: Review, logged: LoggedEntry, request: Request | None, parties: frozenset[str]
) -> TimelineEvent:
    entry = entry_of(logged)
    return TimelineEvent(
        time=entry.time,
        type=entry.type,
        sender=entry.sender,
        what=_what(review, logged, request),
        origin=logged.origin,
        index=logged.index,
        parties=parties,
    )


def build_timeline(logs: Sequence[LoggedLog], spec: TreatySpec) -> Timeline:
    """The inspection timeline of ``spec``'s treaty from the valid entries of ``logs``."""
    review = Review(logs, spec, now=_END_OF_TIME)
    rules = spec.inspections
    events: dict[tuple[dt.date, dt.date], dict[tuple[str, int], TimelineEvent]] = {}
    used: dict[tuple[dt.date, dt.date], dict[tuple[str, str | None, str], int]] = {}
    for request in requests(review):
        year = rules.quota_year(request.arrival.date())
        parties = frozenset({request.inspector, request.inspected})
        mine = events.setdefault(year, {})
        for logged in _activity(review, request):
            mine.setdefault((logged.origin, logged.index), _event(review, logged, request, parties))
        counts = used.setdefault(year, {})
        inspector = request.inspector if rules.quota_scope is QuotaScope.PER_PAIR else None
        key = (request.type.id, inspector, request.inspected)
        counts[key] = counts.get(key, 0) + (1 if request.refusal is None else 0)
    for logged in review.of_type("exemption"):
        entry = entry_of(logged)
        year = rules.quota_year(entry.time.date())
        events.setdefault(year, {})[(logged.origin, logged.index)] = _event(
            review, logged, None, frozenset({entry.sender})
        )
    party_ids = [p.id for p in spec.parties]
    years = []
    for year in sorted(events):
        counts = used.get(year, {})
        quotas = []
        for itype in rules.types:
            for inspected in party_ids:
                inspectors: list[str | None] = (
                    [p for p in party_ids if p != inspected]
                    if rules.quota_scope is QuotaScope.PER_PAIR
                    else [None]
                )
                for inspector in inspectors:
                    n = counts.get((itype.id, inspector, inspected), 0)
                    quotas.append(QuotaUse(itype.id, inspector, inspected, itype.annual_quota, n))
        ordered = sorted(events[year].values(), key=lambda e: (e.time, e.origin, e.index))
        years.append(TimelineYear(year[0], year[1], tuple(ordered), tuple(quotas)))
    return Timeline(spec.id, rules.quota_scope, tuple(years))
