"""One treaty year between the parties, entry by entry, in simulated time.

The year is the first quota year in which the whole regime ran: for New
START the quota year from 5 February 2019 (the limits in force, before the
2020 pause that the specification records and that would excuse refusals);
for an illustrative treaty its first quota year. Every step is an entry
signed by its sender and appended to the sender's own log through the
:class:`~treatyledger.exercise.transport.Transport`, at its simulated time
(the clock the nodes use for cosignatures is set to it); the parties
witness one another every :data:`WITNESS_EVERY` of simulated time in which
something was logged, and once more at the end.

The year, in order of time:

* each drawing party commits to the seed of each inspected party's draws of
  the year (``draw_commitment``), before the data exchange it will be fixed by;
  the inspected party acknowledges each commitment in its own log;
* the data exchanges due within the year, a day early, each acknowledged;
  the checkpoint of the inspected party's log that first contains its first
  exchange fixes the year's draws (``docs/assurance.md``); the seeds are
  revealed (``draw_reveal``) after the year's inspections, so that no
  inspected party can foresee a designation;
* change notifications between the year's exchanges (the differences of the
  declared inventories), two days after each change;
* the inspections on each party one at a time, evenly over the year: request
  48 hours ahead, designation on arrival, pre-inspection opening of the
  latest declaration 30 minutes later, observations (every UID physically at
  the site, and for Type One the reentry vehicles on one designated missile),
  the inspected party's report and the inspecting party's countersignature;
* one consultative commission session;
* the red team's misconduct, where the scenario puts it.

Sites are drawn as the assurance planner models them (:mod:`.draws`), so the
planner's probability is the chance that this year catches the misconduct.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from treatyledger.escrow.opening import open_facility
from treatyledger.escrow.opening_json import facility_opening_to_json
from treatyledger.escrow.sumtree import commit
from treatyledger.exercise.draws import Visit, YearDraws
from treatyledger.exercise.parties import Delegation, RedTeam, derived_bytes
from treatyledger.exercise.scenarios import Misconduct
from treatyledger.exercise.transport import Transport
from treatyledger.ledger import Entry, EntryIndex, Ref, sign_entry, validate_entry
from treatyledger.ledger.changes import change_notices
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text, sign_exchange
from treatyledger.treaty.inspections import InspectionType
from treatyledger.treaty.spec import TreatySpec

__all__ = ["WITNESS_EVERY", "SimClock", "Year", "YearPlan", "year_plan"]

_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
WITNESS_EVERY = dt.timedelta(days=3)
"""How often (in simulated time) the parties witness one another's logs."""


class SimClock:
    """The simulated time; nodes read it for their cosignature timestamps."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass(frozen=True)
class YearPlan:
    """The year: its quota year, the exchanges due in it, and when it is judged."""

    start: dt.date
    end: dt.date
    """The first day of the next quota year."""
    exchanges: tuple[tuple[dt.date, dt.date], ...]
    """(as of, due) of every exchange due within the year."""

    @property
    def judged_at(self) -> dt.datetime:
        """The last second of the year."""
        return dt.datetime.combine(self.end, dt.time(), dt.UTC) - dt.timedelta(seconds=1)

    @property
    def since(self) -> dt.datetime:
        """The start of the year, where the review begins."""
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)


def year_plan(spec: TreatySpec) -> YearPlan:
    """The exercise's year under ``spec`` (see the module docstring)."""
    if spec.id == "new-start":
        day = dt.date(2019, 2, 5)
    else:
        day = max([spec.dates.entry_into_force, *(lim.effective for lim in spec.limits)])
    start, end = spec.inspections.quota_year(day)
    if start < day:
        start, end = spec.inspections.quota_year(end)
    schedule = spec.data_exchange.exchanges(entry_into_force=spec.dates.entry_into_force, until=end)
    due = tuple((s.as_of, s.due) for s in schedule if start <= s.due < end and s.as_of >= start)
    return YearPlan(start=start, end=end, exchanges=due)


@dataclass(order=True)
class _Event:
    time: dt.datetime
    order: int
    action: Callable[[], None] = dataclasses.field(compare=False)


class Year:
    """Plays the year (:meth:`play`) through a transport, recording every entry it logs."""

    def __init__(  # noqa: PLR0917 (the year's ingredients, all needed)
        self,
        spec: TreatySpec,
        plan: YearPlan,
        parties: Mapping[str, Delegation],
        red: RedTeam | None,
        transport: Transport,
        clock: SimClock,
        *,
        seed: int,
        progress: Callable[[str, float], None] = lambda _m, _f: None,
        check: bool = True,
    ) -> None:
        self.spec = spec
        self.plan = plan
        self.parties = dict(parties)
        self.red = red
        self.transport = transport
        self.clock = clock
        self.seed = seed
        self.progress = progress
        self.check = check
        self.index = EntryIndex()
        self.entries = 0
        self._queue: list[_Event] = []
        self._order = itertools.count()
        self.draws = YearDraws(spec, plan.start, list(self.parties), seed)
        self.suspended: set[str] = set()

    # -- the machinery ---------------------------------------------------------------------

    def at(self, time: dt.datetime, action: Callable[[], None]) -> None:
        """Run ``action`` at simulated ``time``."""
        heapq.heappush(self._queue, _Event(time, next(self._order), action))

    def post(
        self,
        sender: str,
        entry_type: str,
        payload: Mapping[str, Any],
        refs: tuple[Ref, ...] = (),
    ) -> Ref:
        """Sign an entry of ``sender`` at the current simulated time and log it."""
        entry = Entry(
            type=entry_type,
            treaty=self.spec.id,
            sender=sender,
            time=self.clock.now,
            payload=dict(payload),
            refs=refs,
        )
        if self.check:  # the delegation's own check; a node checks again on submission
            validate_entry(entry, self.spec, resolve=self.index.resolve)
        return self._log(sender, sign_entry(entry, self.parties[sender].signer), cites=refs)

    def _log(self, sender: str, note: bytes, *, cites: tuple[Ref, ...] = ()) -> Ref:
        ref = self.transport.append(sender, note, cites=cites)
        if self.check:
            self.index.add(ref.origin, ref.index, note, self.parties[sender].signer.verifier())
        self.entries += 1
        return ref

    def play(self) -> None:
        """Schedule the whole year and run it in time order, witnessing as it goes."""
        self._schedule()
        witnessed = self.clock.now
        while self._queue:
            event = heapq.heappop(self._queue)
            if event.time - witnessed >= WITNESS_EVERY:
                self.transport.witness_round()
                witnessed = self.clock.now
                done = (event.time.date() - self.plan.start) / (self.plan.end - self.plan.start)
                self.progress(f"{event.time:%Y-%m-%d}: {self.entries} entries logged", done)
            self.clock.now = event.time
            event.action()
        self.clock.now = self.plan.judged_at
        self.transport.witness_round()

    def active(self, party: str) -> bool:
        """Whether the party still keeps its obligations (it has not suspended them)."""
        return party not in self.suspended

    # -- the year's steps ---------------------------------------------------------------

    def _schedule(self) -> None:
        start = dt.datetime.combine(self.plan.start, dt.time(10), dt.UTC)
        self.at(start + 5 * _DAY, self._commit_draws)
        for n, (as_of, due) in enumerate(self.plan.exchanges):
            moment = dt.datetime.combine(due - _DAY, dt.time(9), dt.UTC)
            for party in self.parties:
                self.at(moment, self._exchange(party, as_of, first=n == 0))
            if n:
                self._changes(self.plan.exchanges[n - 1][0], as_of)
        self._commission()
        self._misconduct()

    def _commit_draws(self) -> None:
        first = self.plan.exchanges[0][0]
        self.draws.plan_sizes({p: d.declared[first] for p, d in self.parties.items()})
        for key in self.draws.all_keys():
            ref = self.post(key.drawer, "draw_commitment", self.draws.commitment_payload(key))
            self.draws.committed[key] = ref
            # The inspected party acknowledges it in its own log: proof, without trusting
            # any clock, that the seed was committed before its declaration existed.
            self.at(self.clock.now + _HOUR, self._ack(key.inspected, ref))
        self.at(dt.datetime.combine(self.plan.end - 3 * _DAY, dt.time(12), dt.UTC), self._reveal)

    def _reveal(self) -> None:
        """After the year's inspections, every drawing party reveals its seeds."""
        for key in self.draws.all_keys():
            reveal = self.draws.reveal(key)
            if reveal is not None and self.active(key.drawer):
                payload, refs = reveal
                self.draws.revealed[key] = self.post(key.drawer, "draw_reveal", payload, refs)

    def _exchange(self, party: str, as_of: dt.date, *, first: bool) -> Callable[[], None]:
        def run() -> None:
            delegation = self.parties[party]
            if not self.active(party):
                return
            inventory = delegation.declared[as_of]
            declaration = commit(
                self.spec,
                party,
                as_of,
                inventory.items,
                [f.id for f in inventory.facilities],
                secret=derived_bytes(self.seed, f"declaration {party} {as_of}"),
            )
            kinds = {f.id: f.kind for f in inventory.facilities}
            now = self.clock.now
            exchange = build_exchange(declaration, kinds, clock=lambda: now)
            note = sign_exchange(exchange_entry_text(exchange), delegation.signer)
            ref = self._log(party, note)
            delegation.declarations[as_of] = declaration
            delegation.exchanges[as_of] = ref
            if first:
                self.draws.fix(party, ref, self.transport.checkpoint(party), inventory)
                self._inspections(party)
            for other in self.parties:
                if other != party:
                    self.at(now + 6 * _HOUR, self._ack(other, ref))

        return run

    def _ack(self, sender: str, ref: Ref) -> Callable[[], None]:
        def run() -> None:
            if self.active(sender):
                self.post(sender, "acknowledgment", {}, (ref,))

        return run

    def _changes(self, older: dt.date, newer: dt.date) -> None:
        span = (newer - older).days

        def occurred(n: int, _uid: str) -> dt.datetime:
            day = older + dt.timedelta(days=1 + (n * 7919) % (span - 10))
            return dt.datetime.combine(day, dt.time(12), dt.UTC)

        for party, delegation in self.parties.items():
            before, after = delegation.declared[older], delegation.declared[newer]
            late_one = (
                self.red is not None
                and self.red.party == party
                and self.red.misconduct is Misconduct.LATE_NOTIFICATION
            )
            notices = change_notices(self.spec, before, after, occurred)
            for n, (kind, payload) in enumerate(notices):
                delay = 9 * _DAY if late_one and n == 0 else 2 * _DAY
                sent = occurred(n, payload["uid"]) + delay
                self.at(sent, self._notify(party, kind, payload))

    def _notify(self, party: str, kind: str, payload: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            if self.active(party):
                self.post(party, kind, payload)

        return run

    # -- inspections ----------------------------------------------------------------------

    def _inspections(self, inspected: str) -> None:
        """Schedule the inspected party's drawn inspections evenly over the rest of the year."""
        first = self.clock.now.replace(hour=8, minute=0, second=0) + 5 * _DAY
        last = dt.datetime.combine(self.plan.end - dt.timedelta(days=10), dt.time(8), dt.UTC)
        visits = self.draws.visits(inspected)
        if not visits:
            return
        step = (last - first) / len(visits)
        for n, visit in enumerate(visits):
            arrival = (first + n * step).replace(minute=0, second=0, microsecond=0)
            self.at(arrival - 48 * _HOUR, self._request(visit, arrival))

    def _request(self, visit: Visit, arrival: dt.datetime) -> Callable[[], None]:
        def run() -> None:
            inspector, inspected = visit.inspector, visit.inspected
            if (
                not self.active(inspector)
                or self.parties[inspected].latest_as_of(arrival.date()) is None
            ):
                return
            request = self.post(
                inspector,
                "inspection_request",
                {
                    "inspection_type": visit.type.id,
                    "inspected_party": inspected,
                    "point_of_entry": f"the point of entry of {inspected}",
                    "arrival_at": f"{arrival:%Y-%m-%dT%H:%M:%SZ}",
                },
            )
            if not self.active(inspected):
                self.at(
                    self.clock.now + 2 * _HOUR,
                    self._refuse(
                        inspected, request, "The inspected party has suspended its inspections."
                    ),
                )
                return
            if self._refuses(inspected, visit):
                self.at(
                    self.clock.now + 2 * _HOUR,
                    self._refuse(inspected, request, "The inspection is declined."),
                )
                return
            self.at(arrival, self._designate(visit, request, arrival))

        return run

    def _refuses(self, inspected: str, visit: Visit) -> bool:
        red = self.red
        if red is None or red.party != inspected:
            return False
        if red.misconduct is not Misconduct.REFUSED_INSPECTION or visit.type.id != "type_one":
            return False
        return visit.number == 2  # the third Type One inspection of the year

    def _refuse(self, inspected: str, request: Ref, reason: str) -> Callable[[], None]:
        def run() -> None:
            self.post(inspected, "refusal", {"reason": reason}, (request,))

        return run

    def _designate(self, visit: Visit, request: Ref, arrival: dt.datetime) -> Callable[[], None]:
        def run() -> None:
            site = visit.site
            kind = self.draws.site_kind(visit)
            designation = self.post(
                visit.inspector,
                "site_designation",
                {"facility": site, "facility_kind": kind},
                (request,),
            )
            self.at(
                arrival + 30 * 60 * dt.timedelta(seconds=1),
                self._open(visit, request, designation, arrival),
            )

        return run

    def _open(
        self, visit: Visit, request: Ref, designation: Ref, arrival: dt.datetime
    ) -> Callable[[], None]:
        def run() -> None:
            delegation = self.parties[visit.inspected]
            as_of = delegation.latest_as_of(arrival.date())
            assert as_of is not None
            opening = open_facility(delegation.declarations[as_of], visit.site)
            self.post(
                visit.inspected,
                "pre_inspection_opening",
                {"facility": visit.site, "opening": json.loads(facility_opening_to_json(opening))},
                (designation, delegation.exchanges[as_of]),
            )
            self.at(arrival + 20 * _HOUR, self._observe(visit, request, designation, as_of))

        return run

    def _observe(
        self, visit: Visit, request: Ref, designation: Ref, as_of: dt.date
    ) -> Callable[[], None]:
        def run() -> None:
            delegation = self.parties[visit.inspected]
            there = [i for i in delegation.physical[as_of].items if i.facility == visit.site]
            payload: dict[str, Any] = {"uids_seen": sorted(i.uid for i in there)}
            itype: InspectionType = visit.type
            if itype.reentry_vehicle_count:
                missile = self.draws.missile(visit, delegation.declared[as_of])
                if missile is not None:
                    real = next(i for i in there if i.uid == missile)
                    payload["reentry_vehicles"] = {"uid": missile, "counted": real.warheads or 0}
            observations = self.post(visit.inspector, "observations", payload, (designation,))
            self.at(
                self.clock.now + 6 * _HOUR,
                self._report(visit, request, observations, as_of, payload),
            )

        return run

    def _report(
        self,
        visit: Visit,
        request: Ref,
        observations: Ref,
        as_of: dt.date,
        seen: dict[str, Any],
    ) -> Callable[[], None]:
        def run() -> None:
            declared = {
                i.uid: i
                for i in self.parties[visit.inspected].declared[as_of].items
                if i.facility == visit.site
            }
            findings = []
            extra = sorted(set(seen["uids_seen"]) - set(declared))
            missing = sorted(set(declared) - set(seen["uids_seen"]))
            if extra:
                findings.append(
                    {
                        "kind": "discrepancy",
                        "text": f"{len(extra)} items seen that are not declared here.",
                    }
                )
            if missing:
                findings.append(
                    {"kind": "discrepancy", "text": f"{len(missing)} declared items not seen."}
                )
            rv = seen.get("reentry_vehicles")
            if rv is not None and declared[rv["uid"]].warheads != rv["counted"]:
                findings.append(
                    {
                        "kind": "discrepancy",
                        "uid": rv["uid"],
                        "text": "Reentry vehicles counted differ from the declaration.",
                    }
                )
            if not findings:
                findings.append(
                    {
                        "kind": "confirmed",
                        "text": f"{len(declared)} declared items seen, as declared.",
                    }
                )
            report = self.post(
                visit.inspected,
                "inspection_report",
                {"summary": f"{visit.type.name} inspection of {visit.site}.", "findings": findings},
                (request, observations),
            )
            self.at(self.clock.now + _HOUR, self._countersign(visit.inspector, report))

        return run

    def _countersign(self, inspector: str, report: Ref) -> Callable[[], None]:
        def run() -> None:
            self.post(inspector, "report_countersignature", {}, (report,))

        return run

    # -- the commission and the misconduct ------------------------------------------------

    def _commission(self) -> None:
        host = next(iter(self.parties))
        asked = dt.datetime.combine(self.plan.start + dt.timedelta(days=200), dt.time(10), dt.UTC)
        starts = (asked + 30 * _DAY).date()
        holder: dict[str, Ref] = {}

        def request() -> None:
            holder["request"] = self.post(
                host,
                "commission_request",
                {
                    "agenda": "Implementation questions of the year.",
                    "location": "Geneva",
                    "proposed_start": starts.isoformat(),
                },
            )

        def meeting() -> None:
            self.post(
                host,
                "commission_meeting",
                {
                    "location": "Geneva",
                    "starts_on": starts.isoformat(),
                    "ends_on": (starts + 4 * _DAY).isoformat(),
                    "summary": "Session held; implementation questions discussed.",
                },
                (holder["request"],),
            )

        def convene() -> None:
            absent = [p for p in self.parties if not self.active(p)]
            for party in absent:
                kind = "commission_postponement" if party == host else "refusal"
                reason = {"reason": "The party has suspended the commission's work."}
                self.post(party, kind, reason, (holder["request"],))
            if not absent:
                self.at(dt.datetime.combine(starts + 5 * _DAY, dt.time(10), dt.UTC), meeting)

        self.at(asked, request)
        self.at(dt.datetime.combine(starts - _DAY, dt.time(10), dt.UTC), convene)

    def _misconduct(self) -> None:
        red = self.red
        if red is not None and red.misconduct is Misconduct.EQUIVOCATING_LOG:
            # After the inspections and their reports, before the draws are revealed.
            when = dt.datetime.combine(self.plan.end - 4 * _DAY, dt.time(12), dt.UTC)
            self.at(when, lambda: self.transport.equivocate(red.party))
            return
        if red is None or red.misconduct is not Misconduct.SUSPENSION:
            return
        when = dt.datetime.combine(self.plan.start + dt.timedelta(days=160), dt.time(12), dt.UTC)

        def suspend() -> None:
            self.post(
                red.party,
                "suspension",
                {
                    "obligations": ["data_exchange", "notifications", "inspections", "commission"],
                    "reason": "The party suspends the treaty's implementation.",
                },
            )
            self.suspended.add(red.party)

        self.at(when, suspend)
