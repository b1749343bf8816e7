"""Transparency log proofs (c2sp.org/tlog-proof): format, parsing, verification.

Audit paths are computed here by a direct transcription of RFC 6962 §2.1.1
(MTH and PATH), independent of ``treatyledger.log.merkle``.

External vectors, with provenance:

* The tessera golden log, transparency-dev/tessera testdata/log (commit
  1811ae1a), via the ``shared`` fixture: the entry bundle
  ``tile/entries/000.p/15`` and ``checkpoint.1`` … ``checkpoint.15`` signed by
  the published key; every entry is proven against every checkpoint that
  contains it.
* The example of the C2SP tlog-proof document: repository C2SP/C2SP,
  tlog-proof.md (commit 0065ea5b716154a2dd48508e3f905012a16ce5e9): its header,
  ``extra`` and ``index`` lines and proof hashes. Its signatures are elided
  (``[...]``) in the document, so a checkpoint of its origin, size and root is
  signed here with a test key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, sign_checkpoint
from treatyledger.log.merkle import root_from_leaf_hashes
from treatyledger.log.note import Ed25519Verifier, Signer, sign_note
from treatyledger.log.tlogproof import (
    MAX_PROOF_HASHES,
    TlogProof,
    format_tlog_proof,
    parse_tlog_proof,
    verify_tlog_proof,
)

TESSERA_VKEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"

# C2SP/C2SP tlog-proof.md @ 0065ea5b
C2SP_HEAD = (
    "c2sp.org/tlog-proof@v1\n"
    "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
    "index 73894\n"
    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
    "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
    "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
    "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
    "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
)
C2SP_ORIGIN, C2SP_SIZE = "example.com/fancylog", 109482
C2SP_ROOT = base64.b64decode("sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=")


# --- RFC 6962 §2.1.1, transcribed ------------------------------------------------------


def _mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(entries[:k]) + _mth(entries[k:])).digest()


def _path(m: int, entries: list[bytes]) -> list[bytes]:
    if len(entries) <= 1:
        return []
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, entries[:k]), _mth(entries[k:])]
    return [*_path(m - k, entries[k:]), _mth(entries[:k])]


ENTRIES = [f"entry {n}".encode() for n in range(13)]


@pytest.fixture(scope="module")
def log() -> Signer:
    return Signer.generate("example.com/log")


@pytest.fixture(scope="module")
def signed(log: Signer) -> bytes:
    checkpoint = Checkpoint(origin=log.name, size=len(ENTRIES), root_hash=_mth(ENTRIES))
    return sign_checkpoint(checkpoint, log)


@pytest.fixture(scope="module")
def signed_once() -> bytes:
    signer = Signer(name="example.com/log", seed=bytes(32))
    return sign_checkpoint(
        Checkpoint(origin=signer.name, size=len(ENTRIES), root_hash=_mth(ENTRIES)), signer
    )


def _proof(signed: bytes, index: int, extra: bytes | None = None) -> TlogProof:
    return TlogProof(
        index=index, proof=tuple(_path(index, ENTRIES)), checkpoint=signed, extra=extra
    )


def test_reference_tree_agrees_with_the_merkle_module() -> None:
    leaves = [hashlib.sha256(b"\x00" + e).digest() for e in ENTRIES]
    assert root_from_leaf_hashes(leaves) == _mth(ENTRIES)


# --- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(ENTRIES)))
def test_every_entry_round_trips_and_verifies(log: Signer, signed: bytes, index: int) -> None:
    proof = _proof(signed, index)
    data = format_tlog_proof(proof)
    assert data.startswith(f"c2sp.org/tlog-proof@v1\nindex {index}\n".encode())
    assert data.endswith(b"\n\n" + signed)
    assert parse_tlog_proof(data) == proof
    checkpoint = verify_tlog_proof(
        parse_tlog_proof(data), entry=ENTRIES[index], verifier=log.verifier()
    )
    assert checkpoint.size == len(ENTRIES)


def test_extra_data_round_trips_and_is_not_authenticated(log: Signer, signed: bytes) -> None:
    proof = _proof(signed, 5, extra=b"context \x00\xff")
    data = format_tlog_proof(proof)
    assert b"\nextra " + base64.b64encode(b"context \x00\xff") + b"\nindex 5\n" in data
    assert parse_tlog_proof(data) == proof
    other = parse_tlog_proof(data.replace(base64.b64encode(b"context \x00\xff"), b"b3RoZXI="))
    assert other.extra == b"other"
    assert verify_tlog_proof(other, entry=ENTRIES[5], verifier=log.verifier()).size == 13


def test_single_entry_tree_has_an_empty_proof(log: Signer) -> None:
    signed = sign_checkpoint(Checkpoint(origin=log.name, size=1, root_hash=_mth([b"only"])), log)
    data = format_tlog_proof(TlogProof(index=0, proof=(), checkpoint=signed))
    assert data == b"c2sp.org/tlog-proof@v1\nindex 0\n\n" + signed
    assert verify_tlog_proof(parse_tlog_proof(data), entry=b"only", verifier=log.verifier())


def test_cosigned_checkpoint_is_kept_verbatim(log: Signer, signed: bytes) -> None:
    cosigned = signed + "— witness.example/w1 AQIDBAUG\n".encode()
    data = format_tlog_proof(_proof(cosigned, 3))
    parsed = parse_tlog_proof(data)
    assert parsed.checkpoint == cosigned
    assert verify_tlog_proof(parsed, entry=ENTRIES[3], verifier=log.verifier())


# --- external vectors -----------------------------------------------------------------


def _tessera_entries(shared: Path) -> list[bytes]:
    bundle = (shared / "vectors" / "tessera-log" / "tile" / "entries" / "000.p" / "15").read_bytes()
    entries, offset = [], 0
    while offset < len(bundle):
        length = int.from_bytes(bundle[offset : offset + 2], "big")
        entries.append(bundle[offset + 2 : offset + 2 + length])
        offset += 2 + length
    return entries


def test_tessera_entries_are_proven_against_every_checkpoint(shared: Path) -> None:
    entries = _tessera_entries(shared)
    assert entries[:3] == [b"one", b"two", b"three"]
    assert len(entries) == 15
    verifier = Ed25519Verifier.from_vkey(TESSERA_VKEY)
    for size in range(1, 16):
        signed = (shared / "vectors" / "tessera-log" / f"checkpoint.{size}").read_bytes()
        for index in range(size):
            proof = TlogProof(
                index=index, proof=tuple(_path(index, entries[:size])), checkpoint=signed
            )
            parsed = parse_tlog_proof(format_tlog_proof(proof))
            checkpoint = verify_tlog_proof(parsed, entry=entries[index], verifier=verifier)
            assert checkpoint.size == size
            with pytest.raises(VerificationError):
                verify_tlog_proof(parsed, entry=entries[index] + b"!", verifier=verifier)


def test_c2sp_example_header_parses_and_round_trips() -> None:
    signer = Signer.generate(C2SP_ORIGIN)
    signed = sign_checkpoint(
        Checkpoint(origin=C2SP_ORIGIN, size=C2SP_SIZE, root_hash=C2SP_ROOT), signer
    )
    data = C2SP_HEAD.encode() + b"\n" + signed
    proof = parse_tlog_proof(data)
    assert proof.index == 73894
    assert proof.extra is not None
    assert proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert len(proof.proof) == 5
    assert proof.checkpoint == signed
    assert format_tlog_proof(proof) == data
    # The document shortens the audit path: a tree of 109482 leaves needs 17 hashes.
    with pytest.raises(VerificationError):
        verify_tlog_proof(proof, entry=b"anything", verifier=signer.verifier())


# --- tampering ------------------------------------------------------------------------


def test_tampering_with_any_field_fails(log: Signer, signed: bytes) -> None:
    proof = _proof(signed, 6)
    verifier = log.verifier()
    assert verify_tlog_proof(proof, entry=ENTRIES[6], verifier=verifier)
    flipped = bytes([proof.proof[1][0] ^ 1]) + proof.proof[1][1:]
    for bad in [
        replace(proof, index=7),
        replace(proof, index=5),
        replace(proof, proof=(proof.proof[0], flipped, *proof.proof[2:])),
        replace(proof, proof=proof.proof[:-1]),
        replace(proof, proof=(*proof.proof, proof.proof[0])),
        replace(proof, proof=tuple(reversed(proof.proof))),
    ]:
        with pytest.raises(VerificationError):
            verify_tlog_proof(bad, entry=ENTRIES[6], verifier=verifier)
    with pytest.raises(VerificationError):
        verify_tlog_proof(proof, entry=ENTRIES[7], verifier=verifier)


def test_checkpoint_tampering_and_the_wrong_log_fail(log: Signer, signed: bytes) -> None:
    proof = _proof(signed, 6)
    other_root = Checkpoint(origin=log.name, size=13, root_hash=b"\x00" * 32).body()
    forged = signed.replace(
        signed.split(b"\n")[2], other_root.split("\n")[2].encode()
    )  # root swapped under the old signature
    with pytest.raises(VerificationError, match="does not verify"):
        verify_tlog_proof(
            replace(proof, checkpoint=forged), entry=ENTRIES[6], verifier=log.verifier()
        )
    impostor = Signer.generate(log.name)
    with pytest.raises(VerificationError, match="no signature by a known key"):
        verify_tlog_proof(proof, entry=ENTRIES[6], verifier=impostor.verifier())
    with pytest.raises(VerificationError, match="origin"):
        verify_tlog_proof(
            proof, entry=ENTRIES[6], verifier=log.verifier(), origin="example.com/other"
        )


def test_checkpoint_of_a_smaller_tree_fails(log: Signer) -> None:
    smaller = sign_checkpoint(Checkpoint(origin=log.name, size=8, root_hash=_mth(ENTRIES[:8])), log)
    proof = TlogProof(index=3, proof=tuple(_path(3, ENTRIES)), checkpoint=smaller)
    with pytest.raises(VerificationError):
        verify_tlog_proof(proof, entry=ENTRIES[3], verifier=log.verifier())


# --- malformed files ------------------------------------------------------------------


@pytest.fixture(scope="module")
def good(signed: bytes) -> bytes:
    return format_tlog_proof(_proof(signed, 6))


def _head(good: bytes) -> str:
    return good.split(b"\n\n", 1)[0].decode()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: h.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        lambda h: h.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v1 "),
        lambda h: h.split("\n", 1)[1],
        lambda h: h.replace("index 6\n", ""),
        lambda h: h.replace("index 6", "index 06"),
        lambda h: h.replace("index 6", "index -6"),
        lambda h: h.replace("index 6", "index +6"),
        lambda h: h.replace("index 6", "index  6"),
        lambda h: h.replace("index 6", "index 6 "),
        lambda h: h.replace("index 6", "index"),
        lambda h: h.replace("index 6", "Index 6"),
        lambda h: h.replace("index 6", "index 13"),
        lambda h: h.replace("index 6", "index \uff16"),
        lambda h: h.replace("index 6", "index " + "9" * 5000),
        lambda h: h.replace("index 6", "extra \nindex 6"),
        lambda h: h.replace("index 6", "extra !!!!\nindex 6"),
        lambda h: h.replace("index 6", "extra AA\nindex 6"),
        lambda h: h.replace("index 6", "extra AA==\nextra AA==\nindex 6"),
        lambda h: h.replace("index 6", "index 6\nextra AA=="),
        lambda h: h + "\n" + base64.b64encode(b"\x00" * 31).decode(),
        lambda h: h + "\n" + base64.b64encode(b"\x00" * 33).decode(),
        lambda h: h + "\n" + base64.b64encode(b"\x00" * 32).decode().rstrip("="),
        lambda h: h + "\n" + base64.b64encode(b"\x00" * 32).decode()[:-2] + "B=",
        lambda h: h + "\n" + "é",
        lambda h: h.replace("\n", "\r\n"),
        lambda h: h + "\n" + "\n".join([base64.b64encode(b"\x00" * 32).decode()] * 65),
    ],
    ids=[
        "wrong_version",
        "header_trailing_space",
        "no_header",
        "no_index",
        "index_leading_zero",
        "index_negative",
        "index_plus",
        "index_two_spaces",
        "index_trailing_space",
        "index_empty",
        "index_capitalised",
        "index_not_below_size",
        "index_fullwidth",
        "index_five_thousand_digits",
        "extra_empty",
        "extra_bad_base64",
        "extra_no_padding",
        "extra_twice",
        "extra_after_index",
        "hash_31_bytes",
        "hash_33_bytes",
        "hash_no_padding",
        "hash_non_canonical",
        "not_ascii",
        "crlf",
        "too_many_hashes",
    ],
)
def test_malformed_proofs_are_rejected(good: bytes, mangle: Callable[[str], str]) -> None:
    head = _head(good)
    data = mangle(head).encode() + b"\n\n" + good.split(b"\n\n", 1)[1]
    with pytest.raises(FormatError):
        parse_tlog_proof(data)


def test_malformed_checkpoint_parts_are_rejected(good: bytes, log: Signer) -> None:
    head, _, note = good.partition(b"\n\n")
    for data in [
        head,  # no blank line
        head + b"\n\n",  # no checkpoint
        head + b"\n\n" + note[:-1],  # checkpoint without its final newline
        head + b"\n\n" + note.replace(b"\n\n", b"\n"),  # checkpoint without its blank line
        head + b"\n\n" + sign_note("not\na checkpoint\n", [log]),
        head + b"\n\n" + note + b"trailing\n",
        head + b"\n\n\n" + note,  # an extra blank line
    ]:
        with pytest.raises(FormatError):
            parse_tlog_proof(data)


def test_proof_values_are_validated(signed: bytes) -> None:
    path = tuple(_path(6, ENTRIES))
    for kwargs in [
        {"index": -1, "proof": path, "checkpoint": signed},
        {"index": True, "proof": path, "checkpoint": signed},
        {"index": 13, "proof": path, "checkpoint": signed},
        {"index": 6, "proof": list(path), "checkpoint": signed},
        {"index": 6, "proof": (*path[:-1], path[-1][:31]), "checkpoint": signed},
        {"index": 6, "proof": (b"\x00" * 32,) * (MAX_PROOF_HASHES + 1), "checkpoint": signed},
        {"index": 6, "proof": path, "checkpoint": signed, "extra": b""},
        {"index": 6, "proof": path, "checkpoint": signed.decode()},
        {"index": 6, "proof": path, "checkpoint": b"not a note\n"},
    ]:
        with pytest.raises(FormatError):
            TlogProof(**kwargs)  # type: ignore[arg-type]


@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_raise_format_error(data: bytes) -> None:
    try:
        proof = parse_tlog_proof(data)
    except FormatError:
        return
    assert format_tlog_proof(proof) == data


@given(head=st.text(max_size=200))
def test_arbitrary_heads_parse_or_raise_format_error(head: str, signed_once: bytes) -> None:
    data = head.encode("utf-8", "surrogatepass") + b"\n\n" + signed_once
    try:
        proof = parse_tlog_proof(data)
    except FormatError:
        return
    assert format_tlog_proof(proof) == data
