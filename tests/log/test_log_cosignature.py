"""Timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature, type 0x04).

External vectors, with provenance (no public known-answer test with a
published cosigner key and a fixed timestamp was found, so signatures are
checked by round trip, and the public material below checks the framing,
the key IDs and the signed message):

* The example of the C2SP tlog-cosignature document: repository C2SP/C2SP,
  tlog-cosignature.md (commit 01194db11950a0ae2b2b2401afa0a4063a822458): the
  behind-the-sofa checkpoint, the witness.example.com/w1 cosignature line and
  the signed-message example with ``time 1679315147``. The document's
  cosignature line has a stray literal ``\\n`` inside its base64 (an artefact
  of the document); it is removed here.
* transparency-dev/formats, note/note_cosigv1_test.go (commit
  091ce41666c09683aa9350785e572be27f0c026d): the 0x04 verifier key of the
  remora.n621.de witness, the 0x01 key ``TEST+7997405c+…``, and the
  cosignature whose timestamp is 1727964367 next to a plain Ed25519 one.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, sign_checkpoint
from treatyledger.log.cosignature import (
    COSIGNATURE_SIZE,
    MAX_TIMESTAMP,
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_timestamp,
    cosigned_message,
)
from treatyledger.log.note import (
    Ed25519Verifier,
    Note,
    NoteSignature,
    Signer,
    format_note,
    open_note,
    parse_signature_line,
)

# C2SP/C2SP tlog-cosignature.md @ 01194db1
C2SP_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
C2SP_WITNESS_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2o"
    "yin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
C2SP_MESSAGE = (
    "cosignature/v1\n"
    "time 1679315147\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

# transparency-dev/formats note/note_cosigv1_test.go @ 091ce416
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
ED25519_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
TIMESTAMPED_B64 = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJ"
    "XORmnFBOBA=="
)
PLAIN_ED25519_B64 = (
    "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
)

ROOT = hashlib.sha256(b"root").digest()
BODY = Checkpoint(origin="example.com/log", size=42, root_hash=ROOT).body()
T = 1_700_000_000


def _signature(b64: str) -> NoteSignature:
    raw = base64.b64decode(b64)
    return NoteSignature(name="w.example", key_id=raw[:4], signature=raw[4:])


@pytest.fixture(scope="module")
def witness() -> CosignatureSigner:
    return CosignatureSigner(name="witness.example/w1", seed=hashlib.sha256(b"witness").digest())


# --- external vectors -----------------------------------------------------------------


def test_c2sp_signed_message_example_is_reproduced() -> None:
    assert cosigned_message(C2SP_BODY, 1679315147) == C2SP_MESSAGE.encode()


def test_c2sp_witness_line_frames_a_timestamped_signature() -> None:
    signature = parse_signature_line(C2SP_WITNESS_LINE)
    assert signature.name == "witness.example.com/w1"
    assert signature.key_id.hex() == "8d66cf3f"
    assert len(signature.signature) == COSIGNATURE_SIZE == 72
    assert cosignature_timestamp(signature) == 1679315147  # the message example's time


def test_c2sp_witness_line_as_printed_is_rejected() -> None:
    printed = C2SP_WITNESS_LINE.replace("1nPZqhf5", "1nPZ\\nqhf5")
    with pytest.raises(FormatError):
        parse_signature_line(printed)


def test_formats_remora_vkey_has_a_key_id_computed_with_type_0x04() -> None:
    verifier = CosignatureVerifier.from_vkey(REMORA_VKEY)
    assert verifier.name == "remora.n621.de"
    assert verifier.key_id.hex() == "da77ade7"
    assert hashlib.sha256(b"remora.n621.de\n\x04" + verifier.public_key).digest()[:4] == (
        verifier.key_id
    )
    assert verifier.vkey() == REMORA_VKEY


def test_a_cosignature_key_is_not_a_plain_ed25519_key_and_vice_versa() -> None:
    with pytest.raises(FormatError, match="not Ed25519"):
        Ed25519Verifier.from_vkey(REMORA_VKEY)
    # transparency-dev/formats converts 0x01 keys silently; this module refuses.
    with pytest.raises(FormatError, match="not a cosignature key"):
        CosignatureVerifier.from_vkey(ED25519_VKEY)


def test_formats_timestamp_vectors() -> None:
    assert cosignature_timestamp(_signature(TIMESTAMPED_B64)) == 1727964367
    with pytest.raises(FormatError, match="72 bytes"):
        cosignature_timestamp(_signature(PLAIN_ED25519_B64))


# --- signing and verifying ------------------------------------------------------------


def test_cosignature_round_trip(witness: CosignatureSigner) -> None:
    signature = witness.cosign(BODY, T)
    assert signature.name == "witness.example/w1"
    assert signature.key_id == witness.key_id
    assert signature.signature[:8] == T.to_bytes(8, "big")
    assert len(signature.signature) == 72
    assert witness.verifier().verify_cosignature(BODY, signature) == T
    assert cosignature_timestamp(signature) == T


def test_cosigning_is_deterministic(witness: CosignatureSigner) -> None:
    assert witness.cosign(BODY, T) == witness.cosign(BODY, T)


def test_key_id_uses_type_0x04(witness: CosignatureSigner) -> None:
    expected = hashlib.sha256(b"witness.example/w1\n\x04" + witness.public_key).digest()[:4]
    assert witness.key_id == expected == witness.verifier().key_id
    plain = Signer(name=witness.name, seed=witness.seed)
    assert plain.key_id != witness.key_id
    assert witness.vkey().startswith(f"witness.example/w1+{expected.hex()}+B")


def test_cosignature_line_is_a_note_signature_line(witness: CosignatureSigner) -> None:
    line = witness.cosignature_line(BODY, T)
    assert line.startswith("— witness.example/w1 ")
    assert line.endswith("\n")
    assert parse_signature_line(line[:-1]) == witness.cosign(BODY, T)


def test_cosigned_checkpoint_opens_with_log_and_witness_verifiers(
    witness: CosignatureSigner,
) -> None:
    log = Signer.generate("example.com/log")
    signed = sign_checkpoint(Checkpoint(origin="example.com/log", size=42, root_hash=ROOT), log)
    cosigned = signed + witness.cosignature_line(BODY, T).encode()
    note = open_note(cosigned, [log.verifier(), witness.verifier()])
    assert [s.name for s in note.verified_by] == ["example.com/log", "witness.example/w1"]
    assert witness.verifier().verify_cosignature(note.text, note.verified_by[1]) == T
    # A plain Ed25519 verifier of the same key and name does not know the 0x04 signature.
    only_cosig = format_note(Note(text=BODY, signatures=(witness.cosign(BODY, T),)))
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(only_cosig, [Ed25519Verifier(name=witness.name, public_key=witness.public_key)])
    assert open_note(only_cosig, [witness.verifier()]).verified_by


def test_wrong_timestamp_fails(witness: CosignatureSigner) -> None:
    signature = witness.cosign(BODY, T)
    moved = NoteSignature(
        name=signature.name,
        key_id=signature.key_id,
        signature=(T + 1).to_bytes(8, "big") + signature.signature[8:],
    )
    with pytest.raises(VerificationError, match="does not verify"):
        witness.verifier().verify_cosignature(BODY, moved)


def test_wrong_body_fails(witness: CosignatureSigner) -> None:
    signature = witness.cosign(BODY, T)
    other = Checkpoint(origin="example.com/log", size=43, root_hash=ROOT).body()
    with pytest.raises(VerificationError, match="does not verify"):
        witness.verifier().verify_cosignature(other, signature)
    assert not witness.verifier().verify(b"not a checkpoint\n", signature.signature)
    assert not witness.verifier().verify(b"\xff", signature.signature)


def test_wrong_key_fails(witness: CosignatureSigner) -> None:
    impostor = CosignatureSigner.generate(witness.name)
    signature = impostor.cosign(BODY, T)
    with pytest.raises(VerificationError, match="not by cosigner"):
        witness.verifier().verify_cosignature(BODY, signature)
    assert not witness.verifier().verify(BODY.encode(), signature.signature)
    renamed = CosignatureSigner(name="witness.example/w2", seed=witness.seed)
    with pytest.raises(VerificationError, match="not by cosigner"):
        witness.verifier().verify_cosignature(BODY, renamed.cosign(BODY, T))


def test_tampered_signature_fails(witness: CosignatureSigner) -> None:
    signature = witness.cosign(BODY, T)
    raw = bytearray(signature.signature)
    raw[-1] ^= 1
    for bad in [bytes(raw), signature.signature[:-1], signature.signature + b"\x00"]:
        assert not witness.verifier().verify(BODY.encode(), bad)


def test_extension_lines_are_covered(witness: CosignatureSigner) -> None:
    extended = Checkpoint(
        origin="example.com/log", size=42, root_hash=ROOT, extensions=("ext 1", "ext 2")
    ).body()
    signature = witness.cosign(extended, T)
    assert witness.verifier().verify_cosignature(extended, signature) == T
    with pytest.raises(VerificationError):
        witness.verifier().verify_cosignature(extended.replace("ext 2", "ext X"), signature)
    with pytest.raises(VerificationError):
        witness.verifier().verify_cosignature(BODY, signature)


def test_timestamps_are_bounded(witness: CosignatureSigner) -> None:
    assert witness.verifier().verify_cosignature(BODY, witness.cosign(BODY, 0)) == 0
    top = witness.cosign(BODY, MAX_TIMESTAMP)
    assert witness.verifier().verify_cosignature(BODY, top) == 2**63 - 1
    for bad in [-1, 2**63, True, 1.5]:
        with pytest.raises(FormatError):
            witness.cosign(BODY, bad)  # type: ignore[arg-type]
    # A genuine Ed25519 signature over a message dated 2^63 is still refused.
    key = Ed25519PrivateKey.from_private_bytes(witness.seed)
    late = key.sign(f"cosignature/v1\ntime {2**63}\n{BODY}".encode())
    assert not witness.verifier().verify(BODY.encode(), (2**63).to_bytes(8, "big") + late)


def test_timestamps_after_not_after_are_refused(witness: CosignatureSigner) -> None:
    signature = witness.cosign(BODY, T)
    assert witness.verifier().verify_cosignature(BODY, signature, not_after=T) == T
    with pytest.raises(VerificationError, match="after"):
        witness.verifier().verify_cosignature(BODY, signature, not_after=T - 1)


def test_only_checkpoint_bodies_are_cosigned(witness: CosignatureSigner) -> None:
    for body in ["hello\n", "example.com/log\n42\n", BODY.rstrip("\n"), BODY + "\n"]:
        with pytest.raises(FormatError):
            witness.cosign(body, T)


# --- keys -----------------------------------------------------------------------------


def test_key_strings_round_trip(witness: CosignatureSigner) -> None:
    again = CosignatureSigner.from_key_string(witness.key_string())
    assert again.public_key == witness.public_key
    assert again.key_id == witness.key_id
    assert witness.key_string().split("+")[4].startswith("B")  # base64 of 0x04 || seed
    assert CosignatureVerifier.from_vkey(witness.vkey()) == witness.verifier()
    assert "seed" not in repr(witness)


def test_bad_key_strings_are_rejected(witness: CosignatureSigner) -> None:
    # A plain Ed25519 (0x01) signer key is not a cosigner key.
    with pytest.raises(FormatError, match="0x01"):
        CosignatureSigner.from_key_string(Signer.generate("w.example").key_string())
    name, kid, material = witness.key_string().removeprefix("PRIVATE+KEY+").split("+", 2)
    wrong_id = f"{int(kid, 16) ^ 1:08x}"
    for skey in [
        f"PRIVATE+KEY+{name}+{wrong_id}+{material}",
        f"PRIVATE+KEY+{name}x+{kid}+{material}",
        f"PRIVATE+KEY+{name}+{kid}+{material[:-4]}",
    ]:
        with pytest.raises(FormatError):
            CosignatureSigner.from_key_string(skey)
    vname, vkid, vmaterial = witness.vkey().split("+", 2)
    for vkey in [f"{vname}+{wrong_id}+{vmaterial}", f"{vname}+{vkid}+{vmaterial[:-4]}"]:
        with pytest.raises(FormatError):
            CosignatureVerifier.from_vkey(vkey)


def test_from_private_key_uses_the_same_seed(witness: CosignatureSigner) -> None:
    key = Ed25519PrivateKey.from_private_bytes(witness.seed)
    again = CosignatureSigner.from_private_key(witness.name, key)
    assert again.key_id == witness.key_id
    assert again.cosign(BODY, T) == witness.cosign(BODY, T)


@settings(max_examples=30)
@given(timestamp=st.integers(min_value=0, max_value=MAX_TIMESTAMP), size=st.integers(0, 2**64 - 1))
def test_any_timestamp_and_size_round_trip(
    witness: CosignatureSigner, timestamp: int, size: int
) -> None:
    body = Checkpoint(origin="example.com/log", size=size, root_hash=ROOT).body()
    signature = witness.cosign(body, timestamp)
    assert witness.verifier().verify_cosignature(body, signature) == timestamp
