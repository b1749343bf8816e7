"""C2SP signed notes (c2sp.org/signed-note): keys, signatures, parsing and verification.

A signed note is UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <key name> <base64(4-byte key ID || signature)>``. The text
is split from the signatures at the *last* blank line.

Everything here is strict: a malformed note, key string or signature line
raises :class:`~treatyledger.errors.FormatError` and is never repaired; a
signature by a known key that does not verify, or a note without any verifying
signature by a known key, raises :class:`~treatyledger.errors.VerificationError`.
Signatures by unknown keys are ignored, as the specification requires.

Choices where the specification leaves room (each stricter than Go's
``golang.org/x/mod/sumdb/note``, never looser):

* at most :data:`MAX_SIGNATURES` (100) signature lines; the specification asks
  for at least 16, Go stops at 100;
* base64 must be canonical standard encoding with padding (re-encoding it gives
  the same text); Go accepts non-zero trailing bits;
* two signature lines with the same key name and key ID are rejected (Go drops
  the repeats without verifying them);
* key IDs in key strings are eight *lowercase* hex digits, as every
  implementation writes them;
* key names may not contain control characters either (they could never
  appear in a note).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from treatyledger.errors import FormatError, VerificationError

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "KEY_ID_SIZE",
    "MAX_SIGNATURES",
    "Ed25519Verifier",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "Signer",
    "Verifier",
    "decode_base64",
    "encode_base64",
    "format_note",
    "format_verifier_key",
    "key_id",
    "open_note",
    "parse_note",
    "parse_signature_line",
    "sign_note",
    "split_ed25519_skey",
    "split_ed25519_vkey",
    "split_signer_key",
    "split_verifier_key",
    "validate_key_name",
]

ED25519_SIGNATURE_TYPE = 0x01
"""Signature type byte of plain Ed25519 note signatures."""

KEY_ID_SIZE = 4
"""Bytes in a key ID."""

MAX_SIGNATURES = 100
"""The most signature lines a note may carry (the specification requires at least 16)."""

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_SIGNER_KEY_PREFIX = "PRIVATE+KEY+"
_ED25519_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_HEX8 = re.compile(r"[0-9a-f]{8}")
# The Unicode White_Space property (what Go's unicode.IsSpace tests).
_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


# --- encodings and key IDs -------------------------------------------------------------


def encode_base64(data: bytes) -> str:
    """Standard base64 (RFC 4648 section 4) with padding."""
    return base64.b64encode(data).decode("ascii")


def decode_base64(text: str, *, what: str) -> bytes:
    """Decode canonical standard base64 with padding, or raise :class:`FormatError`.

    Only text that :func:`encode_base64` would produce for the decoded bytes is
    accepted: no whitespace, no missing padding, no non-zero trailing bits.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise FormatError(what=what, problem=f"not valid base64: {text[:80]!r}") from None
    if encode_base64(raw) != text:
        raise FormatError(what=what, problem=f"not canonical base64: {text[:80]!r}")
    return raw


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    if not 0 <= signature_type <= 0xFF:
        raise FormatError(what="key", problem=f"signature type {signature_type} is not a byte")
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()
    return digest[:KEY_ID_SIZE]


def validate_key_name(name: str, *, what: str = "key name") -> str:
    """Return ``name`` if it is a valid key name, else raise :class:`FormatError`.

    A key name is non-empty valid UTF-8 with no Unicode white space, no ``+``
    and no control characters.
    """
    if not isinstance(name, str) or not name:
        raise FormatError(what=what, problem="a key name must be a non-empty string")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError(what=what, problem=f"key name {name!r} is not valid UTF-8") from None
    for char in name:
        if char in _WHITE_SPACE or char == "+" or ord(char) < 0x20 or char == "\x7f":
            raise FormatError(
                what=what, problem=f"key name {name!r} contains {char!r} (space, '+' or control)"
            )
    return name


def format_verifier_key(name: str, signature_type: int, public_key: bytes) -> str:
    """The verifier key string ``name+hex8(key ID)+base64(type || public key)``."""
    validate_key_name(name, what="verifier key")
    kid = key_id(name, signature_type, public_key)
    return f"{name}+{kid.hex()}+{encode_base64(bytes([signature_type]) + public_key)}"


def split_verifier_key(vkey: str) -> tuple[str, bytes, int, bytes]:
    """Parse ``name+hex8+base64(type || key)`` into (name, key ID, type, public key).

    Splits on the first two ``+`` only (the base64 may contain ``+``), and
    checks the name, the eight lowercase hex digits, the base64 and that the
    key ID is the one computed from the name, type and key. The caller checks
    the type and the key's length.
    """
    what = "verifier key"
    if not isinstance(vkey, str):
        raise FormatError(what=what, problem="a verifier key must be a string")
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise FormatError(what=what, problem="expected name+keyid+key")
    name, hex8, key64 = parts
    validate_key_name(name, what=what)
    if not _HEX8.fullmatch(hex8):
        raise FormatError(what=what, problem=f"key ID {hex8!r} is not 8 lowercase hex digits")
    raw = decode_base64(key64, what=what)
    if len(raw) < 2:
        raise FormatError(what=what, problem="the key material is empty")
    declared = bytes.fromhex(hex8)
    if not hmac.compare_digest(declared, key_id(name, raw[0], raw[1:])):
        raise FormatError(what=what, problem=f"key ID {hex8} does not match the name and key")
    return name, declared, raw[0], raw[1:]


def split_ed25519_vkey(vkey: str, signature_type: int, kind: str) -> tuple[str, bytes]:
    """The name and 32-byte Ed25519 key of a verifier key of ``signature_type``, strictly."""
    name, _, found_type, key = split_verifier_key(vkey)
    if found_type != signature_type:
        raise FormatError(
            what="verifier key",
            problem=f"signature type 0x{found_type:02x} is not {kind} (0x{signature_type:02x})",
        )
    if len(key) != _ED25519_KEY_SIZE:
        raise FormatError(
            what="verifier key", problem=f"an Ed25519 key has 32 bytes, not {len(key)}"
        )
    return name, key


def split_ed25519_skey(skey: str, signature_type: int, kind: str) -> tuple[str, bytes, bytes]:
    """The name, declared key ID and 32-byte seed of a signer key of ``signature_type``."""
    name, declared, found_type, seed = split_signer_key(skey)
    if found_type != signature_type:
        raise FormatError(
            what="signer key",
            problem=f"signature type 0x{found_type:02x} is not {kind} (0x{signature_type:02x})",
        )
    if len(seed) != _ED25519_KEY_SIZE:
        raise FormatError(
            what="signer key", problem=f"an Ed25519 seed has 32 bytes, not {len(seed)}"
        )
    return name, declared, seed


def split_signer_key(skey: str) -> tuple[str, bytes, int, bytes]:
    """Parse ``PRIVATE+KEY+name+hex8+base64(type || secret)`` into its parts.

    Returns (name, declared key ID, type, secret key material). The key ID is
    that of the *public* key, so the caller derives the public key and checks
    it. Error messages never repeat the secret.
    """
    what = "signer key"
    if not isinstance(skey, str) or not skey.startswith(_SIGNER_KEY_PREFIX):
        raise FormatError(what=what, problem="a signer key starts with PRIVATE+KEY+")
    parts = skey[len(_SIGNER_KEY_PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise FormatError(what=what, problem="expected PRIVATE+KEY+name+keyid+key")
    name, hex8, key64 = parts
    validate_key_name(name, what=what)
    if not _HEX8.fullmatch(hex8):
        raise FormatError(what=what, problem=f"key ID {hex8!r} is not 8 lowercase hex digits")
    try:
        raw = decode_base64(key64, what=what)
    except FormatError:
        raise FormatError(what=what, problem="the key material is not canonical base64") from None
    if len(raw) < 2:
        raise FormatError(what=what, problem="the key material is empty")
    return name, bytes.fromhex(hex8), raw[0], raw[1:]


def _check_bytes(value: object, size: int, *, what: str, label: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        raise FormatError(what=what, problem=f"{label} must be {size} bytes")
    return value


# --- keys ------------------------------------------------------------------------------


class Verifier(Protocol):
    """A known public key that checks note signatures of one name and key ID."""

    @property
    def name(self) -> str:
        """The key name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) is valid for ``message``."""
        ...


class NoteSigner(Protocol):
    """A private key that signs note texts under one name and key ID."""

    @property
    def name(self) -> str:
        """The key name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of ``message`` (without the key ID)."""
        ...


@dataclass(frozen=True)
class Ed25519Verifier:
    """An Ed25519 (type 0x01) note verifier; ``key_id`` is computed from name and key."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        validate_key_name(self.name, what="verifier key")
        _check_bytes(self.public_key, _ED25519_KEY_SIZE, what="verifier key", label="public key")
        object.__setattr__(
            self, "key_id", key_id(self.name, ED25519_SIGNATURE_TYPE, self.public_key)
        )
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> Ed25519Verifier:
        """Parse a verifier key ``name+hex8+base64(0x01 || 32-byte key)`` strictly."""
        name, key = split_ed25519_vkey(vkey, ED25519_SIGNATURE_TYPE, "Ed25519")
        return cls(name=name, public_key=key)

    def vkey(self) -> str:
        """The verifier key string ``name+hex8+base64(0x01 || public key)``."""
        return format_verifier_key(self.name, ED25519_SIGNATURE_TYPE, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, eq=False)
class Signer:
    """An Ed25519 (type 0x01) note signer: a name and a 32-byte seed (never shown in repr)."""

    name: str
    seed: bytes = field(repr=False)
    public_key: bytes = field(init=False)
    key_id: bytes = field(init=False)
    _key: Ed25519PrivateKey = field(init=False, repr=False)

    def __post_init__(self) -> None:
        validate_key_name(self.name, what="signer key")
        _check_bytes(self.seed, _ED25519_KEY_SIZE, what="signer key", label="the seed")
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "_key", private)
        object.__setattr__(self, "public_key", public)
        object.__setattr__(self, "key_id", key_id(self.name, ED25519_SIGNATURE_TYPE, public))

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new signer with a fresh random seed."""
        return cls(name=name, seed=secrets.token_bytes(_ED25519_KEY_SIZE))

    @classmethod
    def from_key_string(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)``, checking type, length and ID."""
        name, declared, seed = split_ed25519_skey(skey, ED25519_SIGNATURE_TYPE, "Ed25519")
        signer = cls(name=name, seed=seed)
        if not hmac.compare_digest(declared, signer.key_id):
            raise FormatError(what="signer key", problem="the key ID does not match the key")
        return signer

    def key_string(self) -> str:
        """The secret signer key string ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)``."""
        material = encode_base64(bytes([ED25519_SIGNATURE_TYPE]) + self.seed)
        return f"{_SIGNER_KEY_PREFIX}{self.name}+{self.key_id.hex()}+{material}"

    def verifier(self) -> Ed25519Verifier:
        """The matching public verifier."""
        return Ed25519Verifier(name=self.name, public_key=self.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic)."""
        return self._key.sign(message)


# --- notes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        validate_key_name(self.name, what="note signature")
        _check_bytes(self.key_id, KEY_ID_SIZE, what="note signature", label="the key ID")
        if not isinstance(self.signature, bytes) or not self.signature:
            raise FormatError(what="note signature", problem="the signature is empty")

    def line(self) -> str:
        """The signature line ``— name base64(key ID || signature)`` with its newline."""
        return f"{_SIGNATURE_PREFIX}{self.name} {encode_base64(self.key_id + self.signature)}\n"


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise FormatError(what="signed note", problem="the text does not end in a newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FormatError(what="signed note", problem="the text is not valid UTF-8") from None
    if match := _CONTROL.search(text):
        raise FormatError(
            what="signed note",
            problem=f"control character U+{ord(match.group()):04X} at offset {match.start()}",
        )
    return text


@dataclass(frozen=True)
class Note:
    """A note's text and signatures.

    ``verified_by`` is empty for a note that was only parsed; :func:`open_note`
    fills it with the signatures (a subset of ``signatures``) it checked
    against known verifiers.
    """

    text: str
    signatures: tuple[NoteSignature, ...]
    verified_by: tuple[NoteSignature, ...] = ()

    def __post_init__(self) -> None:
        _check_text(self.text)
        if not self.signatures:
            raise FormatError(what="signed note", problem="a note needs at least one signature")
        if len(self.signatures) > MAX_SIGNATURES:
            raise FormatError(
                what="signed note",
                problem=f"{len(self.signatures)} signatures, more than {MAX_SIGNATURES}",
            )
        seen: set[tuple[str, bytes]] = set()
        for signature in self.signatures:
            if not isinstance(signature, NoteSignature):
                raise FormatError(what="signed note", problem="signatures must be NoteSignature")
            key = (signature.name, signature.key_id)
            if key in seen:
                raise FormatError(
                    what="signed note",
                    problem=f"two signatures by key {signature.name}+{signature.key_id.hex()}",
                )
            seen.add(key)
        for signature in self.verified_by:
            if signature not in self.signatures:
                raise FormatError(
                    what="signed note", problem="verified_by names a missing signature"
                )


def format_note(note: Note) -> bytes:
    """Encode ``note``: its text, a blank line, then one line per signature."""
    return (note.text + "\n" + "".join(s.line() for s in note.signatures)).encode("utf-8")


def parse_signature_line(line: str) -> NoteSignature:
    """Parse one signature line, without its newline: ``— name base64(keyid || sig)``."""
    what = "signed note"
    if not line.startswith(_SIGNATURE_PREFIX):
        raise FormatError(
            what=what, problem=f"signature line {line[:40]!r} does not start with '— '"
        )
    parts = line[len(_SIGNATURE_PREFIX) :].split(" ", 1)
    if len(parts) != 2:
        raise FormatError(what=what, problem=f"signature line {line[:40]!r} has no signature")
    name, sig64 = parts
    validate_key_name(name, what=what)
    raw = decode_base64(sig64, what=what)
    if len(raw) <= KEY_ID_SIZE:
        raise FormatError(what=what, problem=f"the signature by {name} is only {len(raw)} bytes")
    return NoteSignature(name=name, key_id=raw[:KEY_ID_SIZE], signature=raw[KEY_ID_SIZE:])


def parse_note(data: bytes) -> Note:
    """Parse a signed note strictly, without verifying any signature."""
    what = "signed note"
    if not isinstance(data, bytes):
        raise FormatError(what=what, problem="a signed note is bytes")
    try:
        message = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(what=what, problem=f"not valid UTF-8 at byte {exc.start}") from None
    if match := _CONTROL.search(message):
        raise FormatError(
            what=what,
            problem=f"control character U+{ord(match.group()):04X} at offset {match.start()}",
        )
    split = message.rfind("\n\n")
    if split < 0:
        raise FormatError(what=what, problem="no blank line between the text and the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block:
        raise FormatError(what=what, problem="no signature lines after the blank line")
    if not block.endswith("\n"):
        raise FormatError(what=what, problem="the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(what=what, problem=f"{len(lines)} signatures, more than {MAX_SIGNATURES}")
    return Note(text=text, signatures=tuple(parse_signature_line(line) for line in lines))


def sign_note(text: str, signers: Iterable[NoteSigner]) -> bytes:
    """Sign ``text`` (which must end in a newline) with every signer; the encoded note."""
    _check_text(text)
    message = text.encode("utf-8")
    signatures = tuple(
        NoteSignature(name=s.name, key_id=s.key_id, signature=s.sign(message)) for s in signers
    )
    return format_note(Note(text=text, signatures=signatures))


def open_note(data: bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse ``data`` and verify it against ``verifiers``.

    Signatures whose (name, key ID) no verifier has are ignored. Every signature
    by a known key must verify; at least one must exist. The returned note's
    ``verified_by`` lists the verified signatures in note order. Raises
    :class:`FormatError` for a malformed note and :class:`VerificationError` for
    a bad signature, no known signature, or a key two different verifiers claim.
    """
    note = parse_note(data)
    known: dict[tuple[str, bytes], list[Verifier]] = {}
    for verifier in verifiers:
        candidates = known.setdefault((verifier.name, bytes(verifier.key_id)), [])
        if verifier not in candidates:
            candidates.append(verifier)
    message = note.text.encode("utf-8")
    verified: list[NoteSignature] = []
    for signature in note.signatures:
        label = f"{signature.name}+{signature.key_id.hex()}"
        candidates = known.get((signature.name, signature.key_id), [])
        if not candidates:
            continue
        if len(candidates) > 1:
            raise VerificationError(f"ambiguous key {label}: more than one verifier claims it")
        if not candidates[0].verify(message, signature.signature):
            raise VerificationError(f"the signature by key {label} does not verify")
        verified.append(signature)
    if not verified:
        names = ", ".join(sorted({f"{n}+{k.hex()}" for n, k in known})) or "none"
        raise VerificationError(f"the note has no signature by a known key (known: {names})")
    return Note(text=note.text, signatures=note.signatures, verified_by=tuple(verified))
