"""C2SP transparency log proofs (c2sp.org/tlog-proof): an offline-verifiable inclusion proof.

::

    c2sp.org/tlog-proof@v1
    extra <base64>                    (optional, unauthenticated)
    index <n>
    <base64 hash>                     (zero or more: the audit path, leaf sibling first)

    <the signed checkpoint note, verbatim>

The proof lines never contain an empty line, so the first blank line separates
them from the checkpoint. Parsing is strict; :func:`verify_tlog_proof` checks
the log's signature on the checkpoint and the inclusion of the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from treatyledger.errors import FormatError
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from treatyledger.log.merkle import leaf_hash, verify_inclusion
from treatyledger.log.note import Verifier, decode_base64, encode_base64, parse_note

__all__ = [
    "MAX_PROOF_HASHES",
    "TLOG_PROOF_HEADER",
    "TlogProof",
    "format_tlog_proof",
    "parse_tlog_proof",
    "verify_tlog_proof",
]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
"""The first line of every proof."""

MAX_PROOF_HASHES = 64
"""The most audit-path hashes accepted (a tree of 2^64 leaves needs 64)."""

_HASH_SIZE = 32
_MAX_INDEX_DIGITS = len(str(2**64 - 1))
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_WHAT = "tlog-proof"


@dataclass(frozen=True)
class TlogProof:
    """An entry index, its audit path, the signed checkpoint (bytes) and optional extra data.

    Validated when built: hashes are 32 bytes, the checkpoint is a well-formed
    signed note holding a checkpoint (not yet verified) whose size exceeds the
    index, and ``extra`` is either absent (``None``) or non-empty.
    """

    index: int
    proof: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise FormatError(what=_WHAT, problem="the index must be a non-negative integer")
        if not isinstance(self.proof, tuple):
            raise FormatError(what=_WHAT, problem="the proof must be a tuple of hashes")
        if len(self.proof) > MAX_PROOF_HASHES:
            raise FormatError(
                what=_WHAT, problem=f"{len(self.proof)} proof hashes, more than {MAX_PROOF_HASHES}"
            )
        for position, value in enumerate(self.proof):
            if not isinstance(value, bytes) or len(value) != _HASH_SIZE:
                raise FormatError(what=_WHAT, problem=f"proof hash {position} is not 32 bytes")
        if self.extra is not None and (not isinstance(self.extra, bytes) or not self.extra):
            raise FormatError(
                what=_WHAT, problem="extra data must be non-empty bytes, or None when absent"
            )
        if not isinstance(self.checkpoint, bytes):
            raise FormatError(what=_WHAT, problem="the checkpoint must be the signed note's bytes")
        size = parse_checkpoint(parse_note(self.checkpoint).text).size
        if self.index >= size:
            raise FormatError(
                what=_WHAT, problem=f"index {self.index} is not below the tree size {size}"
            )


def format_tlog_proof(proof: TlogProof) -> bytes:
    """Encode ``proof`` in the tlog-proof text format."""
    lines = [TLOG_PROOF_HEADER]
    if proof.extra is not None:
        lines.append(f"extra {encode_base64(proof.extra)}")
    lines.append(f"index {proof.index}")
    lines.extend(encode_base64(value) for value in proof.proof)
    return ("\n".join(lines) + "\n\n").encode("ascii") + proof.checkpoint


def _field(line: str, keyword: str) -> str | None:
    prefix = keyword + " "
    return line[len(prefix) :] if line.startswith(prefix) else None


def parse_tlog_proof(data: bytes) -> TlogProof:
    """Parse a tlog-proof strictly (nothing is verified; see :func:`verify_tlog_proof`)."""
    if not isinstance(data, bytes):
        raise FormatError(what=_WHAT, problem="a tlog-proof is bytes")
    split = data.find(b"\n\n")
    if split < 0:
        raise FormatError(what=_WHAT, problem="no blank line before the checkpoint")
    try:
        head = data[:split].decode("ascii")
    except UnicodeDecodeError:
        raise FormatError(what=_WHAT, problem="the proof lines are not ASCII") from None
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise FormatError(what=_WHAT, problem=f"the first line is not {TLOG_PROOF_HEADER!r}")
    position = 1
    extra: bytes | None = None
    if position < len(lines) and (extra_text := _field(lines[position], "extra")) is not None:
        extra = decode_base64(extra_text, what=_WHAT)
        if not extra:
            raise FormatError(what=_WHAT, problem="the extra line holds no data")
        position += 1
    if position >= len(lines) or (index_text := _field(lines[position], "index")) is None:
        raise FormatError(what=_WHAT, problem="no 'index <n>' line after the header")
    if len(index_text) > _MAX_INDEX_DIGITS or not _DECIMAL.fullmatch(index_text):
        raise FormatError(
            what=_WHAT, problem=f"index {index_text[:40]!r} is not a decimal without leading zeros"
        )
    hash_lines = lines[position + 1 :]
    if len(hash_lines) > MAX_PROOF_HASHES:
        raise FormatError(
            what=_WHAT, problem=f"{len(hash_lines)} proof hashes, more than {MAX_PROOF_HASHES}"
        )
    hashes: list[bytes] = []
    for number, line in enumerate(hash_lines):
        value = decode_base64(line, what=_WHAT)
        if len(value) != _HASH_SIZE:
            raise FormatError(what=_WHAT, problem=f"proof hash {number} is {len(value)} bytes")
        hashes.append(value)
    return TlogProof(
        index=int(index_text), proof=tuple(hashes), checkpoint=data[split + 2 :], extra=extra
    )


def verify_tlog_proof(
    proof: TlogProof, *, entry: bytes, verifier: Verifier, origin: str | None = None
) -> Checkpoint:
    """Return the checkpoint if ``proof`` shows ``entry`` logged by the log of ``verifier``.

    Checks the log's signature on the checkpoint (and its origin, as
    :func:`~treatyledger.log.checkpoint.open_checkpoint` does), then that
    ``leaf_hash(entry)`` is at ``proof.index`` in the checkpoint's tree.
    Witness cosignatures are not checked here. The extra data is not
    authenticated and plays no part. Raises :class:`VerificationError` if
    anything does not hold.
    """
    checkpoint = open_checkpoint(proof.checkpoint, verifier, origin=origin)
    verify_inclusion(
        leaf_hash=leaf_hash(entry),
        index=proof.index,
        size=checkpoint.size,
        proof=proof.proof,
        root=checkpoint.root_hash,
    )
    return checkpoint
