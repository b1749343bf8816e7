"""The party registry: strict parties, no lost registrations, log keys that never change."""

from __future__ import annotations

import threading

import pytest

from treatyledger.errors import ConflictError, FormatError, InputError, NotFoundError
from treatyledger.log.cosignature import CosignatureSigner
from treatyledger.log.note import Signer
from treatyledger.node.parties import Party, PartyRegistry
from treatyledger.storage import MemoryDatabase

RU = Signer.generate("example.org/ru/log").verifier().vkey()
RU_WITNESS = CosignatureSigner.generate("example.org/ru/log/witness").vkey()


def test_a_party_is_registered_updated_and_found() -> None:
    registry = PartyRegistry(MemoryDatabase().open(), own_origin="example.org/us/log")
    party, outcome = registry.add(Party(name="RU", vkey=RU, url="http://ru.example:8000/"))
    assert outcome == "added"
    assert party.url == "http://ru.example:8000"
    assert party.origin == "example.org/ru/log"
    assert registry.add(Party(name="RU", vkey=RU))[1] == "unchanged"
    moved, outcome = registry.add(Party(name="RU", vkey=RU, witness_vkey=RU_WITNESS))
    assert outcome == "updated"
    assert (moved.url, moved.witness_vkey) == ("http://ru.example:8000", RU_WITNESS)
    assert registry.get("RU") == moved
    assert registry.by_origin("example.org/ru/log") == moved
    assert registry.by_origin("example.org/fr/log") is None
    with pytest.raises(NotFoundError):
        registry.get("FR")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "R U"}, InputError),
        ({"name": "self"}, InputError),
        ({"name": "SELF"}, InputError),
        ({"name": "1RU"}, InputError),
        ({"vkey": "nonsense"}, FormatError),
        ({"vkey": RU_WITNESS}, FormatError),  # a cosignature key is not a log key
        ({"witness_vkey": RU}, FormatError),  # nor the reverse
        ({"url": "ftp://ru.example"}, InputError),
        ({"url": "http://"}, InputError),
        ({"url": "http://ru.example/?x=1"}, InputError),
    ],
)
def test_bad_parties_are_refused(fields: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        Party(**{"name": "RU", "vkey": RU, **fields})


def test_refusals_change_nothing() -> None:
    store = MemoryDatabase().open()
    registry = PartyRegistry(store, own_origin="example.org/us/log")
    registry.add(Party(name="RU", vkey=RU))
    other_key = Signer.generate("example.org/ru/log").verifier().vkey()
    with pytest.raises(ConflictError, match="never changes"):
        registry.add(Party(name="RU", vkey=other_key))
    with pytest.raises(ConflictError, match="already registered"):
        registry.add(Party(name="RUS", vkey=RU))
    own = Signer.generate("example.org/us/log").verifier().vkey()
    with pytest.raises(InputError, match="own log"):
        registry.add(Party(name="US", vkey=own))
    assert [p.vkey for p in registry.all()] == [RU]


def test_concurrent_registrations_are_all_kept() -> None:
    database = MemoryDatabase()
    names = [f"P{n}" for n in range(12)]
    start = threading.Barrier(len(names))

    def work(name: str) -> None:
        registry = PartyRegistry(database.open())
        start.wait()
        registry.add(
            Party(name=name, vkey=Signer.generate(f"example.org/{name}").verifier().vkey())
        )

    threads = [threading.Thread(target=work, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p.name for p in PartyRegistry(database.open()).all()) == sorted(names)
