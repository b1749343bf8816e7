"""A treaty specification: the whole regime of one treaty, as data.

A :class:`TreatySpec` is built by :func:`treatyledger.treaty.load_spec` from a
TOML file (the format is documented in ``docs/treaty-spec.md``) and checked
when it is built: every identifier it refers to exists, every rule is
well-formed. The rest of treatyledger reads the regime from here and never
hard-codes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from treatyledger.treaty.events import StatusEvent
from treatyledger.treaty.inspections import InspectionRules
from treatyledger.treaty.limits import CountBasis, Limit
from treatyledger.treaty.notifications import NotificationType, Vocabulary
from treatyledger.treaty.schedule import DataExchangeSchedule
from treatyledger.treaty.timing import MonthDay

__all__ = [
    "Commission",
    "FacilityKind",
    "FieldError",
    "ItemKind",
    "ItemType",
    "Party",
    "Status",
    "TreatyDates",
    "TreatySpec",
]

_IDENT = re.compile(r"[a-z][a-z0-9_]*")
_PARTY = re.compile(r"[A-Z]{2,3}")


class FieldError(ValueError):
    """A value of a specification is wrong; ``field`` is its dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def _check_ident(value: str, what: str) -> None:
    if not _IDENT.fullmatch(value):
        raise ValueError(f"{what} must be lower_snake_case (a-z, 0-9, _), got {value!r}")


@dataclass(frozen=True)
class Party:
    """A state party to the treaty, named by a short upper-case code (``US``, ``RU``)."""

    id: str
    name: str

    def __post_init__(self) -> None:
        if not _PARTY.fullmatch(self.id):
            raise ValueError(f"a party id is 2 or 3 capital letters, got {self.id!r}")


@dataclass(frozen=True)
class ItemKind:
    """A kind of accountable item: a missile, a launcher, a bomber."""

    id: str
    name: str
    carries_warheads: bool
    """Whether items of this kind carry a declared number of warheads."""
    description: str = ""

    def __post_init__(self) -> None:
        _check_ident(self.id, "an item kind id")


@dataclass(frozen=True)
class Status:
    """A status an item can be in (deployed, non-deployed, ...)."""

    id: str
    name: str
    description: str = ""

    def __post_init__(self) -> None:
        _check_ident(self.id, "a status id")


@dataclass(frozen=True)
class FacilityKind:
    """A kind of declared facility (ICBM base, submarine base, storage facility, ...)."""

    id: str
    name: str

    def __post_init__(self) -> None:
        _check_ident(self.id, "a facility kind id")


@dataclass(frozen=True)
class ItemType:
    """A named type (Minuteman III, RS-24 Yars) and the kinds of item it applies to.

    A missile type names both the missile and its launchers, as the treaty's
    database does ("ICBM launchers of Minuteman III").
    """

    id: str
    name: str
    kinds: tuple[str, ...]
    parties: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_ident(self.id, "an item type id")
        if not self.kinds:
            raise ValueError("an item type applies to at least one item kind")


@dataclass(frozen=True)
class TreatyDates:
    """The treaty's own dates. ``expiry`` is the final one, after any extension."""

    signed: dt.date
    entry_into_force: dt.date
    expiry: dt.date | None

    def __post_init__(self) -> None:
        if self.entry_into_force < self.signed:
            raise ValueError("entry into force cannot precede signature")
        if self.expiry is not None and self.expiry <= self.entry_into_force:
            raise ValueError("expiry must come after entry into force")

    def in_force(self, day: dt.date) -> bool:
        """Whether the treaty was in force on ``day``."""
        return self.entry_into_force <= day and (self.expiry is None or day < self.expiry)


@dataclass(frozen=True)
class Commission:
    """The consultative commission's rhythm."""

    name: str
    sessions_per_year: int

    def __post_init__(self) -> None:
        if self.sessions_per_year < 0:
            raise ValueError("sessions_per_year must be non-negative")


@dataclass(frozen=True)
class TreatySpec:
    """The regime of one treaty. Every cross-reference is checked when it is built."""

    id: str
    name: str
    illustrative: bool
    description: str
    dates: TreatyDates
    parties: tuple[Party, ...]
    item_kinds: tuple[ItemKind, ...]
    statuses: tuple[Status, ...]
    facility_kinds: tuple[FacilityKind, ...]
    item_types: tuple[ItemType, ...]
    limits: tuple[Limit, ...]
    data_exchange: DataExchangeSchedule
    notifications: tuple[NotificationType, ...]
    inspections: InspectionRules
    commission: Commission
    events: tuple[StatusEvent, ...]
    sources: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()
    """Dotted paths of values the public record could not confirm; configurable on purpose."""

    def __post_init__(self) -> None:
        problem = next(self._problems(), None)
        if problem is not None:
            raise problem

    def _problems(self) -> Iterator[FieldError]:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.id):
            yield FieldError(
                "treaty.id", f"must be lower-case words joined by '-', got {self.id!r}"
            )
        for section, ids in (
            ("parties", [p.id for p in self.parties]),
            ("item_kinds", [k.id for k in self.item_kinds]),
            ("statuses", [s.id for s in self.statuses]),
            ("facility_kinds", [f.id for f in self.facility_kinds]),
            ("item_types", [t.id for t in self.item_types]),
            ("limits", [lim.id for lim in self.limits]),
            ("notifications", [n.id for n in self.notifications]),
        ):
            for i, ident in enumerate(ids):
                if ident in ids[:i]:
                    yield FieldError(f"{section}[{i}].id", f"{ident!r} is declared twice")
        if len(self.parties) < 2:
            yield FieldError("parties", "a treaty needs at least two parties")
        yield from self._reference_problems()

    def _reference_problems(self) -> Iterator[FieldError]:
        parties = {p.id for p in self.parties}
        kinds = {k.id: k for k in self.item_kinds}
        statuses = {s.id for s in self.statuses}
        for i, t in enumerate(self.item_types):
            for k in t.kinds:
                if k not in kinds:
                    yield FieldError(f"item_types[{i}].kinds", f"unknown item kind {k!r}")
            for p in t.parties:
                if p not in parties:
                    yield FieldError(f"item_types[{i}].parties", f"unknown party {p!r}")
        for i, lim in enumerate(self.limits):
            for p in lim.party_caps:
                if p not in parties:
                    yield FieldError(f"limits[{i}].party_caps", f"unknown party {p!r}")
            if not self.dates.in_force(lim.effective):
                yield FieldError(
                    f"limits[{i}].effective", "is not a day on which the treaty is in force"
                )
            for j, rule in enumerate(lim.counting):
                where = f"limits[{i}].counting[{j}]"
                for k in sorted(rule.kinds - kinds.keys()):
                    yield FieldError(f"{where}.kinds", f"unknown item kind {k!r}")
                for s in sorted(rule.statuses - statuses):
                    yield FieldError(f"{where}.statuses", f"unknown status {s!r}")
                if rule.each.basis is CountBasis.WARHEADS:
                    for k in sorted(rule.kinds & kinds.keys()):
                        if not kinds[k].carries_warheads:
                            yield FieldError(
                                f"{where}.each",
                                f"counts warheads, but item kind {k!r} carries none "
                                "(set carries_warheads = true or count it another way)",
                            )
        yield from self._schedule_problems()
        facility_kinds = {f.id for f in self.facility_kinds}
        for i, it in enumerate(self.inspections.types):
            for fk in sorted(it.facility_kinds - facility_kinds):
                yield FieldError(
                    f"inspections.types[{i}].facility_kinds", f"unknown facility kind {fk!r}"
                )
        for i, ev in enumerate(self.events):
            for p in ev.by:
                if p not in parties:
                    yield FieldError(f"events[{i}].by", f"unknown party {p!r}")

    def _schedule_problems(self) -> Iterator[FieldError]:
        schedule = self.data_exchange
        if not self.dates.in_force(schedule.regular_from):
            yield FieldError(
                "data_exchange.regular_from", "is not a day on which the treaty is in force"
            )
        for i, special in enumerate(schedule.special):
            if not self.dates.in_force(special.as_of):
                yield FieldError(
                    f"data_exchange.special[{i}].as_of",
                    "is not a day on which the treaty is in force",
                )
            replaces = special.replaces
            if replaces is not None and (
                MonthDay(replaces.month, replaces.day) not in schedule.as_of
                or replaces < schedule.regular_from
            ):
                yield FieldError(
                    f"data_exchange.special[{i}].replaces",
                    f"{replaces} is not a regular exchange date of the schedule",
                )

    # -- lookups -------------------------------------------------------------

    def party(self, party_id: str) -> Party | None:
        """The party with this id, if there is one."""
        return next((p for p in self.parties if p.id == party_id), None)

    def limit(self, limit_id: str) -> Limit | None:
        """The limit with this id, if there is one."""
        return next((lim for lim in self.limits if lim.id == limit_id), None)

    def item_kind(self, kind_id: str) -> ItemKind | None:
        """The item kind with this id, if there is one."""
        return next((k for k in self.item_kinds if k.id == kind_id), None)

    def notification(self, type_id: str) -> NotificationType | None:
        """The notification type with this id, if there is one."""
        return next((n for n in self.notifications if n.id == type_id), None)

    def vocabulary(self) -> Vocabulary:
        """The identifiers a notification payload may refer to."""
        return Vocabulary(
            item_kinds=frozenset(k.id for k in self.item_kinds),
            statuses=frozenset(s.id for s in self.statuses),
            parties=frozenset(p.id for p in self.parties),
        )

    def limits_in_force(self, day: dt.date) -> tuple[Limit, ...]:
        """The limits binding on ``day``: in effect, and the treaty in force."""
        if not self.dates.in_force(day):
            return ()
        return tuple(lim for lim in self.limits if lim.effective <= day)
