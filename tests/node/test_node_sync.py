"""Sync between nodes over real HTTP: witnessing each other, mirroring each other, equivocation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from nodeworld import LiveServer, MemoryLog, PartyDb, StaticLogHost, new_item, signed_item

from treatyledger.ledger import Entry, ref_to, sign_entry
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.note import Signer, open_note
from treatyledger.node.errors import WitnessRefusalError
from treatyledger.node.evidence import verify_evidence
from treatyledger.node.node import Node
from treatyledger.node.parties import Party
from treatyledger.node.sync import Outcome
from treatyledger.node.witness import read_state

TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def register(node: Node, other: Node, url: str) -> None:
    node.registry.add(
        Party(
            name=other.party,
            vkey=other.identity.vkey,
            url=url,
            witness_vkey=other.identity.witness_vkey,
        )
    )


def by_step(outcomes: list[Outcome], party: str) -> dict[str, tuple[bool, str]]:
    return {o.action: (o.ok, o.detail) for o in outcomes if o.party == party}


def cosigned_size(witness: Node, log_of: Node) -> int | None:
    """The size of ``log_of``'s log that ``witness`` last cosigned."""
    cosigned = read_state(witness.store, log_of.log.origin)[1].cosigned()
    return None if cosigned is None else cosigned.size


def cosigners(checkpoint: bytes, node: Node) -> list[str]:
    verifier = CosignatureVerifier.from_vkey(node.identity.witness_vkey)
    return [s.name for s in open_note(checkpoint, [verifier]).verified_by]


def test_two_nodes_exchange_entries_witness_and_mirror_each_other(
    party_dbs: Callable[[str], PartyDb], serve: Callable[..., LiveServer]
) -> None:
    us_db, ru_db = party_dbs("US"), party_dbs("RU")
    us, ru = us_db.node(), ru_db.node()
    us_server, ru_server = serve(us), serve(ru)
    register(us, ru, ru_server.url)
    register(ru, us, us_server.url)
    ru_note = signed_item(ru_db, 1)
    assert (
        httpx.post(f"{ru_server.url}/api/v1/entries", content=ru_note, headers=TEXT).status_code
        == 201
    )
    for n in range(3):
        httpx.post(f"{us_server.url}/api/v1/entries", content=signed_item(us_db, n), headers=TEXT)

    # The US node gets its checkpoint cosigned by the Russian witness and mirrors the Russian log.
    outcomes = us.sync_round()
    assert by_step(outcomes, "RU") == {
        "cosign": (True, "checkpoint 3 cosigned"),
        "mirror": (True, "extended at 1 entries (1 new)"),
    }
    served = httpx.get(f"{us_server.url}/log/checkpoint").content
    assert cosigners(served, ru) == [ru.witness.name]
    assert cosigned_size(ru, us) == 3
    mirror = us.mirror_store("RU")
    assert mirror.read_entries(0, 1) == [ru_note]
    assert mirror.latest_checkpoint() == httpx.get(f"{ru_server.url}/log/checkpoint").content

    # With the Russian entry mirrored, the US can acknowledge it: the reference resolves.
    ack = Entry(
        type="acknowledgment",
        treaty="new-start",
        sender="US",
        time=new_item("x").time,
        payload={},
        refs=(ref_to(ru.log.origin, 0, ru_note),),
    )
    answer = httpx.post(
        f"{us_server.url}/api/v1/entries", content=sign_entry(ack, us_db.signer), headers=TEXT
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["index"] == 3

    # The Russian node witnesses the grown US log (a real consistency proof) and mirrors it.
    ru.sync_round()
    outcomes = ru.sync_round()
    assert by_step(outcomes, "US")["cosign"] == (True, "checkpoint 1 is already cosigned")
    assert by_step(outcomes, "US")["mirror"] == (True, "current at 4 entries (0 new)")
    assert ru.mirror_store("US").read_entries(0, 4) == us.store.read_entries(0, 4)
    outcomes = us.sync_round()
    assert by_step(outcomes, "RU")["cosign"] == (True, "checkpoint 4 cosigned")
    assert cosigned_size(ru, us) == 4
    assert us.evidence() == []
    assert ru.evidence() == []


def test_a_push_learns_the_witnessed_size_from_409(
    us: PartyDb, ru: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    us_node, ru_node = us.node(), ru.node()
    ru_server = serve(ru_node)
    register(us_node, ru_node, ru_server.url)
    ru_node.registry.add(Party(name="US", vkey=us_node.identity.vkey))
    us_node.log.append_and_integrate([signed_item(us, 1), signed_item(us, 2)])
    assert by_step(us_node.sync_round(), "RU")["cosign"][0]
    us_node.store.set_meta("sync/cosigned/RU", "0")  # as if this node had lost track
    us_node.log.append_and_integrate([signed_item(us, 3)])
    assert by_step(us_node.sync_round(), "RU")["cosign"] == (True, "checkpoint 3 cosigned")


def test_a_party_serving_a_checkpoint_by_another_key_is_not_mirrored(
    us: PartyDb, ru: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    us_node, ru_node = us.node(), ru.node()
    ru_server = serve(ru_node)
    ru_node.log.append_and_integrate([signed_item(ru, 1)])
    impostor = Signer.generate(ru.origin).verifier().vkey()
    us_node.registry.add(Party(name="RU", vkey=impostor, url=ru_server.url))
    ok, detail = by_step(us_node.sync_round(), "RU")["mirror"]
    assert not ok
    assert "does not verify against its registered key" in detail
    assert us_node.mirror_store("RU").tree_size() == 0
    assert us_node.mirror_store("RU").latest_checkpoint() is None


@pytest.fixture
def host() -> Iterator[tuple[StaticLogHost, str]]:
    static = StaticLogHost()
    server = LiveServer(static.app)
    yield static, server.url
    server.stop()


RU = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))


def watcher(us: PartyDb, url: str) -> Node:
    node = us.node()
    node.registry.add(Party(name="RU", vkey=RU.verifier().vkey(), url=url))
    return node


def test_a_mirror_detects_a_rewritten_history_and_keeps_the_evidence(
    us: PartyDb, host: tuple[StaticLogHost, str]
) -> None:
    static, url = host
    node = watcher(us, url)
    honest = MemoryLog(RU)
    honest.grow(3)
    static.files = honest.files()
    assert by_step(node.sync_round(), "RU")["mirror"] == (True, "extended at 3 entries (3 new)")
    forked = MemoryLog(RU)
    forked.grow(1)
    forked.grow(6, tag="rewritten")
    static.files = forked.files()
    ok, detail = by_step(node.sync_round(), "RU")["mirror"]
    assert not ok
    assert "equivocates" in detail
    [evidence] = node.evidence()
    assert (evidence.kind, evidence.seen_by) == ("fork", "mirror")
    older, newer = verify_evidence(evidence, RU.verifier())
    assert (older.size, newer.size) == (3, 7)
    assert node.mirror_store("RU").tree_size() == 3  # nothing of the other history was kept
    ok, detail = by_step(node.sync_round(), "RU")["mirror"]
    assert (ok, "refused" in detail) == (False, True)


def test_a_mirror_detects_two_roots_for_one_size(
    us: PartyDb, host: tuple[StaticLogHost, str]
) -> None:
    static, url = host
    node = watcher(us, url)
    honest, forked = MemoryLog(RU), MemoryLog(RU)
    honest.grow(4)
    forked.grow(4, tag="other")
    static.files = honest.files()
    node.sync_round()
    static.files = forked.files()
    assert not by_step(node.sync_round(), "RU")["mirror"][0]
    [evidence] = node.evidence()
    assert evidence.kind == "same-size"
    verify_evidence(evidence, RU.verifier())


def test_a_host_serving_entries_that_do_not_match_is_refused_without_evidence(
    us: PartyDb, host: tuple[StaticLogHost, str]
) -> None:
    static, url = host
    node = watcher(us, url)
    log = MemoryLog(RU)
    log.grow(3)
    static.files = log.files()
    node.sync_round()
    log.grow(2)
    files = log.files()
    files["tile/entries/000.p/5"] = files["tile/entries/000.p/5"].replace(b"entry 4", b"entry X")
    static.files = files
    ok, detail = by_step(node.sync_round(), "RU")["mirror"]
    assert not ok
    assert "do not hash to its checkpoint" in detail
    assert node.evidence() == []
    assert node.mirror_store("RU").tree_size() == 3
    static.files = log.files()  # the host repairs its files: the mirror catches up
    assert by_step(node.sync_round(), "RU")["mirror"] == (True, "extended at 5 entries (2 new)")


def test_a_log_showing_the_witness_one_history_and_the_mirror_another_is_caught(
    us: PartyDb, host: tuple[StaticLogHost, str]
) -> None:
    static, url = host
    node = watcher(us, url)
    shown_to_witness, served = MemoryLog(RU), MemoryLog(RU)
    shown_to_witness.grow(5)
    served.grow(2)
    served.grow(6, tag="other")
    node.witness.add_checkpoint(shown_to_witness.request(0))
    static.files = served.files()
    ok, detail = by_step(node.sync_round(), "RU")["mirror"]
    assert not ok
    assert "equivocates" in detail
    [evidence] = node.evidence()
    assert evidence.older == shown_to_witness.log.checkpoint()
    verify_evidence(evidence, RU.verifier())
    shown_to_witness.grow(1)
    with pytest.raises(WitnessRefusalError, match="refused"):
        node.witness.add_checkpoint(shown_to_witness.request(5))


def test_the_server_syncs_in_the_background(
    us: PartyDb, ru: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    ru_node = ru.node()
    ru_server = serve(ru_node)
    us_node = us.node(sync_interval=0.1)
    register(us_node, ru_node, ru_server.url)
    ru_node.registry.add(Party(name="US", vkey=us_node.identity.vkey))
    ru_node.log.append_and_integrate([signed_item(ru, 1)])
    us_node.log.append_and_integrate([signed_item(us, 1)])
    serve(us_node)
    deadline = time.monotonic() + 20
    while us_node.mirror_store("RU").tree_size() < 1 or not cosigners(
        us_node.log.checkpoint(), ru_node
    ):
        assert time.monotonic() < deadline, "no background round ran"
        time.sleep(0.05)
