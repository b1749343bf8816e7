"""Declarations in the store: sealed secrets, and a commit interrupted before its append."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from treatyledger.declarations import (
    commit_declaration,
    declaration_record,
    declared_dates,
    import_inventory,
    seal_secret,
    unseal_secret,
)
from treatyledger.errors import InputError, VerificationError
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory_csv import facilities_to_csv, items_to_csv
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore
from treatyledger.treaty import TreatySpec

ORIGIN = "example.org/us/log"
SIGNER = Signer(name=ORIGIN, seed=b"\x05" * 32)
AS_OF = dt.date(2020, 9, 1)


def _clock() -> dt.datetime:
    return dt.datetime(2020, 9, 30, tzinfo=dt.UTC)


def test_a_sealed_secret_opens_only_with_its_key_and_date() -> None:
    sealed = seal_secret(SIGNER, AS_OF, b"s" * 32)
    assert unseal_secret(SIGNER, AS_OF, sealed) == b"s" * 32
    with pytest.raises(VerificationError, match="does not open"):
        unseal_secret(SIGNER, dt.date(2021, 3, 1), sealed)
    with pytest.raises(InputError, match="sealed under"):
        unseal_secret(Signer(name=ORIGIN, seed=b"\x06" * 32), AS_OF, sealed)


@pytest.fixture
def node(tmp_path: Path, new_start: TreatySpec) -> tuple[MemoryStore, TransparencyLog]:
    store = MemoryStore()
    log = TransparencyLog(store=store, origin=ORIGIN, verifier=SIGNER.verifier(), signer=SIGNER)
    log.integrate()
    inventory = us_inventory_2020_09_01(new_start)
    items, facilities = tmp_path / "i.csv", tmp_path / "f.csv"
    items.write_text(items_to_csv(inventory.items))
    facilities.write_text(facilities_to_csv(inventory.facilities))
    import_inventory(
        store, new_start, treaty="new-start", party="US", items=items, facilities=facilities
    )
    return store, log


@pytest.mark.parametrize("appended", [True, False], ids=["entry-appended", "entry-not-appended"])
def test_an_interrupted_commit_is_completed_once(
    node: tuple[MemoryStore, TransparencyLog], new_start: TreatySpec, appended: bool
) -> None:
    store, log = node
    record, _, resumed = commit_declaration(
        store, log, new_start, signer=SIGNER, as_of=AS_OF, clock=_clock
    )
    assert not resumed
    pending = replace(record, index=None)
    if not appended:  # as if the process stopped before the append: a fresh log
        log = TransparencyLog(
            store=MemoryStore(), origin=ORIGIN, verifier=SIGNER.verifier(), signer=SIGNER
        )
        log.integrate()
    store.set_meta("declaration/2020-09-01", pending.to_json())
    done, exchange, resumed = commit_declaration(
        store, log, new_start, signer=SIGNER, as_of=AS_OF, clock=_clock
    )
    assert resumed
    assert done.index == 0
    assert log.size() == 1
    assert exchange.commitment.root == record.root
    assert declaration_record(store).index == 0
    assert declared_dates(store) == [AS_OF]
