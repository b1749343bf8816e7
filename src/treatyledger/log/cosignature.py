"""C2SP timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature, signature type 0x04).

A cosigner (a witness) signs the message::

    cosignature/v1
    time <POSIX seconds, decimal, no leading zeros>
    <the whole checkpoint body, extension lines included>

and publishes it as a note signature line whose signature bytes are the
8-byte big-endian timestamp followed by the 64-byte Ed25519 signature. The key
ID is computed with type byte 0x04, so the same key never verifies as a plain
Ed25519 (0x01) note signature, nor the reverse.

Strict choices: verifier keys must have type 0x04 (a 0x01 key is refused,
though some implementations convert it silently); the cosigned body must be a
valid checkpoint; timestamps lie in ``0..2**63-1``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import parse_checkpoint
from treatyledger.log.note import (
    NoteSignature,
    encode_base64,
    format_verifier_key,
    key_id,
    split_ed25519_skey,
    split_ed25519_vkey,
    validate_key_name,
)

__all__ = [
    "COSIGNATURE_SIZE",
    "COSIGNATURE_V1_TYPE",
    "MAX_TIMESTAMP",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosignature_timestamp",
    "cosigned_message",
]

COSIGNATURE_V1_TYPE = 0x04
"""Signature type byte of timestamped Ed25519 cosignatures."""

MAX_TIMESTAMP = 2**63 - 1
"""The largest timestamp a cosignature may carry."""

COSIGNATURE_SIZE = 8 + 64
"""Bytes of a cosignature after the key ID: timestamp and Ed25519 signature."""

_HEADER = "cosignature/v1\n"
_KEY_SIZE = 32
_WHAT = "cosignature"


def _check_timestamp(timestamp: object) -> int:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise FormatError(what=_WHAT, problem="the timestamp must be an integer")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise FormatError(what=_WHAT, problem=f"timestamp {timestamp} is outside 0..2^63-1")
    return timestamp


def cosigned_message(checkpoint_body: str, timestamp: int) -> bytes:
    """The bytes a v1 cosignature signs: header, time line, then the checkpoint body.

    Raises :class:`FormatError` if the body is not a valid checkpoint or the
    timestamp is out of range.
    """
    parse_checkpoint(checkpoint_body)
    _check_timestamp(timestamp)
    return f"{_HEADER}time {timestamp}\n{checkpoint_body}".encode()


def cosignature_timestamp(signature: NoteSignature) -> int:
    """The timestamp a cosignature *claims*, read without verifying anything.

    Raises :class:`FormatError` if the signature is not 8 + 64 bytes or the
    timestamp exceeds 2^63-1. Use :meth:`CosignatureVerifier.verify_cosignature`
    for a timestamp that can be trusted.
    """
    raw = signature.signature
    if len(raw) != COSIGNATURE_SIZE:
        raise FormatError(
            what=_WHAT, problem=f"a cosignature has {COSIGNATURE_SIZE} bytes, not {len(raw)}"
        )
    return _check_timestamp(int.from_bytes(raw[:8], "big"))


@dataclass(frozen=True)
class CosignatureVerifier:
    """A cosigner's public key (type 0x04); implements the note ``Verifier`` protocol."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        validate_key_name(self.name, what="verifier key")
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _KEY_SIZE:
            raise FormatError(what="verifier key", problem="an Ed25519 key has 32 bytes")
        object.__setattr__(self, "key_id", key_id(self.name, COSIGNATURE_V1_TYPE, self.public_key))
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``name+hex8+base64(0x04 || 32-byte key)`` strictly."""
        name, key = split_ed25519_vkey(vkey, COSIGNATURE_V1_TYPE, "a cosignature key")
        return cls(name=name, public_key=key)

    def vkey(self) -> str:
        """The verifier key string ``name+hex8+base64(0x04 || public key)``."""
        return format_verifier_key(self.name, COSIGNATURE_V1_TYPE, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp || Ed25519) cosigns the checkpoint body ``message``."""
        if len(signature) != COSIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        try:
            signed = cosigned_message(message.decode("utf-8"), timestamp)
        except (UnicodeDecodeError, FormatError):
            return False
        try:
            self._key.verify(signature[8:], signed)
        except InvalidSignature:
            return False
        return True

    def verify_cosignature(
        self, checkpoint_body: str, signature: NoteSignature, *, not_after: int | None = None
    ) -> int:
        """Return the timestamp of ``signature`` if it is this cosigner's valid cosignature.

        ``signature`` must carry this verifier's name and key ID. If
        ``not_after`` is given, a later timestamp is refused (the specification
        lets verifiers reject timestamps in the future). Raises
        :class:`VerificationError` otherwise.
        """
        label = f"{signature.name}+{signature.key_id.hex()}"
        if signature.name != self.name or signature.key_id != self.key_id:
            raise VerificationError(f"the signature by {label} is not by cosigner {self.name}")
        if not self.verify(checkpoint_body.encode("utf-8"), signature.signature):
            raise VerificationError(f"the cosignature by {label} does not verify")
        timestamp = int.from_bytes(signature.signature[:8], "big")
        if not_after is not None and timestamp > not_after:
            raise VerificationError(
                f"the cosignature by {label} is dated {timestamp}, after {not_after}"
            )
        return timestamp


@dataclass(frozen=True, eq=False)
class CosignatureSigner:
    """A cosigner: a name and a 32-byte Ed25519 seed (never shown in repr)."""

    name: str
    seed: bytes = field(repr=False)
    public_key: bytes = field(init=False)
    key_id: bytes = field(init=False)
    _key: Ed25519PrivateKey = field(init=False, repr=False)

    def __post_init__(self) -> None:
        validate_key_name(self.name, what="signer key")
        if not isinstance(self.seed, bytes) or len(self.seed) != _KEY_SIZE:
            raise FormatError(what="signer key", problem="an Ed25519 seed has 32 bytes")
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "_key", private)
        object.__setattr__(self, "public_key", public)
        object.__setattr__(self, "key_id", key_id(self.name, COSIGNATURE_V1_TYPE, public))

    @classmethod
    def generate(cls, name: str) -> CosignatureSigner:
        """A new cosigner with a fresh random seed."""
        return cls(name=name, seed=secrets.token_bytes(_KEY_SIZE))

    @classmethod
    def from_private_key(cls, name: str, key: Ed25519PrivateKey) -> CosignatureSigner:
        """A cosigner named ``name`` using an existing Ed25519 private key."""
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(name=name, seed=seed)

    @classmethod
    def from_key_string(cls, skey: str) -> CosignatureSigner:
        """Parse ``PRIVATE+KEY+name+hex8+base64(0x04 || seed)``, checking type, length and ID."""
        name, declared, seed = split_ed25519_skey(skey, COSIGNATURE_V1_TYPE, "a cosignature key")
        signer = cls(name=name, seed=seed)
        if not hmac.compare_digest(declared, signer.key_id):
            raise FormatError(what="signer key", problem="the key ID does not match the key")
        return signer

    def key_string(self) -> str:
        """The secret key string ``PRIVATE+KEY+name+hex8+base64(0x04 || seed)``."""
        material = encode_base64(bytes([COSIGNATURE_V1_TYPE]) + self.seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{material}"

    def vkey(self) -> str:
        """The verifier key string ``name+hex8+base64(0x04 || public key)``."""
        return format_verifier_key(self.name, COSIGNATURE_V1_TYPE, self.public_key)

    def verifier(self) -> CosignatureVerifier:
        """The matching public verifier."""
        return CosignatureVerifier(name=self.name, public_key=self.public_key)

    def cosign(self, checkpoint_body: str, timestamp: int) -> NoteSignature:
        """The cosignature of ``checkpoint_body`` at ``timestamp`` (POSIX seconds).

        Raises :class:`FormatError` if the body is not a valid checkpoint or the
        timestamp is outside ``0..2**63-1``.
        """
        message = cosigned_message(checkpoint_body, timestamp)
        signature = timestamp.to_bytes(8, "big") + self._key.sign(message)
        return NoteSignature(name=self.name, key_id=self.key_id, signature=signature)

    def cosignature_line(self, checkpoint_body: str, timestamp: int) -> str:
        """The note signature line ``— name base64(...)`` (with newline) of :meth:`cosign`."""
        return self.cosign(checkpoint_body, timestamp).line()
