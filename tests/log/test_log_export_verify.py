"""Export a log as static tiles and verify it completely; any flipped byte is caught."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from treatyledger.errors import InconsistencyError, VerificationError
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.log.verify_tree import verify_tree
from treatyledger.storage.memory import MemoryStore

SIGNER = Signer.generate("export.example/log")
OTHER = Signer.generate("export.example/log")


def build(size: int, *, store: MemoryStore | None = None) -> TransparencyLog:
    log = TransparencyLog(
        store=store or MemoryStore(), origin=SIGNER.name, verifier=SIGNER.verifier(), signer=SIGNER
    )
    log.integrate()
    step = 10_000
    for start in range(0, size, step):
        log.append([i.to_bytes(4, "big") * 3 for i in range(start, min(size, start + step))])
    log.integrate()
    return log


@pytest.fixture(scope="module")
def big_tree() -> dict[str, bytes]:
    """A log of 70,000 entries: tile levels 0, 1 and 2, with partial tiles at each."""
    return _tlog_files(export_files(build(70_000)))


def fetcher(files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return fetch


def test_big_tree_has_every_level_and_verifies(big_tree: dict[str, bytes]) -> None:
    assert "tile/0/273.p/112" in big_tree
    assert "tile/1/001.p/17" in big_tree
    assert "tile/2/000.p/1" in big_tree
    assert "tile/1/000" in big_tree
    assert "tile/entries/273.p/112" in big_tree
    report = verify_tree(fetcher(big_tree), SIGNER.verifier())
    assert report.checkpoint.size == 70_000
    assert report.tiles == 274 + 2 + 1
    assert report.bundles == 274


def _flip(files: dict[str, bytes], path: str, offset: int) -> dict[str, bytes]:
    data = bytearray(files[path])
    data[offset] ^= 0x01
    return {**files, path: bytes(data)}


def test_flipping_a_byte_of_any_file_fails(big_tree: dict[str, bytes]) -> None:
    rng = random.Random(70_000)
    # Every file at least once (upper tiles, edge tiles, bundles), at a random byte.
    paths = sorted(big_tree)
    chosen = [p for p in paths if not p.startswith("tile/0/") and not p.startswith("tile/entries/")]
    chosen += rng.sample([p for p in paths if p.startswith("tile/0/")], 6)
    chosen += rng.sample([p for p in paths if p.startswith("tile/entries/")], 6)
    chosen += ["tile/0/273.p/112", "tile/entries/273.p/112"]
    for path in chosen:
        offset = rng.randrange(len(big_tree[path]))
        with pytest.raises(VerificationError):
            verify_tree(fetcher(_flip(big_tree, path, offset)), SIGNER.verifier())


def _tlog_files(files: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """The C2SP files of an export: those verify_tree checks (not the checkpoint history)."""
    return {path: data for path, data in files if not path.startswith("checkpoints/")}


def test_the_export_carries_the_checkpoint_history() -> None:
    store = MemoryStore()
    log = build(10, store=store)
    first = log.checkpoint()
    log.append([b"more"])
    log.integrate()
    files = dict(export_files(log))
    assert files["checkpoints/index"] == b"10\n"
    assert files["checkpoints/10"] == first
    assert files["checkpoint"] == log.checkpoint()


def test_flipping_every_byte_of_the_checkpoint_fails(big_tree: dict[str, bytes]) -> None:
    for offset in range(len(big_tree["checkpoint"])):
        flipped = _flip(big_tree, "checkpoint", offset)
        with pytest.raises(VerificationError):
            verify_tree(fetcher(flipped), SIGNER.verifier())


def test_flipping_every_byte_of_a_small_tree_fails() -> None:
    files = _tlog_files(export_files(build(600)))
    for path, data in files.items():
        for offset in range(0, len(data), 7 if path != "checkpoint" else 1):
            with pytest.raises(VerificationError):
                verify_tree(fetcher(_flip(files, path, offset)), SIGNER.verifier())


def test_missing_and_truncated_files_fail() -> None:
    files = _tlog_files(export_files(build(600)))
    for path in files:
        with pytest.raises(VerificationError):
            verify_tree(fetcher({k: v for k, v in files.items() if k != path}), SIGNER.verifier())
        with pytest.raises(VerificationError):
            verify_tree(fetcher({**files, path: files[path][:-1]}), SIGNER.verifier())


def test_wrong_key_fails() -> None:
    files = _tlog_files(export_files(build(10)))
    with pytest.raises(VerificationError):
        verify_tree(fetcher(files), OTHER.verifier())


def test_since_an_older_checkpoint() -> None:
    store = MemoryStore()
    log = build(1_000, store=store)
    older = log.checkpoint()
    log.append([b"more"] * 500)
    log.integrate()
    files = _tlog_files(export_files(log))
    report = verify_tree(fetcher(files), SIGNER.verifier(), since=older)
    assert report.since is not None
    assert report.since.size == 1_000


def test_since_a_checkpoint_of_another_history_is_an_inconsistency() -> None:
    fork = build(1_200)  # same key, different entries: a split view
    forked_checkpoint = fork.checkpoint()
    log = build(1_000)
    log.append([b"x"] * 500)
    log.integrate()
    files = _tlog_files(export_files(log))
    with pytest.raises(InconsistencyError) as caught:
        verify_tree(fetcher(files), SIGNER.verifier(), since=forked_checkpoint)
    assert caught.value.older == forked_checkpoint
    assert caught.value.newer == files["checkpoint"]


def test_export_updates_in_place(tmp_path: Path) -> None:
    log = build(300)
    first = _tlog_files(export_files(log))
    log.append([b"y"] * 300)
    log.integrate()
    published = set(first)
    second = _tlog_files(export_files(log, skip=lambda p: p in published))
    assert "tile/0/000" not in second  # full, immutable, already published
    assert "tile/0/002.p/88" in second
    merged = {**first, **second}
    assert verify_tree(fetcher(merged), SIGNER.verifier()).checkpoint.size == 600
