"""The data-exchange entry and the offline opening bundle.

A **data-exchange entry** is what a party appends to its own transparency log
for each declaration: a signed note (by the party's log key, whose name is the
log's origin) whose text is one line of canonical JSON in the envelope every
ledger entry uses::

    {"payload":{...},"refs":[],"sender":PARTY,"time":"YYYY-MM-DDTHH:MM:SSZ",
     "treaty":TREATY,"type":"data_exchange","v":1}

with the payload ``{"as_of", "commitment", "totals", "totals_proof",
"facilities"}``: the escrow commitment, the public totals per limit (what the
compliance check of limits reads), the totals proof (so anyone can check that
the totals are the root's) and the partner-tier facility list, one
``{"id", "kind", "totals", "counts"}`` per facility in increasing id order
(``counts`` lists the non-zero ``"<kind>/<status>"`` item counts). Canonical
JSON: keys sorted, separators ``,`` and ``:``, UTF-8 (not ASCII-escaped), one
line ending in a newline. :func:`parse_exchange` refuses any other form.

The **opening bundle** carries, for one facility, the signed entry, its RFC
9162 inclusion proof and the signed checkpoint it leads to, the facility-list
opening and the facility opening, so an inspector can check it offline with the
party's verifier key alone (:func:`verify_opening_bundle`).

Pure: no clock (the entry's time comes from a ``clock`` argument), no storage.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from treatyledger.errors import FormatError, VerificationError
from treatyledger.escrow.opening import (
    FacilityListOpening,
    FacilityOpening,
    OpenedFacility,
    TotalsProof,
    prove_totals,
    verify_facility_list,
    verify_facility_opening,
    verify_totals,
)
from treatyledger.escrow.opening_json import (
    facility_list_to_json,
    facility_opening_to_json,
    parse_facility_list,
    parse_facility_opening,
    parse_totals_proof,
    totals_proof_to_json,
)
from treatyledger.escrow.sumtree import (
    Commitment,
    Declaration,
    commitment_to_json,
    parse_commitment,
)
from treatyledger.ledger.envelope import Entry, entry_text, parse_entry_text
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint
from treatyledger.log.merkle import leaf_hash, verify_inclusion
from treatyledger.log.note import (
    NoteSigner,
    Verifier,
    decode_base64,
    encode_base64,
    open_note,
    sign_note,
)

__all__ = [
    "BUNDLE_VERSION",
    "ENTRY_TYPE",
    "ENTRY_VERSION",
    "DataExchange",
    "FacilityTotals",
    "VerifiedOpening",
    "build_exchange",
    "exchange_entry_text",
    "make_opening_bundle",
    "parse_exchange",
    "sign_exchange",
    "verify_opening_bundle",
]

ENTRY_TYPE: Final = "data_exchange"
ENTRY_VERSION: Final = 1
BUNDLE_VERSION: Final = 1

_PAYLOAD_KEYS = {"as_of", "commitment", "facilities", "totals", "totals_proof"}
_FACILITY_KEYS = {"counts", "id", "kind", "totals"}
_BUNDLE_KEYS = {"entry", "facility_list", "log", "opening", "version"}
_LOG_KEYS = {"checkpoint", "index", "origin", "proof"}
_WHAT = "data-exchange entry"


@dataclass(frozen=True)
class FacilityTotals:
    """One facility as the treaty partner sees it: id, kind, totals per limit, item counts.

    ``counts`` maps ``"<kind>/<status>"`` to a non-zero number of items.
    """

    id: str
    kind: str
    totals: Mapping[str, int]
    counts: Mapping[str, int]

    def vector(self, names: tuple[str, ...]) -> tuple[int, ...]:
        """The facility's vector under a layout's component names."""
        out = []
        for name in names:
            prefix, _, rest = name.partition("/")
            source = self.totals if prefix == "limit" else self.counts
            out.append(source.get(rest, 0))
        return tuple(out)


@dataclass(frozen=True)
class DataExchange:
    """A data-exchange entry: who, when, the commitment, its totals and the facility list."""

    treaty: str
    party: str
    as_of: dt.date
    time: dt.datetime
    commitment: Commitment
    totals_proof: TotalsProof
    totals: Mapping[str, int]
    facilities: tuple[FacilityTotals, ...]

    def facility(self, facility_id: str) -> FacilityTotals | None:
        """The facility with this id, if the entry lists it."""
        return next((f for f in self.facilities if f.id == facility_id), None)


def _split(
    names: tuple[str, ...], vector: tuple[int, ...]
) -> tuple[dict[str, int], dict[str, int]]:
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    for name, value in zip(names, vector, strict=True):
        prefix, _, rest = name.partition("/")
        if prefix == "limit":
            totals[rest] = value
        elif prefix == "count":
            if value:
                counts[rest] = value
        else:
            raise ValueError(f"component {name!r} is neither a limit nor a count")
    return totals, counts


def build_exchange(
    declaration: Declaration,
    facility_kinds: Mapping[str, str],
    *,
    clock: Callable[[], dt.datetime],
) -> DataExchange:
    """The data-exchange entry of a declaration; ``facility_kinds`` maps every facility id."""
    now = clock()
    if now.tzinfo is None or now.utcoffset() != dt.timedelta(0):
        raise ValueError("the clock must give UTC times")
    commitment = declaration.commitment
    names = commitment.layout.names
    facilities = []
    for node in declaration.facilities:
        totals, counts = _split(names, node.subtree_vector)
        facilities.append(
            FacilityTotals(node.facility, facility_kinds[node.facility], totals, counts)
        )
    ctx = commitment.context
    return DataExchange(
        treaty=ctx.treaty,
        party=ctx.party,
        as_of=ctx.as_of,
        time=now.replace(microsecond=0, tzinfo=dt.UTC),
        commitment=commitment,
        totals_proof=prove_totals(declaration),
        totals=commitment.totals_by_limit(),
        facilities=tuple(facilities),
    )


def exchange_entry_text(exchange: DataExchange) -> str:
    """The entry's note text: one line of canonical JSON and a newline.

    A one-line text can never be read as a checkpoint (which needs at least
    three lines: origin, size, root), so the party's log key signing both
    entries and checkpoints cannot be used to pass one off as the other.
    """
    payload = {
        "as_of": exchange.as_of.isoformat(),
        "commitment": json.loads(commitment_to_json(exchange.commitment)),
        "totals": dict(exchange.totals),
        "totals_proof": json.loads(totals_proof_to_json(exchange.totals_proof)),
        "facilities": [
            {"id": f.id, "kind": f.kind, "totals": dict(f.totals), "counts": dict(f.counts)}
            for f in exchange.facilities
        ],
    }
    entry = Entry(
        type=ENTRY_TYPE,
        treaty=exchange.treaty,
        sender=exchange.party,
        time=exchange.time,
        payload=payload,
        version=ENTRY_VERSION,
    )
    return entry_text(entry)


def sign_exchange(text: str, signer: NoteSigner) -> bytes:
    """The entry as a C2SP signed note by the party's log key (named as the log's origin)."""
    if text.count("\n") != 1:
        raise ValueError("a data-exchange entry is one line of text")
    return sign_note(text, [signer])


# -- strict parsing -------------------------------------------------------------------


def _fail(problem: str) -> NoReturn:
    raise FormatError(what=_WHAT, problem=problem)


def _object(value: object, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(f"{where} is not an object")
    if value.keys() != keys:
        unknown, missing = sorted(value.keys() - keys), sorted(keys - value.keys())
        _fail(f"{where}: unknown keys {unknown}, missing keys {missing}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(f"{where} is not a non-empty string")
    return value


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        _fail(f"{where} is not an integer from 0 to 2**64 - 1")
    return value


def _counts(value: object, where: str) -> dict[str, int]:
    if not isinstance(value, dict):
        _fail(f"{where} is not an object")
    return {_text(k, f"{where} key"): _count(v, f"{where}.{k}") for k, v in value.items()}


def _date(value: object, where: str) -> dt.date:
    text = _text(value, where)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"{where} is not a YYYY-MM-DD date")
    if day.isoformat() != text:
        _fail(f"{where} is not a YYYY-MM-DD date")
    return day


def _facilities(value: object, commitment: Commitment) -> tuple[FacilityTotals, ...]:
    if not isinstance(value, list) or not value:
        _fail("payload.facilities is not a non-empty list")
    limits = set(commitment.totals_by_limit())
    kinds = {f"{k}/{s}" for k, s in commitment.totals_by_kind_status()}
    out: list[FacilityTotals] = []
    for i, raw in enumerate(value):
        at = f"payload.facilities[{i}]"
        doc = _object(raw, _FACILITY_KEYS, at)
        totals, counts = (
            _counts(doc["totals"], f"{at}.totals"),
            _counts(doc["counts"], f"{at}.counts"),
        )
        if totals.keys() != limits:
            _fail(f"{at}.totals does not list exactly the limits {sorted(limits)}")
        if not counts.keys() <= kinds or 0 in counts.values():
            _fail(f"{at}.counts lists an unknown kind/status or a zero count")
        facility = FacilityTotals(
            _text(doc["id"], f"{at}.id"), _text(doc["kind"], f"{at}.kind"), totals, counts
        )
        if out and out[-1].id >= facility.id:
            _fail(f"{at}: facilities are not listed once each in increasing id order")
        out.append(facility)
    return tuple(out)


def _check_sums(exchange: DataExchange) -> None:
    commitment = exchange.commitment
    if dict(exchange.totals) != commitment.totals_by_limit():
        raise VerificationError(
            f"the entry's totals {dict(exchange.totals)} are not the commitment's "
            f"{commitment.totals_by_limit()}"
        )
    for limit, total in commitment.totals_by_limit().items():
        summed = sum(f.totals[limit] for f in exchange.facilities)
        if summed != total:
            raise VerificationError(
                f"the facility totals of {limit} sum to {summed}, but the total is {total}"
            )
    for (kind, status), total in commitment.totals_by_kind_status().items():
        summed = sum(f.counts.get(f"{kind}/{status}", 0) for f in exchange.facilities)
        if summed != total:
            raise VerificationError(
                f"the facility counts of {kind}/{status} sum to {summed}, but the total is {total}"
            )


def parse_exchange(note: bytes, verifier: Verifier) -> DataExchange:
    """Verify and read a signed data-exchange entry.

    Raises :class:`VerificationError` when the signature does not hold, the
    totals are not the commitment's (or not the root's, by the totals proof),
    or the facility totals do not sum to the totals; :class:`FormatError` for
    any other form than :func:`exchange_entry_text`'s.
    """
    text = open_note(note, [verifier]).text
    try:
        entry = parse_entry_text(text)
    except FormatError as exc:
        _fail(exc.problem)
    if entry.type != ENTRY_TYPE or entry.version != ENTRY_VERSION:
        _fail(f"type {entry.type!r} version {entry.version!r} is not {ENTRY_TYPE!r} version 1")
    if entry.refs:
        _fail("a data-exchange entry refers to no other entry (refs must be [])")
    payload = _object(entry.payload_json(), _PAYLOAD_KEYS, "payload")
    commitment = parse_commitment(_sub_json(payload["commitment"], "payload.commitment"))
    proof = parse_totals_proof(_sub_json(payload["totals_proof"], "payload.totals_proof"))
    treaty, party = entry.treaty, entry.sender
    as_of = _date(payload["as_of"], "payload.as_of")
    ctx = commitment.context
    if (ctx.treaty, ctx.party, ctx.as_of) != (treaty, party, as_of):
        raise VerificationError(
            f"the commitment is of {ctx.treaty}/{ctx.party}/{ctx.as_of}, "
            f"the entry of {treaty}/{party}/{as_of}"
        )
    exchange = DataExchange(
        treaty=treaty,
        party=party,
        as_of=as_of,
        time=entry.time,
        commitment=commitment,
        totals_proof=proof,
        totals=_counts(payload["totals"], "payload.totals"),
        facilities=_facilities(payload["facilities"], commitment),
    )
    try:
        verify_totals(proof, commitment)
    except VerificationError as exc:
        raise VerificationError(f"the totals proof does not hold: {exc}") from exc
    _check_sums(exchange)
    return exchange


def _sub_json(value: object, where: str) -> str:
    """An embedded escrow document, as the canonical text its own parser reads."""
    if not isinstance(value, dict):
        _fail(f"{where} is not an object")
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- the opening bundle -----------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedOpening:
    """What a verified bundle proves: this facility's items, in this logged declaration."""

    exchange: DataExchange
    checkpoint: Checkpoint
    index: int
    facility: FacilityTotals
    opened: OpenedFacility


def make_opening_bundle(
    *,
    entry: bytes,
    origin: str,
    index: int,
    proof: list[bytes],
    checkpoint: bytes,
    facility_list: FacilityListOpening,
    opening: FacilityOpening,
) -> bytes:
    """The bundle as UTF-8 JSON (format in the module docstring)."""
    bundle = {
        "version": BUNDLE_VERSION,
        "entry": entry.decode("utf-8"),
        "log": {
            "origin": origin,
            "index": index,
            "proof": [encode_base64(h) for h in proof],
            "checkpoint": checkpoint.decode("utf-8"),
        },
        "facility_list": json.loads(facility_list_to_json(facility_list)),
        "opening": json.loads(facility_opening_to_json(opening)),
    }
    return (json.dumps(bundle, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


@contextmanager
def _step(what: str) -> Iterator[None]:
    """Every failure inside names the step: ``<what>: <problem>`` as a VerificationError."""
    try:
        yield
    except (VerificationError, FormatError) as exc:
        raise VerificationError(f"{what}: {exc}") from exc


def _bundle(data: bytes) -> dict[str, Any]:
    def fail(problem: str) -> NoReturn:
        raise FormatError(what="opening bundle", problem=problem)

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        fail(f"not UTF-8 JSON: {exc}")
    if not isinstance(doc, dict) or doc.keys() != _BUNDLE_KEYS:
        fail(f"the document is not an object with exactly the keys {sorted(_BUNDLE_KEYS)}")
    if doc["version"] != BUNDLE_VERSION:
        fail(f"version {doc['version']!r} is not {BUNDLE_VERSION}")
    log = doc["log"]
    if not isinstance(log, dict) or log.keys() != _LOG_KEYS:
        fail(f"log is not an object with exactly the keys {sorted(_LOG_KEYS)}")
    for where, value in (("entry", doc["entry"]), ("log.checkpoint", log["checkpoint"])):
        if not isinstance(value, str):
            fail(f"{where} is not a string")
    if not isinstance(log["origin"], str) or not isinstance(log["proof"], list):
        fail("log.origin is not a string or log.proof not a list")
    index = log["index"]
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        fail("log.index is not a non-negative integer")
    return doc


def verify_opening_bundle(data: bytes, verifier: Verifier) -> VerifiedOpening:
    """Check a bundle offline against the party's log verifier key.

    In order: the checkpoint's signature, the entry's inclusion at its index
    under the checkpoint, the entry (signature, form, totals), the facility
    list against the entry's commitment and against the entry's facility
    totals, then the facility opening and its totals. Any failure is a
    :class:`VerificationError` whose message starts with the step that failed;
    a file that is not a bundle at all is a :class:`FormatError`.
    """
    doc = _bundle(data)
    log = doc["log"]
    with _step("checkpoint signature"):
        checkpoint = open_checkpoint(log["checkpoint"].encode("utf-8"), verifier)
    with _step("log inclusion"):
        if log["origin"] != checkpoint.origin:
            raise VerificationError(
                f"the bundle names log {log['origin']!r}, the checkpoint {checkpoint.origin!r}"
            )
        entry = doc["entry"].encode("utf-8")
        proof = [
            decode_base64(h, what="inclusion proof") if isinstance(h, str) else b""
            for h in log["proof"]
        ]
        verify_inclusion(
            leaf_hash=leaf_hash(entry),
            index=log["index"],
            size=checkpoint.size,
            proof=proof,
            root=checkpoint.root_hash,
        )
    with _step(_WHAT):
        exchange = parse_exchange(entry, verifier)
    commitment = exchange.commitment
    names = commitment.layout.names
    with _step("facility list"):
        listed = verify_facility_list(
            parse_facility_list(_sub_json(doc["facility_list"], "facility_list")), commitment
        )
        if list(listed) != [f.id for f in exchange.facilities]:
            raise VerificationError("the facility ids are not the entry's facility list")
        for facility in exchange.facilities:
            if listed[facility.id] != facility.vector(names):
                raise VerificationError(
                    f"facility {facility.id!r}: the committed totals differ from the entry's"
                )
    with _step("facility opening"):
        opened = verify_facility_opening(
            parse_facility_opening(_sub_json(doc["opening"], "opening")), commitment
        )
        listed_facility = exchange.facility(opened.facility)
        if listed_facility is None:
            raise VerificationError(f"facility {opened.facility!r} is not in the entry")
        if opened.vector != listed_facility.vector(names):
            raise VerificationError(
                f"the opened items of {opened.facility!r} do not give the entry's facility totals"
            )
    return VerifiedOpening(exchange, checkpoint, log["index"], listed_facility, opened)
