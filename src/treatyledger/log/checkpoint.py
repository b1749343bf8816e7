"""C2SP tlog checkpoints (c2sp.org/tlog-checkpoint): a log's signed tree head.

The note text is the origin line, the tree size in decimal, the base64 root
hash, then optional extension lines, each ending in a newline::

    example.com/log/testdata
    15
    rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=

Parsing is strict (no leading zeros, canonical base64 of exactly 32 bytes, no
empty lines). Extension lines are parsed and kept, but :func:`sign_checkpoint`
refuses to sign them: witnesses disagree on whether they are covered, and the
specification recommends against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.note import (
    NoteSigner,
    Verifier,
    decode_base64,
    encode_base64,
    open_note,
    sign_note,
)

__all__ = [
    "MAX_TREE_SIZE",
    "ROOT_HASH_SIZE",
    "Checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

MAX_TREE_SIZE = 2**64 - 1
"""The largest tree size a checkpoint may state (an unsigned 64-bit integer)."""

ROOT_HASH_SIZE = 32
"""Bytes in a root hash (SHA-256)."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f]")
_WHAT = "checkpoint"


def _check_line(value: object, label: str) -> str:
    if not isinstance(value, str) or not value:
        raise FormatError(what=_WHAT, problem=f"the {label} must be a non-empty string")
    if match := _LINE_FORBIDDEN.search(value):
        raise FormatError(
            what=_WHAT,
            problem=f"the {label} contains control character U+{ord(match.group()):04X}",
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError(what=_WHAT, problem=f"the {label} is not valid UTF-8") from None
    return value


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, 32-byte root hash and extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise FormatError(what=_WHAT, problem="the tree size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise FormatError(what=_WHAT, problem=f"tree size {self.size} is outside 0..2^64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_SIZE:
            raise FormatError(what=_WHAT, problem=f"the root hash must be {ROOT_HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise FormatError(what=_WHAT, problem="the extension lines must be a tuple")
        for extension in self.extensions:
            _check_line(extension, "extension line")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each with a newline."""
        lines = [self.origin, str(self.size), encode_base64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text strictly; ``parse_checkpoint(c.body()) == c``."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise FormatError(what=_WHAT, problem="the text does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise FormatError(what=_WHAT, problem=f"{len(lines)} lines; need origin, size and root")
    for number, line in enumerate(lines, start=1):
        if not line:
            raise FormatError(what=_WHAT, problem=f"line {number} is empty")
    origin, size_text, root_text, *extensions = lines
    if len(size_text) > len(str(MAX_TREE_SIZE)) or not _DECIMAL.fullmatch(size_text):
        raise FormatError(
            what=_WHAT,
            problem=f"tree size {size_text[:40]!r} is not a decimal without leading zeros",
        )
    root = decode_base64(root_text, what=_WHAT)
    if len(root) != ROOT_HASH_SIZE:
        raise FormatError(what=_WHAT, problem=f"the root hash is {len(root)} bytes, not 32")
    return Checkpoint(
        origin=origin, size=int(size_text), root_hash=root, extensions=tuple(extensions)
    )


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> bytes:
    """The signed note of ``checkpoint`` by the log's ``signer``.

    Refuses (:class:`FormatError`) a checkpoint with extension lines, which this
    project's logs never emit, and a signer whose key name is not the origin
    (the specification's convention, which :func:`open_checkpoint` relies on).
    """
    if checkpoint.extensions:
        raise FormatError(what=_WHAT, problem="treatyledger logs do not sign extension lines")
    if signer.name != checkpoint.origin:
        raise FormatError(
            what=_WHAT,
            problem=f"the log key is named {signer.name!r}, not the origin {checkpoint.origin!r}",
        )
    return sign_note(checkpoint.body(), [signer])


def open_checkpoint(data: bytes, verifier: Verifier, *, origin: str | None = None) -> Checkpoint:
    """Verify the log's signature on a signed checkpoint and return the checkpoint.

    Other signatures (witness cosignatures) are ignored. The checkpoint's origin
    must equal ``origin`` if given, otherwise the verifier's key name (the
    specification's convention). Raises :class:`FormatError` for a malformed
    note or checkpoint and :class:`VerificationError` for a signature that does
    not hold or an origin that does not match.
    """
    note = open_note(data, [verifier])
    checkpoint = parse_checkpoint(note.text)
    expected = verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise VerificationError(
            f"the checkpoint is of origin {checkpoint.origin!r}, expected {expected!r}"
        )
    return checkpoint
