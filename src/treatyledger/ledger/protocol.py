"""The protocol entry types: their payload fields and the entries they may refer to.

The treaty's notification catalogue (``spec.notifications``) defines the
notifications a party sends; the regime's own steps (data exchange,
acknowledgment, the inspection timeline, refusals and exemptions, the
consultative commission, suspension) are defined here, once for every treaty.
Each :class:`ProtocolType` lists its payload fields, each field's kind, and the
types of the entries its ``refs`` must point at, position by position.

A payload is checked as strictly as the catalogue checks a notification's:
unknown fields are refused, required fields must be present, every value has
its kind, identifiers are checked against the specification (parties,
inspection types, facility kinds, obligations). A failure raises
:class:`~treatyledger.errors.PayloadError` naming the field (``findings[1].kind``).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from treatyledger.errors import PayloadError
from treatyledger.treaty.events import Obligation
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "ANY_TYPE",
    "PROTOCOL_TYPES",
    "FieldKind",
    "ProtocolField",
    "ProtocolType",
    "Role",
    "check_protocol_payload",
    "protocol_type",
]

ANY_TYPE: Final = "*"
"""In a reference slot: an entry of any type."""

_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)
_DATE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_MAX_COUNT = 2**16


class FieldKind(enum.Enum):
    """The kind of one protocol payload field."""

    TEXT = "text"
    """A non-empty string that is not only white space."""
    IDENT = "ident"
    """A non-empty identifier without surrounding spaces (a UID, a facility id)."""
    UID_LIST = "uid_list"
    """A list of distinct identifiers (may be empty)."""
    TIME = "time"
    """A UTC time ``YYYY-MM-DDTHH:MM:SSZ``, as the envelope writes times."""
    DATE = "date"
    """A calendar date ``YYYY-MM-DD``."""
    PARTY = "party"
    INSPECTION_TYPE = "inspection_type"
    FACILITY_KIND = "facility_kind"
    FACILITIES = "facilities"
    """``"all"``, or a non-empty list of distinct facility ids."""
    OBLIGATIONS = "obligations"
    """A non-empty list of distinct :class:`~treatyledger.treaty.Obligation` values."""
    COUNT = "count"
    """An integer from 0 to 65,536."""
    OBJECT = "object"
    """A JSON object, checked by the entry type's own rule (an escrow document)."""
    REENTRY_VEHICLES = "reentry_vehicles"
    """``{"uid": <ident>, "counted": <count>}``: reentry vehicles on the designated missile."""
    FINDINGS = "findings"
    """A list of ``{"kind": "confirmed"|"discrepancy"|"ambiguity", "text": <text>}``
    objects, each with an optional ``"uid"``."""
    LIST = "list"
    """A JSON array, checked by the entry type's own rule (an escrow document)."""
    TOTALS = "totals"
    """An object giving a count for each central limit of the treaty, by limit id."""
    LIMIT = "limit"
    """The id of one central limit of the treaty."""


class Role(enum.Enum):
    """Who may send an entry of a type, relative to the entries it refers to."""

    ANY = "any"
    INSPECTING = "inspecting"
    """The party that requested the inspection."""
    INSPECTED = "inspected"
    """The party named ``inspected_party`` in the request."""
    OTHER = "other"
    """A party other than the sender of the referenced entry."""


@dataclass(frozen=True)
class ProtocolField:
    """One payload field of a protocol entry type."""

    name: str
    kind: FieldKind
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class ProtocolType:
    """A protocol entry type: payload fields and reference slots.

    ``ref_slots[i]`` is the set of entry types the ``i``-th reference may point
    at (:data:`ANY_TYPE` for any); every slot must be filled. ``more_refs``
    lets further references follow, each to one of those types, up to
    ``MAX_REFS`` in all. ``role`` says who may send it.
    """

    id: str
    description: str
    fields: tuple[ProtocolField, ...]
    ref_slots: tuple[frozenset[str], ...] = ()
    more_refs: frozenset[str] = frozenset()
    role: Role = Role.ANY

    def field(self, name: str) -> ProtocolField | None:
        """The payload field called ``name``, if there is one."""
        return next((f for f in self.fields if f.name == name), None)


class _FieldError(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.field = field
        self.problem = problem


def _bad(field: str, problem: str) -> NoReturn:
    raise _FieldError(field, problem)


def _text(value: object, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _bad(at, "expected a non-empty string")
    return value


def _ident(value: object, at: str) -> str:
    if not isinstance(value, str) or not value or value.strip() != value:
        _bad(at, "expected a non-empty identifier without surrounding spaces")
    return value


def _ident_list(value: object, at: str, *, empty: bool) -> list[str]:
    if not isinstance(value, list):
        _bad(at, "expected a list of identifiers")
    if not value and not empty:
        _bad(at, "expected at least one identifier")
    for i, item in enumerate(value):
        _ident(item, f"{at}[{i}]")
    if len(set(value)) != len(value):
        _bad(at, "the list repeats an identifier")
    return value


def _count(value: object, at: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_COUNT:
        _bad(at, f"expected an integer from 0 to {_MAX_COUNT}")
    return value


def _object(value: object, at: str, keys: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _bad(at, "expected an object")
    for key in sorted(value.keys() - keys - optional):
        _bad(f"{at}.{key}", "not a field of this object")
    for key in sorted(keys - value.keys()):
        _bad(f"{at}.{key}", "missing")
    return value


def _check_date(value: object, at: str) -> None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        _bad(at, "expected a date as YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        _bad(at, f"{value!r} is not a valid date")


def _check_time(value: object, at: str) -> None:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        _bad(at, "expected a UTC time as YYYY-MM-DDTHH:MM:SSZ")
    try:
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        _bad(at, f"{value!r} is not a valid time")


def _one_of(value: object, at: str, known: list[str], what: str) -> None:
    if not isinstance(value, str) or value not in known:
        _bad(at, f"{value!r} is not a {what} of the treaty ({', '.join(known)})")


def _check_findings(value: object, at: str) -> None:
    if not isinstance(value, list):
        _bad(at, "expected a list of findings")
    for i, raw in enumerate(value):
        where = f"{at}[{i}]"
        finding = _object(raw, where, {"kind", "text"}, {"uid"})
        if finding["kind"] not in ("confirmed", "discrepancy", "ambiguity"):
            _bad(f"{where}.kind", "expected 'confirmed', 'discrepancy' or 'ambiguity'")
        _text(finding["text"], f"{where}.text")
        if "uid" in finding:
            _ident(finding["uid"], f"{where}.uid")


def _check_obligations(value: object, at: str) -> None:
    names = [o.value for o in Obligation]
    for i, item in enumerate(_ident_list(value, at, empty=False)):
        if item not in names:
            _bad(f"{at}[{i}]", f"{item!r} is not one of {', '.join(names)}")


def _check_reentry(value: object, at: str) -> None:
    rv = _object(value, at, {"uid", "counted"}, set())
    _ident(rv["uid"], f"{at}.uid")
    _count(rv["counted"], f"{at}.counted")


def _check_facilities(value: object, at: str) -> None:
    if value != "all":
        _ident_list(value, at, empty=False)


def _check_totals(value: object, at: str, spec: TreatySpec) -> None:
    ids = {limit.id for limit in spec.limits}
    totals = _object(value, at, ids, set())
    for key in sorted(totals):
        _count(totals[key], f"{at}.{key}")


def _check_object(value: object, at: str) -> None:
    if not isinstance(value, dict):
        _bad(at, "expected an object")


def _check_list(value: object, at: str) -> None:
    if not isinstance(value, list):
        _bad(at, "expected a list")


_Check = Callable[[object, str, TreatySpec], object]
"""A field check: raises _FieldError; its return value is ignored."""

_CHECKS: Mapping[FieldKind, _Check] = {
    FieldKind.TEXT: lambda v, at, _: _text(v, at),
    FieldKind.IDENT: lambda v, at, _: _ident(v, at),
    FieldKind.UID_LIST: lambda v, at, _: _ident_list(v, at, empty=True),
    FieldKind.TIME: lambda v, at, _: _check_time(v, at),
    FieldKind.DATE: lambda v, at, _: _check_date(v, at),
    FieldKind.PARTY: lambda v, at, s: _one_of(v, at, [p.id for p in s.parties], "party"),
    FieldKind.INSPECTION_TYPE: lambda v, at, s: _one_of(
        v, at, [t.id for t in s.inspections.types], "inspection type"
    ),
    FieldKind.FACILITY_KIND: lambda v, at, s: _one_of(
        v, at, [k.id for k in s.facility_kinds], "facility kind"
    ),
    FieldKind.FACILITIES: lambda v, at, _: _check_facilities(v, at),
    FieldKind.OBLIGATIONS: lambda v, at, _: _check_obligations(v, at),
    FieldKind.COUNT: lambda v, at, _: _count(v, at),
    FieldKind.OBJECT: lambda v, at, _: _check_object(v, at),
    FieldKind.REENTRY_VEHICLES: lambda v, at, _: _check_reentry(v, at),
    FieldKind.FINDINGS: lambda v, at, _: _check_findings(v, at),
    FieldKind.LIST: lambda v, at, _: _check_list(v, at),
    FieldKind.TOTALS: _check_totals,
    FieldKind.LIMIT: lambda v, at, s: _one_of(v, at, [lim.id for lim in s.limits], "limit"),
}


def _later_or_equal(payload: Mapping[str, Any], first: str, second: str) -> None:
    if first in payload and second in payload and payload[second] < payload[first]:
        _bad(second, f"is before {first}")


def check_protocol_payload(
    ptype: ProtocolType, payload: Mapping[str, Any], spec: TreatySpec
) -> None:
    """Check a (thawed) payload against a protocol type; PayloadError naming the field."""
    try:
        for name in payload:
            if ptype.field(name) is None:
                _bad(name, "not a field of this entry type")
        for f in ptype.fields:
            if f.name not in payload:
                if f.required:
                    _bad(f.name, "missing")
                continue
            _CHECKS[f.kind](payload[f.name], f.name, spec)
        # Dates and times in the fixed formats compare correctly as text.
        _later_or_equal(payload, "from", "until")
        _later_or_equal(payload, "starts_on", "ends_on")
    except _FieldError as bad:
        raise PayloadError(notification=ptype.id, field=bad.field, problem=bad.problem) from None


# -- the types --------------------------------------------------------------------------

_F = ProtocolField
_K = FieldKind
_REQUEST = frozenset({"inspection_request"})
_DESIGNATION = frozenset({"site_designation"})
_STOPPAGES = frozenset({"suspension", "pause", "countermeasure"})

_TYPES = (
    ProtocolType(
        "data_exchange",
        "A declaration in escrow (docs/escrow.md): commitment, totals, facility list.",
        (
            _F("as_of", _K.DATE),
            _F("commitment", _K.OBJECT),
            _F("facilities", _K.LIST),
            _F("totals", _K.OBJECT),
            _F("totals_proof", _K.OBJECT),
        ),
    ),
    ProtocolType(
        "acknowledgment",
        "Receipt of another party's entry.",
        (_F("comment", _K.TEXT, required=False),),
        ref_slots=(frozenset({ANY_TYPE}),),
        role=Role.OTHER,
    ),
    ProtocolType(
        "inspection_request",
        "Notice of an inspection: its type, the inspected party, point and time of arrival.",
        (
            _F("inspection_type", _K.INSPECTION_TYPE),
            _F("inspected_party", _K.PARTY),
            _F("point_of_entry", _K.TEXT),
            _F("arrival_at", _K.TIME, description="arrival at the point of entry"),
        ),
    ),
    ProtocolType(
        "site_designation",
        "The inspecting party designates the site to inspect.",
        (_F("facility", _K.IDENT), _F("facility_kind", _K.FACILITY_KIND)),
        ref_slots=(_REQUEST,),
        role=Role.INSPECTING,
    ),
    ProtocolType(
        "pre_inspection_opening",
        "The inspected party opens its escrowed declaration of the designated facility.",
        (_F("facility", _K.IDENT), _F("opening", _K.OBJECT)),
        ref_slots=(_DESIGNATION, frozenset({"data_exchange"})),
        role=Role.INSPECTED,
    ),
    ProtocolType(
        "observations",
        "What the inspectors saw: UIDs, and reentry vehicles on the designated missile.",
        (
            _F("uids_seen", _K.UID_LIST),
            _F("reentry_vehicles", _K.REENTRY_VEHICLES, required=False),
            _F("comment", _K.TEXT, required=False),
        ),
        ref_slots=(_DESIGNATION,),
        role=Role.INSPECTING,
    ),
    ProtocolType(
        "inspection_report",
        "The factual report of an inspection, appended by the inspected party.",
        (_F("summary", _K.TEXT), _F("findings", _K.FINDINGS)),
        ref_slots=(_REQUEST,),
        more_refs=frozenset({"observations"}),
        role=Role.INSPECTED,
    ),
    ProtocolType(
        "report_countersignature",
        "The inspecting party signs the inspected party's report.",
        (_F("comment", _K.TEXT, required=False),),
        ref_slots=(frozenset({"inspection_report"}),),
        role=Role.INSPECTING,
    ),
    ProtocolType(
        "draw_commitment",
        "The inspecting party commits to the seed of a year's site draw (docs/assurance.md).",
        (
            _F("seed_sha256", _K.IDENT, description="SHA-256 of the 32-byte seed, lowercase hex"),
            _F("inspected_party", _K.PARTY),
            _F("inspection_type", _K.INSPECTION_TYPE),
            _F("quota_year", _K.DATE, description="the first day of the quota year"),
            _F("size", _K.COUNT, description="how many designations are drawn"),
        ),
    ),
    ProtocolType(
        "draw_reveal",
        "The committed seed, revealed: with the declaration named it fixes the draw.",
        (_F("seed", _K.IDENT, description="the 32-byte seed, lowercase hex"),),
        ref_slots=(frozenset({"draw_commitment"}), frozenset({"data_exchange"})),
    ),
    ProtocolType(
        "refusal",
        "A request (an inspection or a commission session) is refused.",
        (_F("reason", _K.TEXT),),
        ref_slots=(frozenset({"inspection_request", "commission_request"}),),
        role=Role.OTHER,
    ),
    ProtocolType(
        "exemption",
        "The sender declares facilities exempt from inspection for a period.",
        (
            _F("facilities", _K.FACILITIES),
            _F("reason", _K.TEXT),
            _F("from", _K.DATE),
            _F("until", _K.DATE, required=False, description="absent: until further notice"),
        ),
    ),
    ProtocolType(
        "commission_request",
        "A request for a session of the consultative commission.",
        (
            _F("agenda", _K.TEXT),
            _F("location", _K.TEXT, required=False),
            _F("proposed_start", _K.DATE, required=False),
        ),
    ),
    ProtocolType(
        "commission_postponement",
        "A requested or scheduled commission session is postponed.",
        (_F("reason", _K.TEXT), _F("new_start", _K.DATE, required=False)),
        ref_slots=(frozenset({"commission_request", "commission_meeting"}),),
    ),
    ProtocolType(
        "commission_meeting",
        "A session of the consultative commission: scheduled, or held.",
        (
            _F("location", _K.TEXT),
            _F("starts_on", _K.DATE),
            _F("ends_on", _K.DATE),
            _F("summary", _K.TEXT, required=False),
        ),
        more_refs=frozenset({"commission_request", "commission_postponement"}),
    ),
    ProtocolType(
        "suspension",
        "The sender suspends obligations of the treaty.",
        (_F("obligations", _K.OBLIGATIONS), _F("reason", _K.TEXT)),
    ),
    ProtocolType(
        "resumption",
        "The sender resumes obligations it suspended, paused or stopped as a countermeasure.",
        (_F("obligations", _K.OBLIGATIONS), _F("reason", _K.TEXT)),
        more_refs=_STOPPAGES,
    ),
    ProtocolType(
        "pause",
        "The sender pauses obligations by agreement; a joint pause refers to the others' pauses.",
        (
            _F("obligations", _K.OBLIGATIONS),
            _F("reason", _K.TEXT),
            _F("from", _K.DATE, required=False),
        ),
        more_refs=frozenset({"pause"}),
    ),
    ProtocolType(
        "countermeasure",
        "The sender stops obligations in response to another party's conduct, which it cites.",
        (
            _F("obligations", _K.OBLIGATIONS),
            _F("reason", _K.TEXT),
            _F("from", _K.DATE, required=False),
        ),
        more_refs=frozenset({ANY_TYPE}),
    ),
    ProtocolType(
        "published_totals",
        "Aggregate totals the sender made public without exchanging its database.",
        (
            _F("as_of", _K.DATE),
            _F("totals", _K.TOTALS),
            _F("source", _K.TEXT, required=False),
        ),
    ),
    ProtocolType(
        "dispute",
        "The sender contests another party's entry, giving its own reading.",
        (
            _F("claim", _K.TEXT),
            _F("limit", _K.LIMIT, required=False),
            _F("count", _K.COUNT, required=False, description="the sender's reading of the count"),
        ),
        ref_slots=(frozenset({ANY_TYPE}),),
        role=Role.OTHER,
    ),
)

PROTOCOL_TYPES: Final[Mapping[str, ProtocolType]] = {t.id: t for t in _TYPES}
"""Every protocol entry type by id."""


def protocol_type(type_id: str) -> ProtocolType | None:
    """The protocol entry type with this id, if there is one."""
    return PROTOCOL_TYPES.get(type_id)
