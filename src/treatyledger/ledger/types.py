"""Entry types and the check of an entry against a treaty: type, sender, time, payload, refs.

An entry's type is either a notification of the treaty's catalogue
(``spec.notifications``; its payload is checked by the specification) or one
of the protocol types of :mod:`treatyledger.ledger.protocol`. A treaty whose
catalogue reuses a protocol type's name is refused, since the entry would be
ambiguous.

:func:`validate_entry` refuses an entry with a specific error naming the field:

* :class:`EntryError` (``field`` = ``treaty``, ``type``, ``sender``, ``time``,
  ``refs`` or ``refs[i]``) for the envelope and the references;
* :class:`~treatyledger.errors.PayloadError` (``field`` = the payload field,
  ``findings[1].kind``) for the payload.

Times: an entry dated before the treaty's signature is refused; anything later
is accepted, including after a suspension or after expiry (such entries record
what happened). With ``now``, an entry more than :data:`CLOCK_SKEW` in the
future is refused. A catalogue notification is *not* refused for being late:
lateness is a compliance finding, and the late notification is its evidence.
The time limits of the inspection timeline are checked, because an entry that
breaks them is not a valid step: an inspection request must give at least the
inspection type's ``notice_before_arrival``, and a site designation must come
no later than ``designation_within`` after the requested arrival.

References are checked for form and count always, and against the entries
they name when a ``resolve`` callback is given. ``resolve(ref)`` returns the
entry logged at ``ref.index`` in log ``ref.origin`` *only if* the RFC 6962
leaf hash of its signed note is ``ref.leaf_hash``, else None
(:class:`EntryIndex` does this for notes held in memory). The referenced entry
must then be of the treaty, no later than the entry, of a type the slot allows,
and sent by the right party (an acknowledgment refers to another party's
entry, a countersignature to the other party's report, and so on).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from treatyledger.errors import FormatError, InputError, PayloadError, VerificationError
from treatyledger.escrow.commitment import parse_commitment
from treatyledger.escrow.opening import FacilityOpening, verify_facility_opening
from treatyledger.escrow.opening_json import parse_facility_opening
from treatyledger.ledger.envelope import Entry, Ref, parse_entry, parse_time
from treatyledger.ledger.exchange import ENTRY_TYPE as EXCHANGE_TYPE
from treatyledger.ledger.exchange import parse_exchange
from treatyledger.ledger.protocol import ANY_TYPE, PROTOCOL_TYPES, check_protocol_payload
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Verifier
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "CLOCK_SKEW",
    "EntryError",
    "EntryIndex",
    "Resolver",
    "check_payload",
    "entry_types",
    "read_entry",
    "validate_entry",
]

CLOCK_SKEW: Final = dt.timedelta(minutes=5)
"""How far in the future (against ``now``) an entry's time may be."""

Resolver = Callable[[Ref], Entry | None]


class EntryError(InputError):
    """An entry does not check against the treaty; ``field`` names the offending part."""

    def __init__(self, *, entry_type: str, field: str, problem: str) -> None:
        self.entry_type = entry_type
        self.field = field
        self.problem = problem
        super().__init__(f"{entry_type} entry: {field}: {problem}")


def entry_types(spec: TreatySpec) -> tuple[str, ...]:
    """Every entry type a party of ``spec`` may send, sorted."""
    return tuple(sorted(set(PROTOCOL_TYPES) | {n.id for n in spec.notifications}))


def check_payload(entry_type: str, payload: Mapping[str, Any], spec: TreatySpec) -> None:
    """Check a plain-JSON payload against its type; PayloadError (or EntryError for the type)."""
    ptype = PROTOCOL_TYPES.get(entry_type)
    notification = spec.notification(entry_type)
    if ptype is not None and notification is not None:
        raise EntryError(
            entry_type=entry_type,
            field="type",
            problem="the treaty's notification catalogue redefines this protocol type",
        )
    if ptype is not None:
        check_protocol_payload(ptype, payload, spec)
    elif notification is not None:
        notification.validate_payload(payload, spec.vocabulary())
    else:
        raise EntryError(
            entry_type=entry_type,
            field="type",
            problem=f"neither a protocol type nor a notification of {spec.id}",
        )


def validate_entry(
    entry: Entry,
    spec: TreatySpec,
    *,
    resolve: Resolver | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Check ``entry`` against ``spec`` (see the module docstring); raise on the first failure."""
    kind = entry.type

    def fail(field: str, problem: str) -> EntryError:
        return EntryError(entry_type=kind, field=field, problem=problem)

    if entry.treaty != spec.id:
        raise fail("treaty", f"{entry.treaty!r} is not this treaty ({spec.id!r})")
    if spec.party(entry.sender) is None:
        raise fail("sender", f"{entry.sender!r} is not a party of {spec.id}")
    if entry.time.date() < spec.dates.signed:
        raise fail("time", f"{entry.time:%Y-%m-%d} is before the treaty's signature")
    if now is not None and entry.time > now + CLOCK_SKEW:
        raise fail("time", f"{entry.time:%Y-%m-%dT%H:%M:%SZ} is in the future")
    payload = entry.payload_json()
    check_payload(kind, payload, spec)
    _check_ref_count(entry, fail)
    _check_own(entry, payload, spec)
    if resolve is not None:
        resolved = _resolve_all(entry, resolve, fail)
        _check_roles(entry, payload, spec, resolved, resolve=resolve, fail=fail)


def _check_ref_count(entry: Entry, fail: Callable[[str, str], EntryError]) -> None:
    ptype = PROTOCOL_TYPES.get(entry.type)
    if ptype is None:
        return  # a catalogue notification may cite any earlier entries
    need = len(ptype.ref_slots)
    if len(entry.refs) < need or (not ptype.more_refs and len(entry.refs) > need):
        exact = "exactly" if not ptype.more_refs else "at least"
        raise fail("refs", f"{len(entry.refs)} references; this type needs {exact} {need}")


def _payload_error(entry: Entry, field: str, problem: str) -> PayloadError:
    return PayloadError(notification=entry.type, field=field, problem=problem)


def _opening(entry: Entry, payload: Mapping[str, Any]) -> FacilityOpening:
    text = json.dumps(payload["opening"], sort_keys=True, separators=(",", ":"))
    try:
        opening = parse_facility_opening(text)
    except FormatError as exc:
        raise _payload_error(entry, "opening", exc.problem) from None
    if opening.facility != payload["facility"]:
        raise _payload_error(
            entry, "opening.facility", f"opens {opening.facility!r}, not {payload['facility']!r}"
        )
    return opening


def _check_own(entry: Entry, payload: Mapping[str, Any], spec: TreatySpec) -> None:
    """Checks that need the entry alone (and the specification)."""
    if entry.type == "inspection_request":
        if payload["inspected_party"] == entry.sender:
            raise _payload_error(entry, "inspected_party", "a party cannot inspect itself")
        itype = spec.inspections.type(payload["inspection_type"])
        assert itype is not None  # checked with the payload
        notice = parse_time(payload["arrival_at"], "arrival_at") - entry.time
        if notice < itype.notice_before_arrival:
            raise _payload_error(
                entry,
                "arrival_at",
                f"gives {_hours(notice)} of notice; {itype.name} needs at least "
                f"{_hours(itype.notice_before_arrival)}",
            )
    elif entry.type == "pre_inspection_opening":
        _opening(entry, payload)


def _hours(delta: dt.timedelta) -> str:
    return f"{delta / dt.timedelta(hours=1):g}h"


def _resolve_all(
    entry: Entry, resolve: Resolver, fail: Callable[[str, str], EntryError]
) -> tuple[Entry, ...]:
    ptype = PROTOCOL_TYPES.get(entry.type)
    out: list[Entry] = []
    for i, ref in enumerate(entry.refs):
        at = f"refs[{i}]"
        target = resolve(ref)
        if target is None:
            raise fail(
                at,
                f"no entry {ref.index} of log {ref.origin!r} with leaf hash "
                f"{ref.leaf_hash.hex()} (missing, or a different entry is logged there)",
            )
        if target.treaty != entry.treaty:
            raise fail(at, f"refers to an entry of treaty {target.treaty!r}")
        if target.time > entry.time:
            raise fail(at, "refers to an entry dated later than this one")
        if ptype is not None:
            allowed = ptype.ref_slots[i] if i < len(ptype.ref_slots) else ptype.more_refs
            if ANY_TYPE not in allowed and target.type not in allowed:
                raise fail(
                    at, f"refers to a {target.type} entry; expected {' or '.join(sorted(allowed))}"
                )
        out.append(target)
    return tuple(out)


def _follow(entry: Entry, resolve: Resolver, i: int = 0) -> Entry | None:
    """The entry ``entry.refs[i]`` names, when it resolves."""
    return resolve(entry.refs[i]) if len(entry.refs) > i else None


def _check_roles(
    entry: Entry,
    payload: Mapping[str, Any],
    spec: TreatySpec,
    refs: tuple[Entry, ...],
    *,
    resolve: Resolver,
    fail: Callable[[str, str], EntryError],
) -> None:
    """Checks across entries: who may answer what, and the inspection timeline."""
    kind, sender = entry.type, entry.sender
    if kind in ("acknowledgment", "refusal", "dispute") and refs[0].sender == sender:
        raise fail("refs[0]", f"refers to the sender's own {refs[0].type} entry")
    if kind in ("countermeasure", "pause"):
        for i, cited in enumerate(refs):
            if cited.sender == sender:
                raise fail(f"refs[{i}]", f"a {kind} cites another party's entry, not its own")
    if kind == "refusal" and refs[0].type == "inspection_request":
        if refs[0].payload.get("inspected_party") != sender:
            raise fail("sender", "only the inspected party can refuse an inspection request")
    elif kind == "site_designation":
        _check_designation(entry, payload, spec, refs[0], fail)
    elif kind == "pre_inspection_opening":
        _check_opening(entry, payload, refs, resolve, fail)
    elif kind == "observations":
        if refs[0].sender != sender:
            raise fail("sender", "observations are made by the party that designated the site")
        request = _follow(refs[0], resolve)
        itype = (
            spec.inspections.type(request.payload.get("inspection_type", "")) if request else None
        )
        if "reentry_vehicles" in payload and itype and not itype.reentry_vehicle_count:
            raise _payload_error(
                entry, "reentry_vehicles", f"{itype.name} inspections count no reentry vehicles"
            )
    elif kind == "inspection_report":
        request = refs[0]
        if request.payload.get("inspected_party") != sender:
            raise fail("sender", "the report is appended by the inspected party")
        for i, obs in enumerate(refs[1:], start=1):
            designation = _follow(obs, resolve)
            if obs.sender != request.sender or (
                designation is not None and designation.refs[:1] != entry.refs[:1]
            ):
                raise fail(f"refs[{i}]", "these observations are not of the reported inspection")
    elif kind == "report_countersignature":
        request = _follow(refs[0], resolve)
        if refs[0].sender == sender or (request is not None and request.sender != sender):
            raise fail("sender", "the report is countersigned by the inspecting party")
    elif kind == "resumption":
        suspended: set[str] = set()
        for i, suspension in enumerate(refs):
            if suspension.sender != sender:
                raise fail(f"refs[{i}]", f"a party resumes only its own {suspension.type}")
            suspended.update(suspension.payload.get("obligations", ()))
        extra = sorted(set(payload["obligations"]) - suspended) if refs else []
        if extra:
            raise _payload_error(entry, "obligations", f"{extra} were not stopped by refs")


def _check_designation(
    entry: Entry,
    payload: Mapping[str, Any],
    spec: TreatySpec,
    request: Entry,
    fail: Callable[[str, str], EntryError],
) -> None:
    if request.sender != entry.sender:
        raise fail("sender", "the site is designated by the party that requested the inspection")
    itype = spec.inspections.type(request.payload.get("inspection_type", ""))
    if itype is None:
        raise fail("refs[0]", "the request names an inspection type the treaty does not have")
    if payload["facility_kind"] not in itype.facility_kinds:
        raise _payload_error(
            entry,
            "facility_kind",
            f"{itype.name} inspections are at {', '.join(sorted(itype.facility_kinds))}",
        )
    arrival = parse_time(request.payload["arrival_at"], "arrival_at")
    if entry.time > arrival + itype.designation_within:
        raise fail(
            "time",
            f"designated {_hours(entry.time - arrival)} after arrival; {itype.name} allows "
            f"{_hours(itype.designation_within)}",
        )


def _check_opening(
    entry: Entry,
    payload: Mapping[str, Any],
    refs: tuple[Entry, ...],
    resolve: Resolver,
    fail: Callable[[str, str], EntryError],
) -> None:
    designation, exchange = refs
    request = _follow(designation, resolve)
    inspected = request.payload.get("inspected_party") if request is not None else None
    if designation.sender == entry.sender or inspected not in (None, entry.sender):
        raise fail("sender", "the declaration is opened by the inspected party")
    if payload["facility"] != designation.payload["facility"]:
        raise _payload_error(
            entry, "facility", f"the designated facility is {designation.payload['facility']!r}"
        )
    if exchange.sender != entry.sender:
        raise fail("refs[1]", "refers to another party's data exchange")
    commitment_json = json.dumps(
        exchange.payload_json()["commitment"], sort_keys=True, separators=(",", ":")
    )
    try:
        commitment = parse_commitment(commitment_json)
        verify_facility_opening(_opening(entry, payload), commitment)
    except (FormatError, VerificationError) as exc:
        raise _payload_error(
            entry, "opening", f"does not open the commitment of refs[1]: {exc}"
        ) from None


class EntryIndex:
    """Signed entries held in memory by (origin, index), with a :meth:`resolve` for them."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], tuple[bytes, Entry]] = {}

    def add(self, origin: str, index: int, note: bytes, verifier: Verifier) -> Ref:
        """Parse (and verify) ``note`` as logged at ``index`` of ``origin``; its reference."""
        entry = parse_entry(note, verifier)
        digest = leaf_hash(note)
        self._entries[(origin, index)] = (digest, entry)
        return Ref(origin=origin, index=index, leaf_hash=digest)

    def resolve(self, ref: Ref) -> Entry | None:
        """The entry ``ref`` names, if it is held with that leaf hash."""
        held = self._entries.get((ref.origin, ref.index))
        if held is None or held[0] != ref.leaf_hash:
            return None
        return held[1]


def read_entry(note: bytes, verifier: Verifier) -> Entry:
    """Verify and read a signed entry, and for a data exchange its escrow content too.

    :func:`~treatyledger.ledger.envelope.parse_entry` checks the signature and
    the envelope; a ``data_exchange`` entry is also read by
    :func:`~treatyledger.ledger.exchange.parse_exchange`, which checks its
    commitment, totals proof and facility sums (and raises its own errors).
    """
    entry = parse_entry(note, verifier)
    if entry.type == EXCHANGE_TYPE:
        parse_exchange(note, verifier)
    return entry
