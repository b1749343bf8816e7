"""Read a treaty specification from TOML; the format is documented in docs/treaty-spec.md."""

from __future__ import annotations

import enum
import functools
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from treatyledger.errors import SpecError
from treatyledger.treaty._reader import Table
from treatyledger.treaty.events import DatePrecision, EventKind, Obligation, StatusEvent
from treatyledger.treaty.inspections import InspectionRules, InspectionType, QuotaScope
from treatyledger.treaty.limits import CountingRule, Each, Limit
from treatyledger.treaty.notifications import (
    Deadline,
    DeadlineRelation,
    FieldType,
    NotificationType,
    PayloadField,
)
from treatyledger.treaty.schedule import DataExchangeSchedule, SpecialExchange
from treatyledger.treaty.spec import (
    Commission,
    FacilityKind,
    FieldError,
    ItemKind,
    ItemType,
    Party,
    Status,
    TreatyDates,
    TreatySpec,
)
from treatyledger.treaty.timing import MonthDay, parse_duration

__all__ = ["load_spec", "parse_spec"]

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)


def load_spec(path: Path) -> TreatySpec:
    """Read and validate the specification in the TOML file at ``path``.

    Raises :class:`SpecError` naming the file, the field and the problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(source=str(path), field="", problem=f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(source=str(path), field="", problem="is not UTF-8 text") from exc
    return parse_spec(text, source=str(path))


def parse_spec(text: str, *, source: str) -> TreatySpec:
    """Validate a specification given as TOML text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(source=source, field="", problem=f"not valid TOML: {exc}") from exc
    unverified: list[str] = []
    doc = Table(data, source=source, path="", unverified=unverified)
    treaty = _required(doc, "treaty")
    ident, name = treaty.string("id"), treaty.string("name")
    illustrative, description = treaty.flag("illustrative", False), treaty.text("description")
    sources = tuple(treaty.strings("sources", []))
    treaty.close()
    dates_table = _required(doc, "dates")
    dates = dates_table.build(
        lambda: TreatyDates(
            signed=dates_table.day("signed"),
            entry_into_force=dates_table.day("entry_into_force"),
            expiry=dates_table.day("expiry", None),
        )
    )
    dates_table.close()
    parties = _each(doc, "parties", lambda t: Party(id=t.string("id"), name=t.string("name")))
    item_kinds = _each(
        doc,
        "item_kinds",
        lambda t: ItemKind(
            id=t.string("id"),
            name=t.string("name"),
            carries_warheads=t.flag("carries_warheads"),
            description=t.text("description"),
        ),
    )
    statuses = _each(
        doc,
        "statuses",
        lambda t: Status(
            id=t.string("id"), name=t.string("name"), description=t.text("description")
        ),
    )
    facility_kinds = _each(
        doc, "facility_kinds", lambda t: FacilityKind(id=t.string("id"), name=t.string("name"))
    )
    item_types = _each(
        doc,
        "item_types",
        lambda t: ItemType(
            id=t.string("id"),
            name=t.string("name"),
            kinds=tuple(t.strings("kinds")),
            parties=tuple(t.strings("parties")),
        ),
        required=False,
    )
    limits = _each(doc, "limits", _limit)
    data_exchange = _data_exchange(_required(doc, "data_exchange"))
    notifications = _each(doc, "notifications", _notification)
    inspections = _inspections(_required(doc, "inspections"))
    commission_table = _required(doc, "commission")
    commission = commission_table.build(
        lambda: Commission(
            name=commission_table.string("name"),
            sessions_per_year=commission_table.count("sessions_per_year"),
        )
    )
    commission_table.close()
    events = _each(doc, "events", _event, required=False)
    doc.close()
    try:
        return TreatySpec(
            id=ident,
            name=name,
            illustrative=illustrative,
            description=description,
            dates=dates,
            parties=tuple(parties),
            item_kinds=tuple(item_kinds),
            statuses=tuple(statuses),
            facility_kinds=tuple(facility_kinds),
            item_types=tuple(item_types),
            limits=tuple(limits),
            data_exchange=data_exchange,
            notifications=tuple(notifications),
            inspections=inspections,
            commission=commission,
            events=tuple(events),
            sources=sources,
            unverified=tuple(unverified),
        )
    except FieldError as exc:
        raise SpecError(source=source, field=exc.field, problem=exc.problem) from exc


def _required(doc: Table, key: str) -> Table:
    table = doc.table(key)
    assert table is not None
    return table


def _each(doc: Table, key: str, read: Callable[[Table], T], *, required: bool = True) -> list[T]:
    values: list[T] = []
    for table in doc.tables(key, required=required):
        values.append(table.build(functools.partial(read, table)))
        table.close()
    return values


def _choice(enum_type: type[E]) -> Callable[[object], E]:
    """A parser that accepts exactly the values of ``enum_type``."""

    def parse(value: object) -> E:
        for member in enum_type:
            if member.value == value:
                return member
        allowed = ", ".join(repr(m.value) for m in enum_type)
        raise ValueError(f"expected one of {allowed}, got {value!r}")

    return parse


def _limit(t: Table) -> Limit:
    party_caps: dict[str, int] = {}
    caps = t.table("party_caps", required=False)
    if caps is not None:
        for party in caps.keys():  # noqa: SIM118 - Table is not a dict
            if party != "unverified":  # the one key that is not a party
                party_caps[party] = caps.count(party)
        caps.close()
    counting = _each(
        t,
        "counting",
        lambda r: CountingRule(
            kinds=frozenset(r.strings("kinds")),
            statuses=frozenset(r.strings("statuses")),
            each=r.parse("each", Each.parse),
            note=r.text("note"),
        ),
    )
    return Limit(
        id=t.string("id"),
        name=t.string("name"),
        cap=t.count("cap"),
        effective=t.day("effective"),
        counting=tuple(counting),
        party_caps=party_caps,
        description=t.text("description"),
    )


def _data_exchange(t: Table) -> DataExchangeSchedule:
    special = _each(
        t,
        "special",
        lambda s: SpecialExchange(
            as_of=s.day("as_of"),
            due_within_days=s.count("due_within_days"),
            replaces=s.day("replaces", None),
            note=s.text("note"),
        ),
        required=False,
    )
    schedule = t.build(
        lambda: DataExchangeSchedule(
            initial_within_days=t.count("initial_within_days"),
            as_of=t.parse("as_of", _month_days),
            regular_from=t.day("regular_from"),
            due_within_days=t.count("due_within_days"),
            change_notice_days=t.count("change_notice_days"),
            warheads_change_only_at_exchange=t.flag("warheads_change_only_at_exchange"),
            special=tuple(special),
        )
    )
    t.close()
    return schedule


def _month_days(value: object) -> tuple[MonthDay, ...]:
    """A list of ``"MM-DD"`` days; a malformed one is reported at the list's own field."""
    if not isinstance(value, list):
        raise ValueError(f"expected a list of recurring days as 'MM-DD', got {value!r}")
    return tuple(MonthDay.parse(d) for d in value)


def _notification(t: Table) -> NotificationType:
    fields = _each(
        t,
        "fields",
        lambda f: PayloadField(
            name=f.string("name"),
            type=f.parse("type", _choice(FieldType)),
            required=f.flag("required", True),
            description=f.text("description"),
        ),
        required=False,
    )
    deadline = None
    d = t.table("deadline", required=False)
    if d is not None:
        relations = [r for r in DeadlineRelation if d.has(r.value)]
        if len(relations) != 1:
            raise d.fail("", "give exactly one of 'after' or 'before'")
        relation = relations[0]
        deadline = Deadline(
            relation=relation,
            within=d.parse(relation.value, parse_duration),
            event_field=d.string("event"),
        )
        d.close()
    return NotificationType(
        id=t.string("id"),
        description=t.string("description"),
        fields=tuple(fields),
        deadline=deadline,
        agreement=t.text("agreement"),
    )


def _inspections(t: Table) -> InspectionRules:
    types = _each(
        t,
        "types",
        lambda i: InspectionType(
            id=i.string("id"),
            name=i.string("name"),
            description=i.text("description"),
            annual_quota=i.count("annual_quota"),
            facility_kinds=frozenset(i.strings("facility_kinds")),
            notice_before_arrival=i.parse("notice_before_arrival", parse_duration),
            designation_within=i.parse("designation_within", parse_duration),
            restrictions_within=i.parse("restrictions_within", parse_duration),
            max_duration=i.parse("max_duration", parse_duration),
            reentry_vehicle_count=i.flag("reentry_vehicle_count"),
        ),
    )
    rules = t.build(
        lambda: InspectionRules(
            types=tuple(types),
            quota_year_start=t.parse("quota_year_start", MonthDay.parse),
            quota_scope=t.parse("quota_scope", _choice(QuotaScope)),
            one_at_a_time=t.flag("one_at_a_time"),
            max_per_site_per_year=t.count("max_per_site_per_year", None),
        )
    )
    t.close()
    return rules


def _event(t: Table) -> StatusEvent:
    return StatusEvent(
        date=t.day("date"),
        precision=t.parse("precision", _choice(DatePrecision), DatePrecision.DAY),
        kind=t.parse("kind", _choice(EventKind)),
        by=tuple(t.strings("by")),
        agreed=t.flag("agreed", False),
        affects=tuple(Obligation(a) for a in t.parse("affects", _obligations, [])),
        summary=t.string("summary"),
        source=t.text("source"),
    )


def _obligations(value: object) -> list[str]:
    allowed = {o.value for o in Obligation}
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of obligations")
    for i, v in enumerate(value):
        if v not in allowed:
            raise ValueError(f"{v!r} is not one of {', '.join(sorted(allowed))}")
        if v in value[:i]:
            raise ValueError(f"{v!r} is listed twice")
    return value
