"""Witness attestation of time: a cosigned checkpoint proves an entry existed by then.

A log's own timestamps are its party's word. A witness that cosigns a
checkpoint (C2SP tlog-cosignature, type 0x04) states, with its timestamp,
that it saw that tree at that time; every entry the tree contains therefore
existed by then. For each entry the compliance engine keeps the **earliest**
such statement by a witness it trusts, with the inclusion proof of the entry
in that checkpoint, so the attestation verifies offline like the rest of the
evidence (:func:`verify_attestation`).

Trust: the witnesses are named by the reader (their cosignature verifier
keys); a party's own witness never attests its own log, since that would be
its word again. A witness cosignature proves an upper bound only: the entry
may be older than the attested time, never younger.

Pure: no clock, no storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from treatyledger.errors import FormatError, TreatyLedgerError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.merkle import leaf_hash, verify_inclusion
from treatyledger.log.note import Ed25519Verifier, decode_base64, encode_base64, parse_note

__all__ = [
    "Attestation",
    "CosignedCheckpoint",
    "attested_by",
    "cosignatures",
    "parse_attestation",
    "verify_attestation",
]

_WHAT = "attestation"


def _utc(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


@dataclass(frozen=True)
class CosignedCheckpoint:
    """A checkpoint of a log (verified against it) and the trusted witness cosignatures on it."""

    signed: bytes
    """The checkpoint note, with every signature it carries."""
    checkpoint: Checkpoint
    times: Mapping[str, int]
    """Trusted witness vkey → the Unix time it cosigned."""


def cosignatures(
    signed: bytes, log_verifier: Ed25519Verifier, witnesses: Iterable[CosignatureVerifier]
) -> CosignedCheckpoint:
    """Open ``signed`` with the log's key and read the valid cosignatures of ``witnesses``.

    A signature line by a witness's (name, key ID) that does not verify is an
    error (:class:`VerificationError`): a forged cosignature is not ignored.
    """
    checkpoint = open_checkpoint(signed, log_verifier)
    note = parse_note(signed)
    body = note.text
    times: dict[str, int] = {}
    for witness in witnesses:
        for signature in note.signatures:
            if signature.name == witness.name and signature.key_id == witness.key_id:
                times[witness.vkey()] = witness.verify_cosignature(body, signature)
    return CosignedCheckpoint(signed=signed, checkpoint=checkpoint, times=times)


@dataclass(frozen=True)
class Attestation:
    """A witness's cosigned checkpoint that includes an entry: the entry existed by ``time``."""

    checkpoint: bytes
    """The cosigned checkpoint note (log signature and the witness's cosignature)."""
    proof: tuple[bytes, ...]
    """The entry's inclusion proof against that checkpoint."""
    witness: str
    """The witness's cosignature verifier key, ``name+hex8+base64``."""
    time: dt.datetime
    """The cosignature's timestamp (UTC)."""

    def to_json(self) -> dict[str, Any]:
        """``{"checkpoint", "proof", "witness", "time"}``; time as ``YYYY-MM-DDTHH:MM:SSZ``."""
        return {
            "checkpoint": self.checkpoint.decode("utf-8"),
            "proof": [encode_base64(h) for h in self.proof],
            "witness": self.witness,
            "time": f"{self.time:%Y-%m-%dT%H:%M:%SZ}",
        }


def attested_by(
    index: int, history: Sequence[CosignedCheckpoint], exclude: Iterable[str] = ()
) -> tuple[CosignedCheckpoint, str, int] | None:
    """The earliest trusted cosignature on a checkpoint containing entry ``index``.

    Returns (checkpoint, witness vkey, time), or None. Witnesses in ``exclude``
    (the log's own party's witness) are not counted.
    """
    skip = set(exclude)
    best: tuple[CosignedCheckpoint, str, int] | None = None
    for held in history:
        if held.checkpoint.size <= index:
            continue
        for witness, time in held.times.items():
            if witness in skip:
                continue
            if best is None or (time, witness) < (best[2], best[1]):
                best = (held, witness, time)
    return best


def parse_attestation(value: object, where: str) -> Attestation:
    """An attestation from its JSON object; :class:`FormatError` naming the field."""

    def fail(problem: str) -> FormatError:
        return FormatError(what="finding", problem=f"{where}{problem}")

    if not isinstance(value, dict):
        raise fail(" is not an object")
    missing = sorted({"checkpoint", "proof", "witness", "time"} - value.keys())
    if missing:
        raise fail(f" lacks {', '.join(missing)}")
    for key in ("checkpoint", "witness", "time"):
        if not isinstance(value[key], str):
            raise fail(f".{key} is not a string")
    proof = value["proof"]
    if not isinstance(proof, list) or not all(isinstance(h, str) for h in proof):
        raise fail(".proof is not a list of strings")
    try:
        time = dt.datetime.strptime(value["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise fail(".time is not a UTC time YYYY-MM-DDTHH:MM:SSZ") from None
    return Attestation(
        checkpoint=value["checkpoint"].encode("utf-8"),
        proof=tuple(decode_base64(h, what=_WHAT) for h in proof),
        witness=value["witness"],
        time=time,
    )


def verify_attestation(
    attestation: Attestation,
    *,
    entry: bytes,
    index: int,
    log_verifier: Ed25519Verifier,
    witnesses: Iterable[str] | None = None,
) -> dt.datetime:
    """Check that the witness cosigned, at ``time``, a checkpoint of the log including ``entry``.

    ``witnesses`` pins the trusted witness keys; without it the key in the
    attestation is taken as given (consistency only). Returns the attested
    time; raises :class:`VerificationError` naming what does not hold.
    """
    if witnesses is not None and attestation.witness not in set(witnesses):
        raise VerificationError(f"the witness {attestation.witness!r} is not a pinned witness")
    try:
        witness = CosignatureVerifier.from_vkey(attestation.witness)
        held = cosignatures(attestation.checkpoint, log_verifier, [witness])
        time = held.times.get(witness.vkey())
        if time is None:
            raise VerificationError("the checkpoint carries no cosignature by the witness")
        if _utc(time) != attestation.time:
            raise VerificationError(
                f"the cosignature is dated {_utc(time):%Y-%m-%dT%H:%M:%SZ}, "
                f"not {attestation.time:%Y-%m-%dT%H:%M:%SZ}"
            )
        verify_inclusion(
            leaf_hash=leaf_hash(entry),
            index=index,
            size=held.checkpoint.size,
            proof=attestation.proof,
            root=held.checkpoint.root_hash,
        )
    except TreatyLedgerError as exc:
        raise VerificationError(f"attestation: {exc}") from exc
    return attestation.time
