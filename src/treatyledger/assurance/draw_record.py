"""A draw as the two logs fix it: commitment, acknowledgment, declaration, reveal, designations.

The inspecting party logs a ``draw_commitment`` (the seed's SHA-256 and what
the draw is for). The inspected party acknowledges it in its own log; the
first ``data_exchange`` it logs after that acknowledgment is *the
declaration*, and the checkpoint of its log at the declaration (tree size
index + 1, the first that contains it) fixes the draw together with the
seed. The acknowledgment proves, in the inspected party's own log and without
trusting anyone's clock, that the seed was committed before the declaration
existed; the inspected party cannot steer the draw either, since it never
sees the seed. After the year's inspections the inspecting party logs a
``draw_reveal`` with the seed, naming the commitment and the declaration;
anyone then recomputes the draw and compares it with the sites the inspecting
party designated that year. Only the first commitment for a purpose (inspected
party, inspection type, quota year) counts, so committing to several seeds
gives no choice.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Final

from treatyledger.assurance.draw import DrawPurpose, draw_sites, parse_hex32, seed_hash
from treatyledger.assurance.inputs import PlanInputError
from treatyledger.compliance.reading import LoggedEntry, LoggedLog, read_log
from treatyledger.errors import NotFoundError, TreatyLedgerError, VerificationError
from treatyledger.ledger.envelope import Entry, Ref
from treatyledger.ledger.types import validate_entry
from treatyledger.log.export import export_files
from treatyledger.log.merkle import root_from_leaf_hashes
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "COMMITMENT_TYPE",
    "REVEAL_TYPE",
    "DrawCheck",
    "DrawRecord",
    "acknowledgment_entries",
    "check_draws",
    "commitment_entry",
    "find_commitment",
    "fix_draw",
    "read_live_log",
    "reveal_entry",
]

COMMITMENT_TYPE: Final = "draw_commitment"
REVEAL_TYPE: Final = "draw_reveal"


def commitment_entry(
    spec: TreatySpec,
    *,
    sender: str,
    seed: bytes,
    inspected_party: str,
    inspection_type: str,
    quota_year: dt.date,
    size: int,
    time: dt.datetime,
) -> Entry:
    """The ``draw_commitment`` entry for ``seed``, checked against the treaty."""
    start, _ = spec.inspections.quota_year(quota_year)
    if start != quota_year:
        raise PlanInputError(
            "quota year", f"{quota_year} is not the first day of a quota year (that is {start})"
        )
    if inspected_party == sender:
        raise PlanInputError("inspected party", "a party does not draw inspections of itself")
    entry = Entry(
        type=COMMITMENT_TYPE,
        treaty=spec.id,
        sender=sender,
        time=time,
        payload={
            "inspected_party": inspected_party,
            "inspection_type": inspection_type,
            "quota_year": quota_year.isoformat(),
            "seed_sha256": seed_hash(seed).hex(),
            "size": size,
        },
    )
    validate_entry(entry, spec)
    return entry


def reveal_entry(
    spec: TreatySpec,
    *,
    sender: str,
    seed: bytes,
    commitment: Ref,
    declaration: Ref,
    time: dt.datetime,
) -> Entry:
    """The ``draw_reveal`` entry: the seed, the commitment and the declaration it used."""
    entry = Entry(
        type=REVEAL_TYPE,
        treaty=spec.id,
        sender=sender,
        time=time,
        payload={"seed": seed.hex()},
        refs=(commitment, declaration),
    )
    validate_entry(entry, spec)
    return entry


def read_live_log(log: TransparencyLog) -> LoggedLog:
    """A party's own log, exported in memory and read back verified, as others read it."""
    files = dict(export_files(log))
    files["vkey"] = (log.verifier.vkey() + "\n").encode()

    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return read_log(fetch, log.verifier)


def acknowledgment_entries(
    spec: TreatySpec, own: LoggedLog, inspecting: LoggedLog, *, sender: str, time: dt.datetime
) -> list[Entry]:
    """Acknowledgments, by ``sender``, of every draw commitment about it in ``inspecting``
    that its own log ``own`` has not acknowledged yet, in log order."""
    done = {
        ref
        for logged, entry in _entries(own, "acknowledgment")
        if entry.sender == sender
        for ref in entry.refs
    }
    out: list[Entry] = []
    for logged, entry in _entries(inspecting, COMMITMENT_TYPE):
        ref = _ref(inspecting, logged)
        if entry.payload.get("inspected_party") == sender and ref not in done:
            ack = Entry(
                type="acknowledgment",
                treaty=spec.id,
                sender=sender,
                time=time,
                refs=(ref,),
                payload={},
            )
            validate_entry(ack, spec)
            out.append(ack)
    return out


def _ref(log: LoggedLog, logged: LoggedEntry) -> Ref:
    return Ref(origin=log.origin, index=logged.index, leaf_hash=logged.leaf_hash)


def _entries(log: LoggedLog, kind: str) -> Iterator[tuple[LoggedEntry, Entry]]:
    for logged in log.entries:
        if logged.entry is not None and logged.entry.type == kind:
            yield logged, logged.entry


def _purpose_key(entry: Entry) -> tuple[str, str, str]:
    p = entry.payload
    return str(p.get("inspected_party")), str(p.get("inspection_type")), str(p.get("quota_year"))


def find_commitment(log: LoggedLog, seed: bytes) -> LoggedEntry:
    """The commitment to ``seed`` in the inspecting party's ``log``; NotFoundError if none."""
    digest = seed_hash(seed).hex()
    for logged, entry in _entries(log, COMMITMENT_TYPE):
        if hmac.compare_digest(str(entry.payload.get("seed_sha256")), digest):
            return logged
    raise NotFoundError(f"{log.origin} holds no draw commitment to this seed")


@dataclass(frozen=True)
class DrawRecord:
    """A draw fixed by the logs: its pieces, its purpose, the eligible sites and the result."""

    commitment: Ref
    acknowledgment: Ref
    declaration: Ref
    inspecting_party: str
    purpose: DrawPurpose
    sites: tuple[str, ...]
    designations: tuple[str, ...]
    reveal: Ref | None = None

    def to_json(self) -> dict[str, Any]:
        """The draw and its provenance, hashes in lowercase hex."""
        p = self.purpose
        return {
            "treaty": p.treaty,
            "inspecting_party": self.inspecting_party,
            "inspected_party": p.inspected_party,
            "inspection_type": p.inspection_type,
            "quota_year": p.quota_year.isoformat(),
            "size": p.size,
            "tickets_per_site": p.cap,
            "commitment": self.commitment.to_json(),
            "acknowledgment": self.acknowledgment.to_json(),
            "declaration": self.declaration.to_json(),
            "reveal": None if self.reveal is None else self.reveal.to_json(),
            "checkpoint": {"origin": p.origin, "size": p.tree_size, "root_hash": p.root_hash.hex()},
            "eligible_sites": list(self.sites),
            "designations": list(self.designations),
        }


def _commitment_fields(spec: TreatySpec, entry: Entry) -> tuple[str, str, dt.date, int]:
    validate_entry(entry, spec)
    p = entry.payload
    quota_year = dt.date.fromisoformat(p["quota_year"])
    start, _ = spec.inspections.quota_year(quota_year)
    if start != quota_year:
        raise VerificationError(
            f"the commitment's quota year {quota_year} is not the first day of one ({start})"
        )
    if p["inspected_party"] == entry.sender:
        raise VerificationError("the commitment draws inspections of its own sender")
    return p["inspected_party"], p["inspection_type"], quota_year, p["size"]


def fix_draw(
    spec: TreatySpec,
    inspecting: LoggedLog,
    inspected: LoggedLog,
    commitment: LoggedEntry,
    seed: bytes,
) -> DrawRecord:
    """The draw that ``seed`` and the logs fix (see the module docstring).

    NotFoundError when a piece is not logged yet (the acknowledgment, the
    declaration); VerificationError when a rule does not hold (the seed does
    not match, an earlier commitment for the same purpose, a declaration that
    does not verify).
    """
    entry = commitment.entry
    if entry is None or entry.type != COMMITMENT_TYPE:
        raise VerificationError(f"{inspecting.origin}#{commitment.index} is not a draw commitment")
    digest = parse_hex32(entry.payload.get("seed_sha256"), "seed_sha256")
    if not hmac.compare_digest(seed_hash(seed), digest):
        raise VerificationError("the seed's SHA-256 is not the one committed to")
    party, type_id, quota_year, size = _commitment_fields(spec, entry)
    for logged, other in _entries(inspecting, COMMITMENT_TYPE):
        if logged.index >= commitment.index:
            break
        if other.sender == entry.sender and _purpose_key(other) == _purpose_key(entry):
            raise VerificationError(
                f"{inspecting.origin}#{logged.index} committed earlier to the same draw; "
                "only the first commitment counts"
            )
    wanted = _ref(inspecting, commitment)
    ack = next(
        (
            logged
            for logged, e in _entries(inspected, "acknowledgment")
            if e.sender == party and wanted in e.refs
        ),
        None,
    )
    if ack is None:
        raise NotFoundError(
            f"{party} has not acknowledged the commitment {wanted} in {inspected.origin}; "
            "the draw is not fixed yet"
        )
    declaration = next(
        (
            logged
            for logged, e in _entries(inspected, "data_exchange")
            if logged.index > ack.index and e.sender == party
        ),
        None,
    )
    if declaration is None:
        raise NotFoundError(
            f"{party} has logged no declaration since acknowledging the commitment "
            f"(#{ack.index}); the draw is not fixed yet"
        )
    if declaration.exchange is None:
        raise VerificationError(
            f"the declaration {inspected.origin}#{declaration.index} does not verify: "
            f"{declaration.problem}"
        )
    itype = spec.inspections.type(type_id)
    assert itype is not None  # checked with the payload
    sites = tuple(
        sorted(f.id for f in declaration.exchange.facilities if f.kind in itype.facility_kinds)
    )
    if not sites:
        raise VerificationError(f"the declaration lists no site for {itype.name} inspections")
    tree_size = declaration.index + 1
    purpose = DrawPurpose(
        treaty=spec.id,
        inspected_party=party,
        inspection_type=type_id,
        quota_year=quota_year,
        size=size,
        cap=spec.inspections.max_per_site_per_year or max(1, size),
        origin=inspected.origin,
        tree_size=tree_size,
        root_hash=root_from_leaf_hashes([e.leaf_hash for e in inspected.entries[:tree_size]]),
    )
    try:
        designations = draw_sites(seed, purpose, sites)
    except PlanInputError as exc:
        raise VerificationError(f"the committed draw cannot be made: {exc}") from exc
    return DrawRecord(
        commitment=wanted,
        acknowledgment=_ref(inspected, ack),
        declaration=_ref(inspected, declaration),
        inspecting_party=entry.sender,
        purpose=purpose,
        sites=sites,
        designations=designations,
    )


@dataclass(frozen=True)
class DrawCheck:
    """One revealed draw, the designations logged for it, and every problem found."""

    reveal: Ref
    record: DrawRecord | None
    logged: tuple[tuple[int, str], ...]
    """``(index, facility)`` of each site designation of that year, in log order."""
    problems: tuple[str, ...]

    @property
    def holds(self) -> bool:
        """Whether the draw is fixed by the logs and every designation followed it."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The check: the draw (if fixed), the logged designations, the problems."""
        return {
            "reveal": self.reveal.to_json(),
            "holds": self.holds,
            "draw": None if self.record is None else self.record.to_json(),
            "logged_designations": [{"index": i, "facility": f} for i, f in self.logged],
            "problems": list(self.problems),
        }


def _designations(
    spec: TreatySpec, inspecting: LoggedLog, record: DrawRecord
) -> tuple[tuple[int, str], ...]:
    """The site designations the inspecting party logged under the draw's purpose, in order.

    Those whose inspection request (in the same log) is of the draw's type, for
    its inspected party, with an arrival in its quota year.
    """
    p = record.purpose
    _, end = spec.inspections.quota_year(p.quota_year)
    found: list[tuple[int, str]] = []
    for logged, entry in _entries(inspecting, "site_designation"):
        if entry.sender != record.inspecting_party or not entry.refs:
            continue
        ref = entry.refs[0]
        if ref.origin != inspecting.origin or not 0 <= ref.index < len(inspecting.entries):
            continue
        target = inspecting.entries[ref.index]
        request = target.entry
        if target.leaf_hash != ref.leaf_hash or request is None:
            continue
        arrival = str(request.payload.get("arrival_at", ""))[:10]
        if (
            request.type == "inspection_request"
            and request.payload.get("inspection_type") == p.inspection_type
            and request.payload.get("inspected_party") == p.inspected_party
            and p.quota_year.isoformat() <= arrival < end.isoformat()
        ):
            found.append((logged.index, str(entry.payload.get("facility"))))
    return tuple(found)


def _check_reveal(
    spec: TreatySpec, inspecting: LoggedLog, inspected: LoggedLog, logged: LoggedEntry
) -> DrawCheck:
    reveal = logged.entry
    assert reveal is not None
    here = _ref(inspecting, logged)
    try:
        validate_entry(reveal, spec)
        seed = parse_hex32(reveal.payload["seed"], "seed")
        target, named = reveal.refs
        if target.origin != inspecting.origin or not 0 <= target.index < logged.index:
            raise VerificationError(f"the reveal's commitment {target} is not earlier in this log")
        commitment = inspecting.entries[target.index]
        if commitment.leaf_hash != target.leaf_hash:
            raise VerificationError(f"the reveal's commitment {target} is not the logged entry")
        if commitment.entry is not None and commitment.entry.sender != reveal.sender:
            raise VerificationError("the reveal's sender did not make the commitment")
        record = fix_draw(spec, inspecting, inspected, commitment, seed)
    except TreatyLedgerError as exc:
        return DrawCheck(reveal=here, record=None, logged=(), problems=(str(exc),))
    record = replace(record, reveal=here)
    problems: list[str] = []
    if named != record.declaration:
        problems.append(f"the reveal names {named}, but the draw is fixed by {record.declaration}")
    logged_sites = _designations(spec, inspecting, record)
    for number, (index, facility) in enumerate(logged_sites):
        if number >= len(record.designations):
            problems.append(
                f"designation #{number + 1} ({inspecting.origin}#{index}) exceeds the "
                f"{len(record.designations)} drawn"
            )
        elif facility != record.designations[number]:
            problems.append(
                f"designation #{number + 1} ({inspecting.origin}#{index}) is {facility}; "
                f"the draw says {record.designations[number]}"
            )
    return DrawCheck(reveal=here, record=record, logged=logged_sites, problems=tuple(problems))


def check_draws(spec: TreatySpec, inspecting: LoggedLog, inspected: LoggedLog) -> list[DrawCheck]:
    """Every draw the inspecting log reveals for the inspected log's party, recomputed and checked.

    NotFoundError when the inspecting log reveals none.
    """
    checks = [
        _check_reveal(spec, inspecting, inspected, logged)
        for logged, entry in _entries(inspecting, REVEAL_TYPE)
        if len(entry.refs) == 2 and entry.refs[1].origin == inspected.origin
    ]
    if not checks:
        raise NotFoundError(f"{inspecting.origin} reveals no draw for the log {inspected.origin}")
    return checks
