"""Interoperability: an independent Go verifier accepts what our log exports.

``goverify/main.go`` checks an exported static tree and our C2SP tlog-proofs with
golang.org/x/mod's ``sumdb/note`` (signed notes, Ed25519 keys) and ``sumdb/tlog``
(RFC 6962 hashing, tiles, inclusion proofs); it only adds the C2SP tile paths and
text formats. It is built offline, in GOPATH mode, against Debian's sources::

    apt-get install -y golang-go golang-golang-x-mod-dev

Without them the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.export import export_files
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Signer, encode_base64
from treatyledger.log.tiles import (
    bundles_for_size,
    decode_bundle,
    encode_bundle,
    entries_path,
    tile_path,
    tiles_for_size,
)
from treatyledger.log.tlogproof import TlogProof, format_tlog_proof, parse_tlog_proof
from treatyledger.log.transparency_log import MAX_ENTRY_SIZE, TransparencyLog
from treatyledger.storage.memory import MemoryStore

GO_SOURCE = Path(__file__).resolve().parent / "goverify"
XMOD_GOPATH = Path("/usr/share/gocode")
XMOD_SUMDB = XMOD_GOPATH / "src/golang.org/x/mod/sumdb"
INSTALL = "apt-get install -y golang-go golang-golang-x-mod-dev"

ORIGIN = "interop.example/log"
SIGNER = Signer.generate(ORIGIN)
SIZES = [0, 1, 255, 256, 257, 1000, 70_000]


def entry(index: int) -> bytes:
    """Entry ``index`` of every test log: mostly short text, some empty, one of maximal size."""
    if index % 101 == 7:
        return b""
    if index == 500:
        return bytes(range(256)) * (MAX_ENTRY_SIZE // 256) + b"\xff" * (MAX_ENTRY_SIZE % 256)
    return b"treatyledger interop entry %d" % index


# --- the Go verifier ------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    message = f"{reason}; install with: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(f"the Go interop verifier cannot be built under CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def goverify(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The goverify binary, built once per session, offline, against Debian's x/mod."""
    go = shutil.which("go")
    if go is None:
        _unavailable("the go command is not installed")
    if not (XMOD_SUMDB / "note/note.go").is_file() or not (XMOD_SUMDB / "tlog/tile.go").is_file():
        _unavailable(f"the golang.org/x/mod sources are not under {XMOD_GOPATH}")
    work = tmp_path_factory.mktemp("goverify")
    env = {name: value for name, value in os.environ.items() if not name.startswith("GO")}
    env |= {
        "GO111MODULE": "off",
        "GOPATH": os.pathsep.join([str(work / "gopath"), str(XMOD_GOPATH)]),
        "GOCACHE": str(work / "cache"),
        "GOENV": "off",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }
    binary = work / "goverify"
    built = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=GO_SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"go build of {GO_SOURCE} failed:\n{built.stdout}{built.stderr}")
    return binary


def run(binary: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def accepts(result: subprocess.CompletedProcess[str]) -> str:
    """The summary line of a run that must have passed."""
    assert result.returncode == 0, f"goverify rejected it:\n{result.stdout}{result.stderr}"
    assert result.stdout.startswith("OK: "), result.stdout
    return result.stdout


def rejects(result: subprocess.CompletedProcess[str]) -> str:
    """The failure line of a run that must have failed."""
    assert result.returncode == 1, f"goverify did not fail (exit {result.returncode}):\n" + (
        result.stdout + result.stderr
    )
    assert result.stdout.startswith("FAIL: "), result.stdout
    return result.stdout


# --- our logs and their exports -----------------------------------------------------


class Exported:
    """A log of ``size`` entries and the directory its export files were written to."""

    def __init__(self, size: int, folder: Path) -> None:
        self.size = size
        self.folder = folder
        self.log = TransparencyLog(
            store=MemoryStore(), origin=ORIGIN, verifier=SIGNER.verifier(), signer=SIGNER
        )
        if size:
            self.log.append([entry(i) for i in range(size)])
        self.log.integrate()
        for path, data in export_files(self.log):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.vkey = self.log.verifier.vkey()
        self.root = open_checkpoint(self.log.checkpoint(), SIGNER.verifier()).root_hash

    def copy(self, destination: Path) -> Path:
        return Path(shutil.copytree(self.folder, destination))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Exported]:
    """``exported(size)``: that log, built and written once per module."""
    cache: dict[int, Exported] = {}

    def get(size: int) -> Exported:
        if size not in cache:
            cache[size] = Exported(size, tmp_path_factory.mktemp(f"export{size}"))
        return cache[size]

    return get


def indexes(size: int) -> list[str]:
    wanted = {0, 1, 254, 255, 256, 257, 500, size // 2, 65_535, 65_536, size - 1}
    return [str(i) for i in sorted(wanted) if 0 <= i < size]


# --- the exported tree ---------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_go_accepts_the_exported_tree(
    goverify: Path, exported: Callable[[int], Exported], size: int
) -> None:
    log = exported(size)
    summary = accepts(run(goverify, log.folder, log.vkey, *indexes(size)))
    tiles, proofs = len(tiles_for_size(size)), len(indexes(size))
    assert summary.rstrip() == (
        f"OK: {ORIGIN} size={size} root={encode_base64(log.root)} "
        f"entries={size} tiles={tiles} proofs={proofs}"
    )


def test_the_largest_tree_has_three_tile_levels_with_partial_tiles(
    exported: Callable[[int], Exported],
) -> None:
    folder = exported(70_000).folder
    for path in ["tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"]:
        assert (folder / path).is_file(), path
    assert (folder / "tile/entries/273.p/112").is_file()


def _flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def _data_files(size: int) -> list[tuple[int, str]]:
    tiles = [tile_path(level, index, width) for level, index, width in tiles_for_size(size)]
    bundles = [entries_path(index, width) for index, width in bundles_for_size(size)]
    return [(size, path) for path in tiles + bundles]


FLIPPED = [
    *_data_files(1000),
    *[
        (70_000, path)
        for path in [
            "tile/0/000",
            "tile/0/273.p/112",
            "tile/1/000",
            "tile/1/001.p/17",
            "tile/2/000.p/1",
            "tile/entries/000",
            "tile/entries/136",
            "tile/entries/273.p/112",
        ]
    ],
]


@pytest.mark.parametrize(("size", "path"), FLIPPED, ids=[f"{s}-{p}" for s, p in FLIPPED])
def test_go_rejects_a_flipped_byte_in_a_tile_or_bundle(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path, size: int, path: str
) -> None:
    log = exported(size)
    folder = log.copy(tmp_path / "export")
    target = folder / path
    _flip(target, target.stat().st_size // 2)
    rejects(run(goverify, folder, log.vkey, *indexes(size)))


@pytest.mark.parametrize("line", [0, 1, 2, 4], ids=["origin", "size", "root", "signature"])
def test_go_rejects_a_flipped_byte_in_the_checkpoint(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path, line: int
) -> None:
    log = exported(1000)
    folder = log.copy(tmp_path / "export")
    checkpoint = folder / "checkpoint"
    lines = checkpoint.read_bytes().split(b"\n")
    start = sum(len(text) + 1 for text in lines[:line])
    _flip(checkpoint, start + len(lines[line]) // 2)  # mid-line: never a base64 padding bit
    rejects(run(goverify, folder, log.vkey))


def test_go_rejects_another_key_and_a_missing_tile(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path
) -> None:
    log = exported(1000)
    impostor = Signer.generate(ORIGIN).verifier().vkey()
    assert "no verifiable signatures" in rejects(run(goverify, log.folder, impostor))
    folder = log.copy(tmp_path / "export")
    (folder / "tile/1/000.p/3").unlink()
    rejects(run(goverify, folder, log.vkey))


@pytest.mark.parametrize("size", [1000, 70_000])
def test_go_rejects_a_forged_entry_with_a_matching_forged_tile(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path, size: int
) -> None:
    """A forged entry whose level-0 tile hash is forged to match: only the root can tell.

    x/mod's TileHashReader leaves full tiles outside the tree-hash path unauthenticated
    (v0.7.0), so goverify must rebuild the tree from the entries, and does.
    """
    log = exported(size)
    folder = log.copy(tmp_path / "export")
    bundle = decode_bundle((folder / "tile/entries/000").read_bytes())
    bundle[5] = b"forged entry"
    (folder / "tile/entries/000").write_bytes(encode_bundle(bundle))
    tile = bytearray((folder / "tile/0/000").read_bytes())
    tile[5 * 32 : 6 * 32] = leaf_hash(b"forged entry")
    (folder / "tile/0/000").write_bytes(bytes(tile))
    assert "the entries hash to" in rejects(run(goverify, folder, log.vkey))


def test_go_rejects_an_unexpected_file(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path
) -> None:
    log = exported(257)
    folder = log.copy(tmp_path / "export")
    (folder / "tile/0/001.p/2").write_bytes(b"\0" * 64)
    assert "unexpected file tile/0/001.p/2" in rejects(run(goverify, folder, log.vkey))


# --- C2SP tlog-proofs ----------------------------------------------------------------

PROVED = [(1, 0), (255, 254), (256, 0), (257, 256), (1000, 500), (1000, 999)]
PROVED += [(70_000, 0), (70_000, 65_536), (70_000, 69_999)]


def _write_proof(folder: Path, proof: bytes, data: bytes) -> tuple[Path, Path]:
    proof_file, entry_file = folder / "entry.tlog-proof", folder / "entry"
    proof_file.write_bytes(proof)
    entry_file.write_bytes(data)
    return proof_file, entry_file


@pytest.mark.parametrize(("size", "index"), PROVED)
def test_go_accepts_our_tlog_proofs(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path, size: int, index: int
) -> None:
    log = exported(size)
    proof = log.log.tlog_proof(index)
    files = _write_proof(tmp_path, proof, entry(index))
    summary = accepts(run(goverify, "proof", files[0], log.vkey, files[1]))
    hashes = len(parse_tlog_proof(proof).proof)
    assert summary.rstrip() == f"OK: {ORIGIN} size={size} index={index} hashes={hashes}"


def test_go_accepts_a_tlog_proof_with_extra_data(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path
) -> None:
    log = exported(257)
    parsed = parse_tlog_proof(log.log.tlog_proof(100))
    with_extra = TlogProof(
        index=parsed.index, proof=parsed.proof, checkpoint=parsed.checkpoint, extra=b"context"
    )
    proof = format_tlog_proof(with_extra)
    assert proof.split(b"\n")[1] == b"extra " + encode_base64(b"context").encode()
    files = _write_proof(tmp_path, proof, entry(100))
    accepts(run(goverify, "proof", files[0], log.vkey, files[1]))


def _replace_line(proof: bytes, number: int, new: bytes) -> bytes:
    lines = proof.split(b"\n")
    lines[number] = new
    return b"\n".join(lines)


def _flip_hash(proof: bytes, number: int) -> bytes:
    line = proof.split(b"\n")[number]
    return _replace_line(
        proof, number, line[:10] + (b"A" if line[10:11] != b"A" else b"B") + line[11:]
    )


def _checkpoint_root(proof: bytes) -> bytes:
    head, _, checkpoint = proof.partition(b"\n\n")
    origin, size, root, rest = checkpoint.split(b"\n", 3)
    root = root[:10] + (b"A" if root[10:11] != b"A" else b"B") + root[11:]
    return head + b"\n\n" + b"\n".join([origin, size, root, rest])


# Proof of entry 500 in the log of 1000; lines: header, index, hashes 2..11, blank, checkpoint.
TAMPERED: dict[str, Callable[[bytes], tuple[bytes, bytes]]] = {
    "leaf-sibling": lambda p: (_flip_hash(p, 2), entry(500)),
    "root-child": lambda p: (_flip_hash(p, len(parse_tlog_proof(p).proof) + 1), entry(500)),
    "other-index": lambda p: (_replace_line(p, 1, b"index 501"), entry(500)),
    "other-entry": lambda p: (p, entry(501)),
    "hash-dropped": lambda p: (_replace_line(p, 2, b"").replace(b"\n\n", b"\n", 1), entry(500)),
    "checkpoint-root": lambda p: (_checkpoint_root(p), entry(500)),
    "no-header": lambda p: (p.removeprefix(b"c2sp.org/tlog-proof@v1\n"), entry(500)),
    "leading-zero": lambda p: (_replace_line(p, 1, b"index 0500"), entry(500)),
}


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_go_rejects_a_tampered_tlog_proof(
    goverify: Path,
    exported: Callable[[int], Exported],
    tmp_path: Path,
    tamper: Callable[[bytes], tuple[bytes, bytes]],
) -> None:
    log = exported(1000)
    proof, data = tamper(log.log.tlog_proof(500))
    files = _write_proof(tmp_path, proof, data)
    rejects(run(goverify, "proof", files[0], log.vkey, files[1]))
    untouched = _write_proof(tmp_path, log.log.tlog_proof(500), entry(500))
    accepts(run(goverify, "proof", untouched[0], log.vkey, untouched[1]))


def test_go_rejects_a_tlog_proof_under_another_key(
    goverify: Path, exported: Callable[[int], Exported], tmp_path: Path
) -> None:
    log = exported(1000)
    files = _write_proof(tmp_path, log.log.tlog_proof(500), entry(500))
    impostor = Signer.generate(ORIGIN).verifier().vkey()
    assert "no verifiable signatures" in rejects(
        run(goverify, "proof", files[0], impostor, files[1])
    )
