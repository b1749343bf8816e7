"""Reading exported logs: every entry with its place and proof; a tampered tree is refused."""

from __future__ import annotations

import pytest
from complyworld import RU, US, World, exchange_note, fetcher

from treatyledger.compliance import read_log, verifier_from_export
from treatyledger.errors import TreatyLedgerError, VerificationError
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.merkle import leaf_hash, verify_inclusion


def _world() -> World:
    w = World()
    exchange = w.note("US", exchange_note("2019-09-01", "2019-10-01T10:00:00Z"))
    for n in range(3):
        w.add("acknowledgment", "RU", f"2019-10-0{n + 2}T10:00:00Z", {}, [exchange])
    w.note("RU", b"not an entry\n")
    return w


def test_every_entry_is_read_with_its_place_hash_and_a_proof() -> None:
    w = _world()
    files = w.files("RU")
    log = read_log(fetcher(files), RU.verifier())
    assert log.origin == RU.name
    assert log.size == 4
    checkpoint = open_checkpoint(log.signed_checkpoint, RU.verifier())
    for logged in log.entries:
        assert logged.leaf_hash == leaf_hash(logged.note)
        verify_inclusion(
            leaf_hash=logged.leaf_hash,
            index=logged.index,
            size=checkpoint.size,
            proof=log.proof(logged.index),
            root=checkpoint.root_hash,
        )
    assert [e.entry.type if e.entry else None for e in log.entries] == [
        "acknowledgment",
        "acknowledgment",
        "acknowledgment",
        None,
    ]
    assert log.entries[3].problem


def test_a_data_exchange_is_parsed_with_its_totals() -> None:
    log = read_log(fetcher(_world().files("US")), US.verifier())
    exchange = log.entries[0].exchange
    assert exchange is not None
    assert exchange.totals["launchers"] == 800


def test_the_export_carries_its_key() -> None:
    files = _world().files("US")
    assert verifier_from_export(fetcher(files)) == US.verifier()
    del files["vkey"]
    with pytest.raises(VerificationError, match="vkey"):
        verifier_from_export(fetcher(files))


@pytest.mark.parametrize("path", ["tile/entries/000.p/4", "tile/0/000.p/4", "checkpoint"])
def test_a_tampered_file_makes_reading_fail(path: str) -> None:
    files = _world().files("RU")
    data = bytearray(files[path])
    data[len(data) // 2] ^= 0x01
    files[path] = bytes(data)
    with pytest.raises(TreatyLedgerError):
        read_log(fetcher(files), RU.verifier())


def test_the_wrong_key_makes_reading_fail() -> None:
    with pytest.raises(TreatyLedgerError):
        read_log(fetcher(_world().files("RU")), US.verifier())
