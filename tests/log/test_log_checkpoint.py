"""Checkpoints (c2sp.org/tlog-checkpoint): body format, parsing, signing, opening.

External vectors, with provenance:

* The tessera golden log, transparency-dev/tessera testdata/log (commit
  1811ae1a), via the ``shared`` fixture: ``checkpoint`` and
  ``checkpoint.0`` … ``checkpoint.15`` with the published keys.
* The example checkpoint of the C2SP tlog-checkpoint document: repository
  C2SP/C2SP, tlog-checkpoint.md (commit
  2793893976c835db049c194d8f2c4f946dcb70ba). Its key is not published, so
  only the body and the signature framing are checked.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from treatyledger.log.note import (
    Ed25519Verifier,
    NoteSignature,
    Signer,
    parse_note,
    sign_note,
)

TESSERA_VKEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
TESSERA_SKEY = (
    "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg"
)
TESSERA_ORIGIN = "example.com/log/testdata"

# C2SP/C2SP tlog-checkpoint.md @ 27938939
C2SP_EXAMPLE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2"
    "q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
).encode()

ROOT = hashlib.sha256(b"root").digest()
BODY = f"example.com/log\n7\n{base64.b64encode(ROOT).decode()}\n"


def _tessera(shared: Path, name: str) -> bytes:
    return (shared / "vectors" / "tessera-log" / name).read_bytes()


# --- external vectors -----------------------------------------------------------------


@pytest.mark.parametrize("size", range(16))
def test_tessera_checkpoints_parse_round_trip_and_open(shared: Path, size: int) -> None:
    data = _tessera(shared, f"checkpoint.{size}")
    text = parse_note(data).text
    checkpoint = parse_checkpoint(text)
    assert checkpoint.origin == TESSERA_ORIGIN
    assert checkpoint.size == size
    assert checkpoint.extensions == ()
    assert checkpoint.body() == text
    verifier = Ed25519Verifier.from_vkey(TESSERA_VKEY)
    assert open_checkpoint(data, verifier) == checkpoint
    assert open_checkpoint(data, verifier, origin=TESSERA_ORIGIN) == checkpoint
    assert sign_checkpoint(checkpoint, Signer.from_key_string(TESSERA_SKEY)) == data


def test_tessera_empty_checkpoint_has_the_empty_tree_root(shared: Path) -> None:
    checkpoint = parse_checkpoint(parse_note(_tessera(shared, "checkpoint.0")).text)
    assert checkpoint.root_hash == hashlib.sha256(b"").digest()


def test_tessera_latest_checkpoint_is_checkpoint_15(shared: Path) -> None:
    assert _tessera(shared, "checkpoint") == _tessera(shared, "checkpoint.15")


def test_tessera_checkpoint_opened_for_another_origin_fails(shared: Path) -> None:
    verifier = Ed25519Verifier.from_vkey(TESSERA_VKEY)
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(_tessera(shared, "checkpoint.3"), verifier, origin="example.com/other")


def test_c2sp_example_body_parses_and_round_trips() -> None:
    note = parse_note(C2SP_EXAMPLE)
    checkpoint = parse_checkpoint(note.text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert base64.b64encode(checkpoint.root_hash) == b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert checkpoint.body() == note.text
    (signature,) = note.signatures
    assert signature.name == checkpoint.origin
    assert len(signature.signature) == 64


# --- building, signing and opening ----------------------------------------------------


def test_body_is_origin_size_root_and_extensions() -> None:
    checkpoint = Checkpoint(origin="example.com/log", size=7, root_hash=ROOT)
    assert checkpoint.body() == BODY
    extended = Checkpoint(
        origin="example.com/log", size=7, root_hash=ROOT, extensions=("ext one", "— two")
    )
    assert extended.body() == BODY + "ext one\n— two\n"
    assert parse_checkpoint(extended.body()) == extended


def test_sign_and_open_round_trip() -> None:
    signer = Signer.generate("example.com/log")
    checkpoint = parse_checkpoint(BODY)
    data = sign_checkpoint(checkpoint, signer)
    assert data.startswith(BODY.encode() + b"\n\xe2\x80\x94 example.com/log ")
    assert open_checkpoint(data, signer.verifier()) == checkpoint


def test_open_ignores_witness_cosignatures() -> None:
    signer = Signer.generate("example.com/log")
    data = sign_checkpoint(parse_checkpoint(BODY), signer)
    witness = NoteSignature(
        name="witness.example/w1", key_id=b"\x01\x02\x03\x04", signature=b"x" * 72
    )
    assert open_checkpoint(data + witness.line().encode(), signer.verifier()).size == 7


def test_open_rejects_a_checkpoint_signed_by_another_key() -> None:
    signer, impostor = Signer.generate("example.com/log"), Signer.generate("example.com/log")
    data = sign_checkpoint(parse_checkpoint(BODY), impostor)
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_checkpoint(data, signer.verifier())


def test_open_rejects_a_tampered_checkpoint() -> None:
    signer = Signer.generate("example.com/log")
    data = sign_checkpoint(parse_checkpoint(BODY), signer)
    with pytest.raises(VerificationError, match="does not verify"):
        open_checkpoint(data.replace(b"\n7\n", b"\n8\n", 1), signer.verifier())


def test_open_checks_the_origin_against_the_key_name_or_the_given_origin() -> None:
    signer = Signer.generate("log-key.example")
    data = sign_note(BODY, [signer])  # origin example.com/log, key named otherwise
    with pytest.raises(VerificationError, match=r"expected 'log-key\.example'"):
        open_checkpoint(data, signer.verifier())
    assert open_checkpoint(data, signer.verifier(), origin="example.com/log").size == 7
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(data, signer.verifier(), origin="example.com/other")


def test_open_rejects_a_signed_note_that_is_not_a_checkpoint() -> None:
    signer = Signer.generate("example.com/log")
    data = sign_note("example.com/log\nnot a size\nroot\n", [signer])
    with pytest.raises(FormatError):
        open_checkpoint(data, signer.verifier())


def test_sign_refuses_extension_lines_and_a_key_not_named_for_the_origin() -> None:
    extended = Checkpoint(origin="example.com/log", size=7, root_hash=ROOT, extensions=("x",))
    with pytest.raises(FormatError, match="extension"):
        sign_checkpoint(extended, Signer.generate("example.com/log"))
    with pytest.raises(FormatError, match="origin"):
        sign_checkpoint(parse_checkpoint(BODY), Signer.generate("example.com/other"))


# --- rejections -----------------------------------------------------------------------


def _body(origin: str = "example.com/log", size: str = "7", root: str | None = None) -> str:
    root = base64.b64encode(ROOT).decode() if root is None else root
    return f"{origin}\n{size}\n{root}\n"


@pytest.mark.parametrize(
    "size",
    [
        "07",
        "00",
        "+7",
        "-1",
        " 7",
        "7 ",
        "7_0",
        "\uff17",
        "0x7",
        "",
        "7.0",
        "1e3",
        str(2**64),
        "9" * 5000,
    ],
    ids=[
        "leading_zero",
        "double_zero",
        "plus_sign",
        "negative",
        "leading_space",
        "trailing_space",
        "underscore",
        "fullwidth_digit",
        "hex",
        "empty",
        "decimal_point",
        "exponent",
        "above_uint64",
        "five_thousand_digits",
    ],
)
def test_rejects_bad_tree_sizes(size: str) -> None:
    with pytest.raises(FormatError):
        parse_checkpoint(_body(size=size))


def test_accepts_the_extreme_tree_sizes() -> None:
    assert parse_checkpoint(_body(size="0")).size == 0
    assert parse_checkpoint(_body(size=str(MAX_TREE_SIZE))).size == 2**64 - 1


@pytest.mark.parametrize(
    "root",
    [
        base64.b64encode(ROOT[:31]).decode(),
        base64.b64encode(ROOT + b"\x00").decode(),
        base64.b64encode(ROOT).decode().rstrip("="),
        base64.urlsafe_b64encode(b"\xff" * 32).decode(),
        base64.b64encode(ROOT).decode()[:-2] + "J=",
        "",
    ],
    ids=["31_bytes", "33_bytes", "no_padding", "url_safe", "non_canonical", "empty"],
)
def test_rejects_bad_root_hashes(root: str) -> None:
    with pytest.raises(FormatError):
        parse_checkpoint(_body(root=root))


@pytest.mark.parametrize(
    "text",
    [
        BODY.rstrip("\n"),
        "example.com/log\n7\n",
        "",
        "\n" + BODY,
        BODY + "\n",
        BODY + "ext\n\n",
        "example.com/log\n\n7\n" + BODY.split("\n")[2] + "\n",
        BODY.replace("\n", "\r\n"),
        "\x01" + BODY,
        BODY + "ext\x1b\n",
    ],
    ids=[
        "no_final_newline",
        "two_lines",
        "empty",
        "empty_origin",
        "empty_extension",
        "trailing_empty_line",
        "empty_line_inside",
        "crlf",
        "control_in_origin",
        "control_in_extension",
    ],
)
def test_rejects_malformed_bodies(text: str) -> None:
    with pytest.raises(FormatError):
        parse_checkpoint(text)


def test_checkpoint_values_are_validated() -> None:
    for kwargs in [
        {"origin": "", "size": 1, "root_hash": ROOT},
        {"origin": "a\nb", "size": 1, "root_hash": ROOT},
        {"origin": "a", "size": -1, "root_hash": ROOT},
        {"origin": "a", "size": 2**64, "root_hash": ROOT},
        {"origin": "a", "size": True, "root_hash": ROOT},
        {"origin": "a", "size": 1, "root_hash": ROOT[:31]},
        {"origin": "a", "size": 1, "root_hash": ROOT, "extensions": ("",)},
        {"origin": "a", "size": 1, "root_hash": ROOT, "extensions": ("x\ny",)},
        {"origin": "a", "size": 1, "root_hash": ROOT, "extensions": ["x"]},
        {"origin": "\ud800", "size": 1, "root_hash": ROOT},
    ]:
        with pytest.raises(FormatError):
            Checkpoint(**kwargs)  # type: ignore[arg-type]


_LINE = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[chr(c) for c in range(0x20)]),
    min_size=1,
    max_size=40,
)


@given(
    origin=_LINE,
    size=st.integers(min_value=0, max_value=MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_LINE, max_size=3),
)
def test_any_checkpoint_round_trips_through_its_body(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    checkpoint = Checkpoint(origin=origin, size=size, root_hash=root, extensions=tuple(extensions))
    assert parse_checkpoint(checkpoint.body()) == checkpoint


@given(text=st.text(max_size=120))
def test_arbitrary_text_parses_or_raises_format_error(text: str) -> None:
    try:
        checkpoint = parse_checkpoint(text)
    except FormatError:
        return
    assert checkpoint.body() == text
