"""Signed notes (c2sp.org/signed-note): keys, parsing, signing, verification.

External vectors, with provenance:

* Go reference ``golang.org/x/mod/sumdb/note``: repository golang/mod, files
  sumdb/note/note_test.go (commit 02c991387e35f9e4c0a9b7ce137717055f8d716d)
  and sumdb/note/note.go (commit 605edab4323bfdf06a0d8ac68b4b18e9e0df249b):
  the PeterNeumann signer and verifier keys, the EnochRoot verifier key, the
  two-line text, both signature lines, the mangled keys, the malformed notes.
* The example note of the C2SP signed-note document: repository C2SP/C2SP,
  signed-note.md (commit 1f701bb5e6f2ca0e552518737773efb1f7e55f91). Its key is
  not published, so only its framing is checked.
* A type 0x01 verifier key whose base64 contains '+': repository
  transparency-dev/formats, note/note_cosigv1_test.go (commit
  091ce41666c09683aa9350785e572be27f0c026d).
* The tessera golden log, transparency-dev/tessera testdata/log (commit
  1811ae1a), via the ``shared`` fixture, with its published keys.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.note import (
    MAX_SIGNATURES,
    Ed25519Verifier,
    Note,
    NoteSignature,
    Signer,
    decode_base64,
    format_note,
    key_id,
    open_note,
    parse_note,
    parse_signature_line,
    sign_note,
    split_verifier_key,
    validate_key_name,
)

# golang/mod sumdb/note/note_test.go @ 02c99138
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
    "6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33"
    "WWd1RvMc+QQ=\n"
)

# C2SP/C2SP signed-note.md @ 1f701bb5
C2SP_EXAMPLE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed è subito sera.\n"
    "\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMou"
    "FSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
).encode()

# transparency-dev/formats note/note_cosigv1_test.go @ 091ce416 ("works: convert from algEd25519")
PLUS_IN_BASE64_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"

# transparency-dev/tessera testdata/log @ 1811ae1a (see shared/vectors/README.md)
TESSERA_VKEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
TESSERA_SKEY = (
    "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg"
)
TESSERA_FILES = ["checkpoint", *(f"checkpoint.{n}" for n in range(16))]


@pytest.fixture
def peter() -> Ed25519Verifier:
    return Ed25519Verifier.from_vkey(PETER_VKEY)


@pytest.fixture
def enoch() -> Ed25519Verifier:
    return Ed25519Verifier.from_vkey(ENOCH_VKEY)


def _msg(*parts: str) -> bytes:
    return "".join(parts).encode()


# --- keys ------------------------------------------------------------------------------


def test_go_signer_key_round_trips_and_matches_its_verifier_key() -> None:
    signer = Signer.from_key_string(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.key_string() == PETER_SKEY
    assert signer.verifier().vkey() == PETER_VKEY


@pytest.mark.parametrize("vkey", [PETER_VKEY, ENOCH_VKEY, PLUS_IN_BASE64_VKEY, TESSERA_VKEY])
def test_verifier_keys_round_trip(vkey: str) -> None:
    verifier = Ed25519Verifier.from_vkey(vkey)
    assert verifier.vkey() == vkey
    assert verifier.key_id.hex() == vkey.split("+")[1]


def test_verifier_key_splits_on_the_first_two_plus_signs_only() -> None:
    name, kid, signature_type, key = split_verifier_key(PLUS_IN_BASE64_VKEY)
    assert (name, kid.hex(), signature_type, len(key)) == ("TEST", "7997405c", 1, 32)


def test_key_id_is_sha256_of_name_newline_type_key() -> None:
    verifier = Ed25519Verifier.from_vkey(PETER_VKEY)
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + verifier.public_key).digest()[:4]
    assert key_id("PeterNeumann", 0x01, verifier.public_key) == expected == verifier.key_id


def test_generated_signer_round_trips_through_its_key_string() -> None:
    signer = Signer.generate("example.com/generated")
    again = Signer.from_key_string(signer.key_string())
    assert again.public_key == signer.public_key
    assert again.key_id == signer.key_id
    assert signer.verifier().verify(b"hi", signer.sign(b"hi"))
    assert "seed" not in repr(signer)


def test_go_verifier_key_manglings_are_rejected() -> None:
    # note_test.go TestNewVerifier: every proper substring and every byte+1 fails.
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(FormatError):
                    Ed25519Verifier.from_vkey(PETER_VKEY[i:j])
    for i, char in enumerate(PETER_VKEY):
        with pytest.raises(FormatError):
            Ed25519Verifier.from_vkey(PETER_VKEY[:i] + chr(ord(char) + 1) + PETER_VKEY[i + 1 :])


def test_go_signer_key_manglings_are_rejected() -> None:
    # note_test.go TestNewSigner: every proper substring and every byte+1 fails.
    for i in range(len(PETER_SKEY) + 1):
        for j in range(i + 1, len(PETER_SKEY) + 1):
            if (i, j) != (0, len(PETER_SKEY)):
                with pytest.raises(FormatError):
                    Signer.from_key_string(PETER_SKEY[i:j])
    for i, char in enumerate(PETER_SKEY):
        with pytest.raises(FormatError):
            Signer.from_key_string(PETER_SKEY[:i] + chr(ord(char) + 1) + PETER_SKEY[i + 1 :])


@pytest.mark.parametrize(
    "vkey",
    [
        # note_test.go: wrong length key, with adjusted key hash
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        # note_test.go: unknown algorithm, with adjusted key hash
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
    ids=["bad_length", "wrong_type_byte"],
)
def test_go_bad_verifier_keys_with_adjusted_hash_are_rejected(vkey: str) -> None:
    with pytest.raises(FormatError):
        Ed25519Verifier.from_vkey(vkey)


def _skey(name: str, kid: str, material: bytes) -> str:
    return f"PRIVATE+KEY+{name}+{kid}+{base64.b64encode(material).decode()}"


def test_signer_key_string_bad_cases() -> None:
    seed = Signer.from_key_string(PETER_SKEY).seed
    secret = PETER_SKEY.split("+", 4)[4]
    assert base64.b64decode(secret) == b"\x01" + seed
    cases = {
        "wrong_hash": _skey("PeterNeumann", "c74f20a4", b"\x01" + seed),
        "uppercase_hash": _skey("PeterNeumann", "C74F20A3", b"\x01" + seed),
        "wrong_type_byte": _skey("PeterNeumann", "c74f20a3", b"\x04" + seed),
        "short_seed": _skey("PeterNeumann", "c74f20a3", b"\x01" + seed[:31]),
        "long_seed": _skey("PeterNeumann", "c74f20a3", b"\x01" + seed + b"\x00"),
        "type_only": _skey("PeterNeumann", "c74f20a3", b"\x01"),
        "extra_plus_in_name": _skey("Peter+Neumann", "c74f20a3", b"\x01" + seed),
        "space_in_name": _skey("Peter Neumann", "c74f20a3", b"\x01" + seed),
        "empty_name": _skey("", "c74f20a3", b"\x01" + seed),
        "not_private": PETER_SKEY.replace("PRIVATE+KEY", "PUBLIC+KEY"),
        "missing_prefix": PETER_SKEY.removeprefix("PRIVATE+KEY+"),
        "trailing_newline": PETER_SKEY + "\n",
    }
    for label, skey in cases.items():
        with pytest.raises(FormatError) as caught:
            Signer.from_key_string(skey)
        # A rejected key string never echoes its secret.
        assert secret not in str(caught.value), label


def test_verifier_key_bad_cases(peter: Ed25519Verifier) -> None:
    material = base64.b64encode(b"\x01" + peter.public_key).decode()
    for vkey in [
        f"PeterNeumann+c74f20a4+{material}",  # wrong hash
        f"PeterNeumann+C74F20A3+{material}",  # uppercase hash
        f"Peter+Neumann+c74f20a3+{material}",  # extra '+' part in the name
        f"PeterNeumann+c74f20a3+{material[:-1]}",  # truncated base64
        f"PeterNeumann+c74f20a3+{material} ",  # trailing space
        "PeterNeumann+c74f20a3",  # no key
        f"+c74f20a3+{material}",  # empty name
    ]:
        with pytest.raises(FormatError):
            Ed25519Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "name", ["", "a b", "a+b", "a\u00a0b", "a\u3000b", "a\u2028b", "a\tb", "a\x01b", "\ud800"]
)
def test_invalid_key_names_are_rejected(name: str) -> None:
    with pytest.raises(FormatError):
        validate_key_name(name)


def test_valid_key_names_are_accepted() -> None:
    for name in ["PeterNeumann", "example.com/log/testdata", "oid/1.3.6.1.4.1", "città.example"]:
        assert validate_key_name(name) == name


# --- Go reference: signing and opening -------------------------------------------------


def test_go_sign_reproduces_the_peter_neumann_note() -> None:
    signer = Signer.from_key_string(PETER_SKEY)
    assert sign_note(TEXT, [signer]) == _msg(TEXT, "\n", PETER_SIG)


def test_go_open_with_one_known_key_ignores_the_unknown_signature(peter: Ed25519Verifier) -> None:
    note = open_note(_msg(TEXT, "\n", PETER_SIG, ENOCH_SIG), [peter])
    assert note.text == TEXT
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert [(s.name, s.key_id.hex()) for s in note.verified_by] == [("PeterNeumann", "c74f20a3")]


def test_go_open_with_both_keys_verifies_both(
    peter: Ed25519Verifier, enoch: Ed25519Verifier
) -> None:
    note = open_note(_msg(TEXT, "\n", PETER_SIG, ENOCH_SIG), [peter, enoch])
    assert [s.name for s in note.verified_by] == ["PeterNeumann", "EnochRoot"]
    assert [s.key_id.hex() for s in note.verified_by] == ["c74f20a3", "af0cfe78"]


def test_unknown_key_only_note_is_rejected(peter: Ed25519Verifier) -> None:
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(_msg(TEXT, "\n", PETER_SIG, ENOCH_SIG), [])
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(_msg(TEXT, "\n", ENOCH_SIG), [peter])


def test_go_invalid_signature_by_known_key_is_rejected(peter: Ed25519Verifier) -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(VerificationError, match="PeterNeumann\\+c74f20a3"):
        open_note(_msg(TEXT, "\n", bad), [peter])


def test_bad_signature_by_known_key_rejects_even_beside_a_good_one(
    peter: Ed25519Verifier, enoch: Ed25519Verifier
) -> None:
    bad_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    assert open_note(_msg(TEXT, "\n", PETER_SIG, bad_enoch), [peter]).verified_by
    with pytest.raises(VerificationError, match="EnochRoot"):
        open_note(_msg(TEXT, "\n", PETER_SIG, bad_enoch), [peter, enoch])


def test_duplicate_signature_lines_are_rejected(peter: Ed25519Verifier) -> None:
    # Go drops repeated signatures by one key without verifying them; a strict
    # reader refuses them: a correct signer never emits two.
    with pytest.raises(FormatError, match="two signatures by key PeterNeumann"):
        parse_note(_msg(TEXT, "\n", PETER_SIG, PETER_SIG))
    with pytest.raises(FormatError, match="two signatures"):
        open_note(_msg(TEXT, "\n", PETER_SIG, ENOCH_SIG, ENOCH_SIG), [peter])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "— Bad Name " + PETER_SIG.split(" ")[2],
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ],
    ids=[
        "no_blank_line",
        "no_signatures",
        "missing_final_newline",
        "control_character",
        "space_in_name",
        "unexpected_line",
    ],
)
def test_go_malformed_notes_are_rejected(message: str, peter: Ed25519Verifier) -> None:
    with pytest.raises(FormatError):
        open_note(message.encode(), [peter])


def test_go_invalid_utf8_note_is_rejected(peter: Ed25519Verifier) -> None:
    with pytest.raises(FormatError, match="UTF-8"):
        open_note(b"\xff" + _msg(TEXT, "\n", PETER_SIG), [peter])


def test_ambiguous_verifiers_are_an_error_only_when_used(
    peter: Ed25519Verifier, enoch: Ed25519Verifier
) -> None:
    @dataclass(frozen=True)
    class Impostor:
        name: str
        key_id: bytes

        def verify(self, message: bytes, signature: bytes) -> bool:
            return True

    impostor = Impostor(name="EnochRoot", key_id=enoch.key_id)
    with pytest.raises(VerificationError, match="ambiguous key EnochRoot\\+af0cfe78"):
        open_note(_msg(TEXT, "\n", ENOCH_SIG), [enoch, peter, impostor])
    assert open_note(_msg(TEXT, "\n", PETER_SIG), [enoch, peter, impostor]).verified_by
    # The same key given twice is not ambiguous.
    assert open_note(_msg(TEXT, "\n", ENOCH_SIG), [enoch, Ed25519Verifier.from_vkey(ENOCH_VKEY)])


# --- the C2SP example -----------------------------------------------------------------


def test_c2sp_example_splits_at_the_last_blank_line() -> None:
    note = parse_note(C2SP_EXAMPLE)
    assert note.text == (
        "Ognuno sta solo sul cuor della terra\n"
        "trafitto da un raggio di sole:\n"
        "\n"
        "ed è subito sera.\n"
    )
    (signature,) = note.signatures
    assert signature.name == "quasimodo.example/salvatore"
    assert len(signature.signature) == 64
    assert signature.key_id.hex() == "367ba04b"
    assert format_note(note) == C2SP_EXAMPLE


def test_c2sp_example_by_an_unknown_key_does_not_open(peter: Ed25519Verifier) -> None:
    with pytest.raises(VerificationError):
        open_note(C2SP_EXAMPLE, [peter])


# --- the tessera golden log -----------------------------------------------------------


@pytest.mark.parametrize("filename", TESSERA_FILES)
def test_tessera_checkpoint_notes_verify_and_our_signer_reproduces_them(
    shared: Path, filename: str
) -> None:
    data = (shared / "vectors" / "tessera-log" / filename).read_bytes()
    verifier = Ed25519Verifier.from_vkey(TESSERA_VKEY)
    note = open_note(data, [verifier])
    assert note.verified_by == note.signatures
    assert format_note(parse_note(data)) == data
    signer = Signer.from_key_string(TESSERA_SKEY)
    assert signer.verifier().vkey() == TESSERA_VKEY
    assert sign_note(note.text, [signer]) == data


# --- negative cases, each named after what it breaks ----------------------------------


@pytest.fixture
def good() -> bytes:
    return _msg(TEXT, "\n", PETER_SIG)


def test_good_note_opens(good: bytes, peter: Ed25519Verifier) -> None:
    assert open_note(good, [peter]).text == TEXT


def test_rejects_missing_final_newline(good: bytes) -> None:
    with pytest.raises(FormatError, match="newline"):
        parse_note(good[:-1])


def test_rejects_no_blank_line(good: bytes) -> None:
    with pytest.raises(FormatError, match="no blank line"):
        parse_note(good.replace(b"\n\n", b"\n"))


@pytest.mark.parametrize("dash", ["\u2013 ", "- ", "\u2014", "\u2014\u00a0", "\u2015 ", " \u2014 "])
def test_rejects_bad_em_dash(good: bytes, dash: str) -> None:
    with pytest.raises(FormatError):
        parse_note(good.replace("\u2014 ".encode(), dash.encode()))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b64: b64.rstrip("="),  # missing padding
        lambda b64: b64[:10] + "*" + b64[11:],  # not in the alphabet
        lambda b64: b64.replace("/", "_"),  # URL-safe alphabet
        lambda b64: b64[:10] + " " + b64[10:],  # space inside
        lambda b64: b64[:-2] + "N=",  # non-zero trailing bits (non-canonical)
        lambda b64: "",  # empty
    ],
    ids=["missing_padding", "bad_char", "url_safe", "space", "non_canonical", "empty"],
)
def test_rejects_bad_base64(mangle: Callable[[str], str]) -> None:
    b64 = PETER_SIG.split(" ")[2].rstrip("\n")
    assert b64.endswith("M=")
    line = f"— PeterNeumann {mangle(b64)}\n"
    with pytest.raises(FormatError):
        parse_note(_msg(TEXT, "\n", line))


def test_rejects_short_signature(peter: Ed25519Verifier) -> None:
    only_key_id = base64.b64encode(peter.key_id).decode()
    with pytest.raises(FormatError, match="only 4 bytes"):
        parse_note(_msg(TEXT, "\n", f"— PeterNeumann {only_key_id}\n"))
    truncated = base64.b64encode(peter.key_id + b"\x00" * 63).decode()
    with pytest.raises(VerificationError):
        open_note(_msg(TEXT, "\n", f"— PeterNeumann {truncated}\n"), [peter])


def test_rejects_wrong_key_id(peter: Ed25519Verifier) -> None:
    raw = base64.b64decode(PETER_SIG.split(" ")[2])
    zero_id = base64.b64encode(bytes(4) + raw[4:]).decode()
    line = f"— PeterNeumann {zero_id}\n"
    note = parse_note(_msg(TEXT, "\n", line))
    assert note.signatures[0].key_id == b"\x00\x00\x00\x00"
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(_msg(TEXT, "\n", line), [peter])


def test_rejects_wrong_key_name(peter: Ed25519Verifier) -> None:
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(_msg(TEXT, "\n", PETER_SIG.replace("PeterNeumann", "CarmenSandiego")), [peter])


def test_rejects_tampered_text(good: bytes, peter: Ed25519Verifier) -> None:
    with pytest.raises(VerificationError):
        open_note(good.replace(b"answer", b"Answer"), [peter])


def test_rejects_tampered_signature(peter: Ed25519Verifier) -> None:
    raw = bytearray(base64.b64decode(PETER_SIG.split(" ")[2]))
    raw[-1] ^= 0x01
    line = f"— PeterNeumann {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(_msg(TEXT, "\n", line), [peter])


def _unknown_signature(number: int) -> NoteSignature:
    return NoteSignature(name=f"w{number}.example", key_id=b"\x00\x00\x00\x01", signature=b"s" * 64)


def test_accepts_up_to_the_maximum_number_of_signatures(peter: Ed25519Verifier) -> None:
    others = "".join(_unknown_signature(n).line() for n in range(MAX_SIGNATURES - 1))
    note = open_note(_msg(TEXT, "\n", others, PETER_SIG), [peter])
    assert len(note.signatures) == MAX_SIGNATURES == 100


def test_rejects_too_many_signatures(peter: Ed25519Verifier) -> None:
    others = "".join(_unknown_signature(n).line() for n in range(MAX_SIGNATURES))
    with pytest.raises(FormatError, match="more than 100"):
        open_note(_msg(TEXT, "\n", others, PETER_SIG), [peter])
    # note_test.go: 101 copies of one signature line.
    with pytest.raises(FormatError, match="more than 100"):
        parse_note(_msg(TEXT, "\n", PETER_SIG * 101))


@pytest.mark.parametrize(
    "bad",
    [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x80", b"\xf4\x90\x80\x80"],
    ids=["ff", "overlong_nul", "surrogate", "truncated", "above_max"],
)
def test_rejects_non_utf8(good: bytes, bad: bytes) -> None:
    with pytest.raises(FormatError, match="UTF-8"):
        parse_note(bad + good)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\t", "\r", "\x0b", "\x1b", "\x1f"])
def test_rejects_control_characters(good: bytes, char: str) -> None:
    with pytest.raises(FormatError, match="control character"):
        parse_note(char.encode() + good)
    with pytest.raises(FormatError, match="control character"):
        parse_note(good[:-1] + char.encode() + b"\n")
    with pytest.raises(FormatError, match="control character"):
        sign_note("a" + char + "\n", [Signer.from_key_string(PETER_SKEY)])


def test_delete_character_is_not_a_control_character_here() -> None:
    # The specification forbids characters below U+0020 only.
    signer = Signer.from_key_string(PETER_SKEY)
    data = sign_note("a\x7fb\n", [signer])
    assert open_note(data, [signer.verifier()]).text == "a\x7fb\n"


def test_rejects_crlf_line_endings(good: bytes) -> None:
    with pytest.raises(FormatError):
        parse_note(good.replace(b"\n", b"\r\n"))


# --- building notes -------------------------------------------------------------------


def test_note_values_are_validated() -> None:
    signature = parse_signature_line(PETER_SIG[:-1])
    with pytest.raises(FormatError):
        Note(text="no newline", signatures=(signature,))
    with pytest.raises(FormatError):
        Note(text=TEXT, signatures=())
    with pytest.raises(FormatError):
        Note(text=TEXT, signatures=(signature,), verified_by=(_unknown_signature(1),))
    with pytest.raises(FormatError):
        NoteSignature(name="PeterNeumann", key_id=b"\x00" * 3, signature=b"x")
    with pytest.raises(FormatError):
        NoteSignature(name="PeterNeumann", key_id=b"\x00" * 4, signature=b"")
    with pytest.raises(FormatError):
        Signer(name="x", seed=b"\x00" * 31)
    with pytest.raises(FormatError):
        Ed25519Verifier(name="x", public_key=b"\x00" * 33)


def test_sign_note_needs_a_signer_and_a_text_ending_in_newline() -> None:
    signer = Signer.from_key_string(PETER_SKEY)
    with pytest.raises(FormatError):
        sign_note(TEXT, [])
    with pytest.raises(FormatError):
        sign_note(TEXT.rstrip("\n"), [signer])
    with pytest.raises(FormatError, match="two signatures"):
        sign_note(TEXT, [signer, signer])


def test_sign_note_with_two_signers_opens_with_both() -> None:
    first, second = Signer.generate("one.example"), Signer.generate("two.example")
    data = sign_note(TEXT, [first, second])
    note = open_note(data, [second.verifier(), first.verifier()])
    assert [s.name for s in note.verified_by] == ["one.example", "two.example"]


def test_decode_base64_is_canonical_only() -> None:
    assert decode_base64("QQ==", what="x") == b"A"
    for text in ["QR==", "QQ", "QQ=", " QQ==", "QQ==\n", "Q Q==", "é"]:
        with pytest.raises(FormatError):
            decode_base64(text, what="x")


_TEXT_CHARS = st.characters(
    exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(0x20) if c != 0x0A]
)


@given(body=st.text(_TEXT_CHARS, max_size=200))
def test_any_valid_text_round_trips(body: str) -> None:
    text = body + "\n"
    signer = Signer.from_key_string(PETER_SKEY)
    data = sign_note(text, [signer])
    note = open_note(data, [signer.verifier()])
    assert note.text == text
    assert format_note(parse_note(data)) == data


@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_format_error(data: bytes) -> None:
    try:
        note = parse_note(data)
    except FormatError:
        return
    assert format_note(note) == data


@given(tail=st.text(max_size=120))
def test_arbitrary_signature_blocks_parse_or_raise_format_error(tail: str) -> None:
    data = (TEXT + "\n\u2014 " + tail).encode("utf-8", "surrogatepass")
    try:
        note = parse_note(data)
    except FormatError:
        return
    assert format_note(note) == data
