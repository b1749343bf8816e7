"""The logs of all parties under review, indexed for the rules.

A :class:`Review` holds the verified logs, the entries of one treaty that are
valid under its specification (checked with
:func:`treatyledger.ledger.validate_entry`, references resolved across every
log), the entries that are not, and the helpers every rule uses: lookups by
type and reference, party names, and evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from treatyledger.compliance.findings import Evidence
from treatyledger.compliance.reading import LoggedEntry, LoggedLog
from treatyledger.errors import TreatyLedgerError
from treatyledger.ledger.envelope import Entry, Ref
from treatyledger.ledger.types import validate_entry
from treatyledger.treaty.spec import TreatySpec

__all__ = ["STOPPAGES", "UNATTESTED", "Review", "cite", "entry_of", "stoppage_start"]

UNATTESTED = "Times are as the senders stated them; no witness cosignature attests them."
"""The sentence a finding ends with when it judges a sender's own timestamp."""


def _key(logged: LoggedEntry) -> tuple[dt.datetime, str, int]:
    assert logged.entry is not None
    return logged.entry.time, logged.origin, logged.index


class Review:
    """Verified logs read for one treaty, judged up to ``now`` from ``since`` on.

    ``since`` defaults to the earliest entry of the treaty in any log: the
    ledger says nothing about what was due before it existed.
    """

    def __init__(
        self,
        logs: Sequence[LoggedLog],
        spec: TreatySpec,
        *,
        now: dt.datetime,
        since: dt.datetime | None = None,
    ) -> None:
        self.spec = spec
        self.now = now
        self.logs = {log.origin: log for log in logs}
        if len(self.logs) != len(logs):
            raise ValueError("a log is given twice")
        self._by_place: dict[tuple[str, int], LoggedEntry] = {}
        mine: list[LoggedEntry] = []
        self.unreadable: list[LoggedEntry] = []
        self.origin_party: dict[str, str] = {}
        for log in logs:
            for logged in log.entries:
                if logged.entry is None:
                    self.unreadable.append(logged)
                    continue
                self.origin_party.setdefault(log.origin, logged.entry.sender)
                if logged.entry.treaty == spec.id:
                    self._by_place[(logged.origin, logged.index)] = logged
                    mine.append(logged)
        mine.sort(key=_key)
        self.invalid: list[tuple[LoggedEntry, str]] = []
        self.entries: list[LoggedEntry] = []
        for logged in mine:
            assert logged.entry is not None
            try:
                validate_entry(logged.entry, spec, resolve=self._resolve_entry)
            except TreatyLedgerError as exc:
                self.invalid.append((logged, str(exc)))
            else:
                self.entries.append(logged)
        self._valid = {(e.origin, e.index) for e in self.entries}
        first = min((entry_of(e).time for e in mine), default=now)
        self.since = since if since is not None else first
        self.parties = sorted({entry_of(e).sender for e in self.entries})

    # -- lookups ---------------------------------------------------------------------

    def _resolve_entry(self, ref: Ref) -> Entry | None:
        logged = self.resolve(ref)
        return logged.entry if logged is not None else None

    def resolve(self, ref: Ref) -> LoggedEntry | None:
        """The logged entry ``ref`` names, if it is held with that leaf hash."""
        logged = self._by_place.get((ref.origin, ref.index))
        if logged is None or logged.leaf_hash != ref.leaf_hash:
            return None
        return logged

    def valid(self, logged: LoggedEntry) -> bool:
        """Whether the entry passed validation."""
        return (logged.origin, logged.index) in self._valid

    def of_type(self, *types: str) -> list[LoggedEntry]:
        """The valid entries of these types, in time order."""
        return [e for e in self.entries if entry_of(e).type in types]

    def referring(self, target: LoggedEntry, *types: str) -> list[LoggedEntry]:
        """The valid entries of these types whose references include ``target``, in time order."""
        found = []
        for logged in self.of_type(*types):
            for ref in entry_of(logged).refs:
                if (ref.origin, ref.index) == (target.origin, target.index) and (
                    ref.leaf_hash == target.leaf_hash
                ):
                    found.append(logged)
                    break
        return found

    def party_name(self, party: str) -> str:
        """The party's name in the specification, or its id."""
        found = self.spec.party(party)
        return found.name if found is not None else party

    def party_of(self, origin: str) -> str:
        """The party that writes the log ``origin``, or the origin when no entry says."""
        return self.origin_party.get(origin, origin)

    def latest(self, party: str) -> LoggedEntry | None:
        """The party's latest valid entry."""
        mine = [e for e in self.entries if entry_of(e).sender == party]
        return mine[-1] if mine else None

    def stoppage(self, party: str, obligation: str, day: dt.date) -> LoggedEntry | None:
        """The party's suspension, pause or countermeasure of ``obligation`` in effect on ``day``.

        A stoppage takes effect on its payload's ``from`` date (else the day it
        was logged) and ends with the party's next ``resumption`` of that
        obligation; the latest one in effect is returned.
        """
        current: LoggedEntry | None = None
        for logged in self.of_type(*STOPPAGES, "resumption"):
            entry = entry_of(logged)
            if entry.sender != party or obligation not in entry.payload["obligations"]:
                continue
            if entry.type == "resumption":
                if entry.time.date() <= day:
                    current = None
            elif stoppage_start(logged) <= day:
                current = logged
        return current

    def agreed_pause(self, obligation: str, day: dt.date) -> list[LoggedEntry] | None:
        """Every party's ``pause`` of ``obligation`` in effect on ``day``, if all paused it."""
        pauses = []
        for party in self.spec.parties:
            stopped = self.stoppage(party.id, obligation, day)
            if stopped is None or entry_of(stopped).type != "pause":
                return None
            pauses.append(stopped)
        return pauses

    def evidence(self, entries: Iterable[LoggedEntry | None]) -> tuple[Evidence, ...]:
        """The evidence of these entries (None skipped, repeats once), in the order given."""
        out: list[Evidence] = []
        seen: set[tuple[str, int]] = set()
        for logged in entries:
            if logged is None or (logged.origin, logged.index) in seen:
                continue
            seen.add((logged.origin, logged.index))
            out.append(self.logs[logged.origin].evidence(logged.index))
        return tuple(out)


def entry_of(logged: LoggedEntry) -> Entry:
    """The entry of a logged note known to be readable."""
    if logged.entry is None:
        raise ValueError(f"{logged.origin}#{logged.index} is not a readable entry")
    return logged.entry


STOPPAGES = ("suspension", "pause", "countermeasure")
"""The entry types by which a party stops obligations (a ``resumption`` restarts them)."""


def stoppage_start(logged: LoggedEntry) -> dt.date:
    """The day a stoppage takes effect: its ``from`` date, else the day it was logged."""
    entry = entry_of(logged)
    start = entry.payload.get("from")
    return dt.date.fromisoformat(start) if isinstance(start, str) else entry.time.date()


def cite(logged: LoggedEntry) -> str:
    """How a summary names an entry: ``entry 4 of log example.org/us/log``."""
    return f"entry {logged.index} of log {logged.origin}"
