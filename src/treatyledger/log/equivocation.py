"""Equivocation evidence: two checkpoints one log signed that cannot both be true.

A record holds both signed checkpoints, as received, and is checkable by
anyone holding the log's verifier key, without trusting this node
(:func:`verify_evidence`):

``same-size``
    the two checkpoints have the same tree size and different root hashes;
``fork``
    the older checkpoint has the smaller size, and ``path`` is a consistency
    path in the newer tree that leads to the newer root but to an older root
    different from the one the older checkpoint signs. ``path`` is the RFC 9162
    consistency proof from the older size to the newer one, with the hash of
    the older tree's last perfect subtree always first (the RFC leaves it out
    when the older size is a power of two, since the verifier holds it then;
    here it is the point of contention).

Finding the walk's two roots is RFC 9162 §2.1.4.2 with the path's first hash
given: :func:`fork_roots`.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint
from treatyledger.log.merkle import (
    HASH_SIZE,
    NodeFetcher,
    consistency_plan,
    consistency_proof,
    node_hash,
    root_hash,
)
from treatyledger.log.note import Verifier, decode_base64, encode_base64

__all__ = [
    "Evidence",
    "EvidenceKind",
    "fork_path",
    "fork_roots",
    "proves_fork",
    "verify_evidence",
]

EvidenceKind = Literal["same-size", "fork"]


@dataclass(frozen=True)
class Evidence:
    """Two signed checkpoints of ``origin`` that are inconsistent, and how that shows."""

    origin: str
    kind: EvidenceKind
    older: bytes
    newer: bytes
    path: tuple[bytes, ...]
    detected_at: int
    seen_by: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The record as JSON: checkpoints as text, the path as base64 hashes."""
        return {
            "origin": self.origin,
            "kind": self.kind,
            "older": self.older.decode("utf-8"),
            "newer": self.newer.decode("utf-8"),
            "path": [encode_base64(h) for h in self.path],
            "detected_at": self.detected_at,
            "seen_by": self.seen_by,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Evidence:
        """The record :meth:`to_json` wrote; FormatError if it is not one."""
        try:
            kind = doc["kind"]
            if kind not in ("same-size", "fork"):
                raise ValueError(f"unknown kind {kind!r}")
            return cls(
                origin=str(doc["origin"]),
                kind=kind,
                older=str(doc["older"]).encode("utf-8"),
                newer=str(doc["newer"]).encode("utf-8"),
                path=tuple(decode_base64(h, what="evidence path") for h in doc["path"]),
                detected_at=int(doc["detected_at"]),
                seen_by=str(doc["seen_by"]),
                detail=str(doc["detail"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(what="evidence record", problem=str(exc)) from exc


def _shape(old_size: int, new_size: int) -> tuple[int, int, int]:
    """(level, index, path length) of the fork path between two sizes, 0 < old < new."""
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    length = consistency_plan(old_size, new_size).proof_length + (0 if index else 1)
    return level, index, length


def fork_roots(old_size: int, new_size: int, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """The (older, newer) roots a consistency path leads to (RFC 9162 §2.1.4.2).

    ``path[0]`` is the hash of the older tree's last perfect subtree, given even
    when the older size is a power of two. Raises :class:`VerificationError`
    unless ``0 < old_size < new_size`` and the path has the length the sizes
    dictate, of 32-byte hashes.
    """
    if not 0 < old_size < new_size:
        raise VerificationError(f"no fork path between sizes {old_size} and {new_size}")
    level, index, length = _shape(old_size, new_size)
    if len(path) != length or any(len(h) != HASH_SIZE for h in path):
        raise VerificationError(
            f"a fork path from size {old_size} to {new_size} has {length} hashes of "
            f"{HASH_SIZE} bytes"
        )
    fn, sn = index, (new_size - 1) >> level
    old = new = path[0]
    for value in path[1:]:
        if fn & 1 or fn == sn:
            old = node_hash(value, old)
            new = node_hash(value, new)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = node_hash(new, value)
        fn, sn = fn >> 1, sn >> 1
    return old, new


def proves_fork(older: Checkpoint, newer: Checkpoint, path: Sequence[bytes]) -> bool:
    """Whether ``path`` leads to ``newer``'s root and to an older root other than ``older``'s."""
    try:
        old, new = fork_roots(older.size, newer.size, path)
    except VerificationError:
        return False
    return hmac.compare_digest(new, newer.root_hash) and not hmac.compare_digest(
        old, older.root_hash
    )


def fork_path(old_size: int, new_size: int, fetch: NodeFetcher) -> list[bytes]:
    """The fork path (see the module docstring) from ``old_size`` to ``new_size`` in a tree."""
    proof = consistency_proof(old_size, new_size, fetch)
    _, index, _ = _shape(old_size, new_size)
    return proof if index else [root_hash(old_size, fetch), *proof]


def verify_evidence(evidence: Evidence, verifier: Verifier) -> tuple[Checkpoint, Checkpoint]:
    """Check that ``evidence`` proves the log of ``verifier`` signed two inconsistent trees.

    Returns the two checkpoints; raises :class:`VerificationError` (or
    :class:`FormatError`) when the record proves nothing.
    """
    older = open_checkpoint(evidence.older, verifier, origin=evidence.origin)
    newer = open_checkpoint(evidence.newer, verifier, origin=evidence.origin)
    if evidence.kind == "same-size":
        if older.size != newer.size or hmac.compare_digest(older.root_hash, newer.root_hash):
            raise VerificationError("the checkpoints are not of one size with different roots")
    elif not proves_fork(older, newer, evidence.path):
        raise VerificationError("the path does not show the newer tree contradicting the older")
    return older, newer
