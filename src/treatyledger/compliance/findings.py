"""Findings: what the compliance engine concludes, with evidence anyone can re-check offline.

A finding names a rule, a severity, the party responsible and a sentence a
diplomat would accept, and carries its evidence: for each entry it relies on,
the log's origin, the entry's index, its leaf hash, the RFC 9162 inclusion
proof against the log's signed checkpoint, the checkpoint itself, the entry's
signed note and the log's verifier key. A finding file therefore verifies
with nothing else (:func:`verify_finding`).

Trust: a finding that carries its own verifier keys proves only that its
evidence is consistent (these bytes were logged under a checkpoint signed by
the key in the file). Pinning the keys (``vkeys``), obtained independently
of the file, proves who logged the entries.

Pure: no clock, no storage.
"""

from __future__ import annotations

import enum
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from treatyledger.compliance.attestation import (
    Attestation,
    parse_attestation,
    verify_attestation,
)
from treatyledger.errors import FormatError, TreatyLedgerError, VerificationError
from treatyledger.ledger.envelope import Entry, parse_entry_text
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.equivocation import Evidence as Equivocation
from treatyledger.log.equivocation import verify_evidence as verify_equivocation
from treatyledger.log.merkle import leaf_hash, verify_inclusion
from treatyledger.log.note import Ed25519Verifier, decode_base64, encode_base64, open_note

__all__ = [
    "Evidence",
    "Finding",
    "Proof",
    "Severity",
    "findings_to_json",
    "parse_finding",
    "parse_findings",
    "verify_evidence",
    "verify_finding",
    "verify_proof",
]

_WHAT = "finding"
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_RULE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", re.ASCII)
_FINDING_KEYS = {"rule", "severity", "party", "summary", "evidence"}
_EVIDENCE_KEYS = {
    "origin",
    "index",
    "leaf_hash",
    "proof",
    "checkpoint",
    "entry",
    "vkey",
    "time_attested",
}


class Severity(enum.Enum):
    """How grave a finding is."""

    VIOLATION = "violation"
    """An obligation was not met."""
    CONCERN = "concern"
    """Something a party should explain; the ledger alone cannot settle it."""
    INFO = "info"
    """A fact worth recording (a suspension in effect, a refusal the treaty allows)."""


@dataclass(frozen=True)
class Evidence:
    """One logged entry, with everything needed to check offline that it was logged."""

    origin: str
    index: int
    leaf_hash: bytes
    proof: tuple[bytes, ...]
    checkpoint: bytes
    """The log's signed checkpoint (note bytes) the proof leads to."""
    entry: bytes
    """The entry's signed note, as logged."""
    vkey: str
    """The log's verifier key, ``name+hex8+base64``."""
    attestation: Attestation | None = None
    """The earliest trusted witness cosignature on a checkpoint that includes the entry."""

    @property
    def time_attested(self) -> bool:
        """Whether a witness attests when the entry existed; otherwise its time is the sender's."""
        return self.attestation is not None

    def to_json(self) -> dict[str, Any]:
        """``origin``, ``index``, ``leaf_hash`` (hex), ``proof`` (base64 list) and the extras."""
        return {
            "origin": self.origin,
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "proof": [encode_base64(h) for h in self.proof],
            "checkpoint": self.checkpoint.decode("utf-8"),
            "entry": encode_base64(self.entry),
            "vkey": self.vkey,
            "time_attested": self.time_attested,
            **({"attested": self.attestation.to_json()} if self.attestation else {}),
        }


@dataclass(frozen=True)
class Proof:
    """Two checkpoints a log signed that cannot both be true, and the log's key."""

    record: Equivocation
    vkey: str
    """The accused log's verifier key, ``name+hex8+base64``."""

    def to_json(self) -> dict[str, Any]:
        """The evidence record (``origin``, ``kind``, ``older``, ``newer``, ...) and ``vkey``."""
        return {**self.record.to_json(), "vkey": self.vkey}


@dataclass(frozen=True)
class Finding:
    """A conclusion of one rule about one party, with its evidence.

    ``equivocation`` holds proofs that a log showed two histories (a witness's
    two signed checkpoints), for findings that rest on them.
    """

    rule: str
    severity: Severity
    party: str
    summary: str
    evidence: tuple[Evidence, ...] = ()
    equivocation: tuple[Proof, ...] = ()

    def __post_init__(self) -> None:
        if not _RULE.fullmatch(self.rule):
            raise ValueError(f"a rule id is dotted lower_snake_case, got {self.rule!r}")
        if not self.summary.strip():
            raise ValueError("a finding needs a summary")

    def to_json(self) -> dict[str, Any]:
        """``{"rule", "severity", "party", "summary", "evidence": [...]}``."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "party": self.party,
            "summary": self.summary,
            "evidence": [e.to_json() for e in self.evidence],
            **(
                {"equivocation": [p.to_json() for p in self.equivocation]}
                if self.equivocation
                else {}
            ),
        }


def findings_to_json(findings: Sequence[Finding]) -> dict[str, Any]:
    """``{"findings": [...]}``, the document ``treaty comply --json`` prints."""
    return {"findings": [f.to_json() for f in findings]}


# -- reading ----------------------------------------------------------------------------


def _fail(problem: str) -> NoReturn:
    raise FormatError(what=_WHAT, problem=problem)


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        _fail(f"{where} is not a string")
    return value


def _evidence(value: object, where: str) -> Evidence:
    if not isinstance(value, dict):
        _fail(f"{where} is not an object")
    missing = sorted(_EVIDENCE_KEYS - value.keys())
    if missing:
        _fail(f"{where} lacks {', '.join(missing)}")
    index = value["index"]
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        _fail(f"{where}.index is not a non-negative integer")
    digest = _str(value["leaf_hash"], f"{where}.leaf_hash")
    if not _HEX64.fullmatch(digest):
        _fail(f"{where}.leaf_hash is not 64 lowercase hex digits")
    proof = value["proof"]
    if not isinstance(proof, list):
        _fail(f"{where}.proof is not a list")
    hashes = tuple(
        decode_base64(_str(h, f"{where}.proof[{i}]"), what=_WHAT) for i, h in enumerate(proof)
    )
    attested = value["time_attested"]
    if not isinstance(attested, bool):
        _fail(f"{where}.time_attested is not true or false")
    if attested != ("attested" in value):
        _fail(
            f"{where}.time_attested is {str(attested).lower()} but attested is "
            f"{'present' if 'attested' in value else 'absent'}"
        )
    attestation = parse_attestation(value["attested"], f"{where}.attested") if attested else None
    return Evidence(
        origin=_str(value["origin"], f"{where}.origin"),
        index=index,
        leaf_hash=bytes.fromhex(digest),
        proof=hashes,
        checkpoint=_str(value["checkpoint"], f"{where}.checkpoint").encode("utf-8"),
        entry=decode_base64(_str(value["entry"], f"{where}.entry"), what=_WHAT),
        vkey=_str(value["vkey"], f"{where}.vkey"),
        attestation=attestation,
    )


def _proof(value: object, where: str) -> Proof:
    if not isinstance(value, dict):
        _fail(f"{where} is not an object")
    vkey = _str(value.get("vkey"), f"{where}.vkey")
    try:
        record = Equivocation.from_json({k: v for k, v in value.items() if k != "vkey"})
    except FormatError as exc:
        _fail(f"{where}: {exc.problem}")
    return Proof(record=record, vkey=vkey)


def parse_finding(value: object) -> Finding:
    """A finding from its JSON object; extra keys are allowed. Raises :class:`FormatError`."""
    if not isinstance(value, dict):
        _fail("a finding is a JSON object")
    missing = sorted(_FINDING_KEYS - value.keys())
    if missing:
        _fail(f"lacks {', '.join(missing)}")
    try:
        severity = Severity(value["severity"])
    except ValueError:
        _fail(f"severity {value['severity']!r} is not violation, concern or info")
    evidence = value["evidence"]
    if not isinstance(evidence, list):
        _fail("evidence is not a list")
    proofs = value.get("equivocation", [])
    if not isinstance(proofs, list):
        _fail("equivocation is not a list")
    try:
        return Finding(
            equivocation=tuple(_proof(p, f"equivocation[{i}]") for i, p in enumerate(proofs)),
            rule=_str(value["rule"], "rule"),
            severity=severity,
            party=_str(value["party"], "party"),
            summary=_str(value["summary"], "summary"),
            evidence=tuple(_evidence(e, f"evidence[{i}]") for i, e in enumerate(evidence)),
        )
    except ValueError as exc:
        _fail(str(exc))


def parse_findings(text: str) -> list[Finding]:
    """The findings of a JSON document: ``{"findings": [...]}`` or one finding object."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        _fail(f"not JSON: {exc}")
    if isinstance(doc, dict) and "findings" in doc and "rule" not in doc:
        items = doc["findings"]
        if not isinstance(items, list):
            _fail("findings is not a list")
        return [parse_finding(item) for item in items]
    return [parse_finding(doc)]


# -- verifying --------------------------------------------------------------------------


def verify_evidence(
    evidence: Evidence,
    vkeys: Mapping[str, str] | None = None,
    witnesses: Sequence[str] | None = None,
) -> Entry:
    """Check one piece of evidence offline and return the entry it proves was logged.

    Checks that the key is the pinned one for the origin (when ``vkeys`` has
    it), the log's signature on the checkpoint, the entry's leaf hash, its
    inclusion under the checkpoint's root, the sender's signature on the entry
    and that the entry is a well-formed ledger entry; with an attestation, the
    witness's cosignature and the entry's inclusion in the cosigned checkpoint
    (and, given ``witnesses``, that the witness is one of those keys). Raises
    :class:`VerificationError` naming what does not hold.
    """
    where = f"{evidence.origin}#{evidence.index}"
    try:
        verifier = Ed25519Verifier.from_vkey(evidence.vkey)
    except FormatError as exc:
        raise VerificationError(f"{where}: the verifier key is malformed: {exc.problem}") from exc
    if verifier.name != evidence.origin:
        raise VerificationError(f"{where}: the verifier key is of {verifier.name!r}")
    if vkeys is not None:
        pinned = vkeys.get(evidence.origin)
        if pinned is None:
            raise VerificationError(f"{where}: no key is pinned for {evidence.origin!r}")
        try:
            same = Ed25519Verifier.from_vkey(pinned) == verifier
        except FormatError as exc:
            raise VerificationError(f"the pinned key of {evidence.origin!r} is malformed") from exc
        if not same:
            raise VerificationError(f"{where}: the log's key is not the pinned key")
    try:
        checkpoint = open_checkpoint(evidence.checkpoint, verifier)
        if not hmac.compare_digest(leaf_hash(evidence.entry), evidence.leaf_hash):
            raise VerificationError("the entry's bytes do not have the stated leaf hash")
        verify_inclusion(
            leaf_hash=evidence.leaf_hash,
            index=evidence.index,
            size=checkpoint.size,
            proof=evidence.proof,
            root=checkpoint.root_hash,
        )
        if evidence.attestation is not None:
            verify_attestation(
                evidence.attestation,
                entry=evidence.entry,
                index=evidence.index,
                log_verifier=verifier,
                witnesses=witnesses,
            )
        return parse_entry_text(open_note(evidence.entry, [verifier]).text)
    except TreatyLedgerError as exc:
        raise VerificationError(f"{where}: {exc}") from exc


def verify_finding(
    finding: Finding | Mapping[str, Any],
    vkeys: Mapping[str, str] | None = None,
    witnesses: Sequence[str] | None = None,
) -> list[Entry]:
    """Re-check every piece of a finding's evidence offline; the entries it proves.

    ``finding`` is a :class:`Finding` or its JSON object. ``vkeys`` pins the
    verifier key (``name+hex8+base64``) per origin; when it is given, every
    origin of the evidence must be pinned; ``witnesses`` pins the witness keys
    an attestation may name. A finding without
    evidence proves nothing and fails. Raises :class:`FormatError` for a
    malformed finding and :class:`VerificationError` when evidence does not hold.
    """
    parsed = finding if isinstance(finding, Finding) else parse_finding(dict(finding))
    if not parsed.evidence and not parsed.equivocation:
        raise VerificationError("the finding carries no evidence")
    for proof in parsed.equivocation:
        verify_proof(proof, vkeys)
    return [verify_evidence(e, vkeys, witnesses) for e in parsed.evidence]


def verify_proof(proof: Proof, vkeys: Mapping[str, str] | None = None) -> None:
    """Check that the accused log's key signed both checkpoints and that they conflict."""
    origin = proof.record.origin
    try:
        verifier = Ed25519Verifier.from_vkey(proof.vkey)
    except FormatError as exc:
        raise VerificationError(f"{origin}: the verifier key is malformed: {exc.problem}") from exc
    if verifier.name != origin:
        raise VerificationError(f"{origin}: the verifier key is of {verifier.name!r}")
    if vkeys is not None and vkeys.get(origin) != proof.vkey:
        raise VerificationError(f"{origin}: the log's key is not the pinned key")
    try:
        verify_equivocation(proof.record, verifier)
    except TreatyLedgerError as exc:
        raise VerificationError(f"{origin}: the two checkpoints prove nothing: {exc}") from exc
