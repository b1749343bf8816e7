"""Rules on inspections: refused, unanswered, blocked by an exemption, quotas, one at a time.

An inspection request is *answered* when the inspected party logs an
acknowledgment, a refusal or an inspection report that refers to it, or a
pre-inspection opening of the site designated for it. The answer is due by
the arrival of the inspectors plus the type's ``designation_within`` and
``restrictions_within``: by then the site is designated and the inspected
party must have opened it.

A request the treaty lets the inspected party decline (it exceeds the
requesting party's annual quota, or another inspection is under way on the
same territory while the treaty allows one at a time) may be refused or left
unanswered: that is recorded as ``info``. So is a refusal during a pause of
inspections the parties agreed (an agreed ``pause`` event of the
specification affecting inspections, until a ``resumption`` of them). A
refusal or silence covered by an exemption the inspected party logged is a
``concern``: the exemption is that party's claim, which the ledger cannot
judge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import UNATTESTED, Review, cite, entry_of
from treatyledger.ledger.envelope import parse_time
from treatyledger.treaty.events import EventKind, Obligation, StatusEvent
from treatyledger.treaty.inspections import InspectionType, QuotaScope

__all__ = ["Request", "inspection_findings", "requests"]


@dataclass
class Request:
    """One inspection request and what became of it."""

    logged: LoggedEntry
    inspector: str
    inspected: str
    type: InspectionType
    arrival: dt.datetime
    designation: LoggedEntry | None = None
    answer: LoggedEntry | None = None
    refusal: LoggedEntry | None = None
    report: LoggedEntry | None = None
    counted: tuple[LoggedEntry, ...] = ()
    """The earlier requests of the same quota year and type that count against the quota."""
    overlapping: LoggedEntry | None = None
    """An earlier inspection still under way on the same territory at arrival."""

    @property
    def answer_due(self) -> dt.datetime:
        """The latest time the inspected party may answer."""
        return self.arrival + self.type.designation_within + self.type.restrictions_within

    @property
    def end(self) -> dt.datetime:
        """When the inspection ended (its report) or at the latest may end."""
        if self.report is not None:
            return entry_of(self.report).time
        return self.arrival + self.type.designation_within + self.type.max_duration

    def over_quota(self) -> bool:
        """Whether the request goes beyond the annual quota."""
        return len(self.counted) >= self.type.annual_quota


def requests(review: Review) -> list[Request]:
    """Every valid inspection request, in order of arrival, with its answers, quota and overlap."""
    found: list[Request] = []
    for logged in review.of_type("inspection_request"):
        entry = entry_of(logged)
        itype = review.spec.inspections.type(entry.payload["inspection_type"])
        assert itype is not None  # a valid entry names a type of the treaty
        request = Request(
            logged=logged,
            inspector=entry.sender,
            inspected=entry.payload["inspected_party"],
            type=itype,
            arrival=parse_time(entry.payload["arrival_at"]),
        )
        designations = review.referring(logged, "site_designation")
        request.designation = designations[0] if designations else None
        replies = [
            e
            for e in review.referring(logged, "acknowledgment", "refusal", "inspection_report")
            if entry_of(e).sender == request.inspected
        ]
        if request.designation is not None:
            replies += review.referring(request.designation, "pre_inspection_opening")
        replies.sort(key=lambda e: entry_of(e).time)
        request.answer = replies[0] if replies else None
        request.refusal = next((e for e in replies if entry_of(e).type == "refusal"), None)
        request.report = next((e for e in replies if entry_of(e).type == "inspection_report"), None)
        found.append(request)
    found.sort(key=lambda r: (r.arrival, entry_of(r.logged).time))
    rules = review.spec.inspections
    for i, request in enumerate(found):
        year = rules.quota_year(request.arrival.date())
        request.counted = tuple(
            r.logged
            for r in found[:i]
            if r.refusal is None
            and r.type.id == request.type.id
            and r.inspected == request.inspected
            and (
                rules.quota_scope is QuotaScope.PER_INSPECTED_PARTY
                or r.inspector == request.inspector
            )
            and rules.quota_year(r.arrival.date()) == year
        )
        if rules.one_at_a_time:
            request.overlapping = next(
                (
                    r.logged
                    for r in found[:i]
                    if r.refusal is None
                    and r.inspected == request.inspected
                    and r.arrival <= request.arrival < r.end
                ),
                None,
            )
    return found


def _agreed_pause(review: Review, day: dt.date) -> StatusEvent | None:
    """The agreed pause of inspections in effect on ``day``, if any."""
    current: StatusEvent | None = None
    for event in sorted(review.spec.events, key=lambda e: e.date):
        if event.date > day or Obligation.INSPECTIONS not in event.affects:
            continue
        if event.kind is EventKind.PAUSE and event.agreed:
            current = event
        elif event.kind is EventKind.RESUMPTION:
            current = None
    return current


def _exemption(review: Review, request: Request) -> LoggedEntry | None:
    """An exemption the inspected party logged that covers the request's arrival and site."""
    day = request.arrival.date()
    site = (
        entry_of(request.designation).payload["facility"]
        if request.designation is not None
        else None
    )
    for logged in review.of_type("exemption"):
        entry = entry_of(logged)
        payload = entry.payload
        if entry.sender != request.inspected or entry.time > request.answer_due:
            continue
        if dt.date.fromisoformat(payload["from"]) > day:
            continue
        if "until" in payload and dt.date.fromisoformat(payload["until"]) < day:
            continue
        if payload["facilities"] == "all" or (site is not None and site in payload["facilities"]):
            return logged
    return None


def _declinable(review: Review, request: Request) -> str | None:
    """Why the treaty lets the inspected party decline the request, if it does."""
    if request.over_quota():
        return (
            f"it would have been the {request.type.name} inspection number "
            f"{len(request.counted) + 1} of the quota year, beyond the quota of "
            f"{request.type.annual_quota}"
        )
    if request.overlapping is not None:
        return f"another inspection was under way ({cite(request.overlapping)})"
    pause = _agreed_pause(review, request.arrival.date())
    if pause is not None:
        return f"inspections were paused by agreement ({pause.summary})"
    logged_pause = review.agreed_pause(Obligation.INSPECTIONS.value, request.arrival.date())
    if logged_pause is not None:
        return (
            "inspections were paused by the agreement of every party ("
            + ", ".join(cite(p) for p in logged_pause)
            + ")"
        )
    return None


def _answer_findings(review: Review, request: Request) -> list[Finding]:
    inspected = review.party_name(request.inspected)
    inspector = review.party_name(request.inspector)
    what = (
        f"the {request.type.name} inspection {inspector} requested for arrival on "
        f"{request.arrival:%Y-%m-%d %H:%M} UTC ({cite(request.logged)})"
    )
    late = request.answer is not None and entry_of(request.answer).time > request.answer_due
    in_time = request.answer is not None or review.now <= request.answer_due
    if request.refusal is None and not late and in_time:
        return []
    reason = _declinable(review, request)
    exemption = _exemption(review, request)
    if request.refusal is not None:
        done = f"{inspected} refused {what} ({cite(request.refusal)})."
    elif request.answer is not None:
        done = (
            f"{inspected} answered {what} only on {entry_of(request.answer).time:%Y-%m-%d %H:%M} "
            f"UTC, after the time limit of {request.answer_due:%Y-%m-%d %H:%M} UTC. {UNATTESTED}"
        )
    else:
        done = (
            f"{inspected} did not answer {what} by {request.answer_due:%Y-%m-%d %H:%M} UTC. "
            f"{UNATTESTED}"
        )
    evidence = [request.logged, request.refusal or request.answer]
    if reason is not None:
        rule = "inspection.refused" if request.refusal is not None else "inspection.unanswered"
        return [
            Finding(
                rule,
                Severity.INFO,
                request.inspected,
                f"{done} The treaty allowed it: {reason}.",
                review.evidence([*evidence, request.overlapping]),
            )
        ]
    if exemption is not None:
        payload = entry_of(exemption).payload
        return [
            Finding(
                "inspection.blocked_by_exemption",
                Severity.CONCERN,
                request.inspected,
                f"{done} {inspected} had declared an exemption from inspection "
                f"from {payload['from']} ({cite(exemption)}: {payload['reason']}).",
                review.evidence([*evidence, exemption]),
            )
        ]
    rule = "inspection.refused" if request.refusal is not None else "inspection.unanswered"
    return [Finding(rule, Severity.VIOLATION, request.inspected, done, review.evidence(evidence))]


def _request_findings(review: Review, request: Request) -> list[Finding]:
    if request.refusal is not None:
        return []
    inspector = review.party_name(request.inspector)
    inspected = review.party_name(request.inspected)
    findings = []
    if request.over_quota():
        findings.append(
            Finding(
                "inspection.quota_exceeded",
                Severity.VIOLATION,
                request.inspector,
                f"{inspector} requested a {request.type.name} inspection of {inspected} for "
                f"arrival on {request.arrival:%Y-%m-%d} ({cite(request.logged)}), its request "
                f"number {len(request.counted) + 1} of the quota year; the annual quota is "
                f"{request.type.annual_quota}. {UNATTESTED}",
                review.evidence([request.logged, *request.counted]),
            )
        )
    if request.overlapping is not None:
        findings.append(
            Finding(
                "inspection.concurrent",
                Severity.VIOLATION,
                request.inspector,
                f"{inspector} requested an inspection of {inspected} for arrival on "
                f"{request.arrival:%Y-%m-%d %H:%M} UTC ({cite(request.logged)}) while another "
                f"inspection was under way there ({cite(request.overlapping)}); the treaty "
                f"allows one at a time. {UNATTESTED}",
                review.evidence([request.logged, request.overlapping]),
            )
        )
    return findings


def inspection_findings(review: Review) -> list[Finding]:
    """``inspection.*``: refused, unanswered, blocked by an exemption, over quota, concurrent."""
    findings: list[Finding] = []
    for request in requests(review):
        findings += _answer_findings(review, request)
        findings += _request_findings(review, request)
    return findings
