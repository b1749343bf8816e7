"""POST /witness/add-checkpoint (c2sp.org/tlog-witness): the state machine and its evidence."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from nodeworld import NOW, LiveServer, MemoryLog, PartyDb

from treatyledger.log.checkpoint import parse_checkpoint
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.note import Signer, open_note, parse_note
from treatyledger.node.errors import WitnessRefusalError
from treatyledger.node.evidence import verify_evidence
from treatyledger.node.node import Node
from treatyledger.node.parties import Party
from treatyledger.node.witness import read_state

RU_SIGNER = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))


@pytest.fixture
def witness(party_dbs: Callable[[str], PartyDb]) -> Node:
    """The US node, with the Russian log registered."""
    node = party_dbs("US").node()
    node.registry.add(Party(name="RU", vkey=RU_SIGNER.verifier().vkey()))
    return node


def add(node: Node, body: bytes) -> str:
    return node.witness.add_checkpoint(body)


def refusal(node: Node, body: bytes, status: int) -> WitnessRefusalError:
    with pytest.raises(WitnessRefusalError) as caught:
        node.witness.add_checkpoint(body)
    assert caught.value.status == status, caught.value.detail
    return caught.value


def cosigned_size(node: Node) -> int | None:
    cosigned = read_state(node.store, RU_SIGNER.name)[1].cosigned()
    return None if cosigned is None else cosigned.size


def test_a_checkpoint_is_cosigned_over_http_with_the_clocks_time(
    witness: Node, serve: Callable[..., LiveServer]
) -> None:
    server = serve(witness)
    ru = MemoryLog(RU_SIGNER)
    ru.grow(3)
    answer = httpx.post(f"{server.url}/witness/add-checkpoint", content=ru.request(0))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.text.startswith("— example.org/us/log/witness ")
    assert answer.text.endswith("\n")
    assert answer.text.count("\n") == 1
    verifier = CosignatureVerifier.from_vkey(witness.identity.witness_vkey)
    note = open_note(ru.log.checkpoint() + answer.content, [verifier])
    timestamp = verifier.verify_cosignature(note.text, note.verified_by[0])
    assert timestamp == int(NOW.timestamp())
    assert cosigned_size(witness) == 3


def test_the_state_moves_only_by_consistent_steps(witness: Node) -> None:
    ru = MemoryLog(RU_SIGNER)
    ru.grow(3)
    add(witness, ru.request(0))
    ru.grow(4)
    add(witness, ru.request(3))
    assert cosigned_size(witness) == 7
    add(witness, ru.request(7))  # the same checkpoint again is cosigned again
    ru.grow(1)
    stale = refusal(witness, ru.request(3), 409)
    assert (stale.body, stale.content_type) == ("7\n", "text/x.tlog.size")
    assert refusal(witness, ru.request(0), 409).body == "7\n"
    add(witness, ru.request(7))
    assert cosigned_size(witness) == 8


def test_409_answers_with_the_size_as_text_x_tlog_size_over_http(
    witness: Node, serve: Callable[..., LiveServer]
) -> None:
    server = serve(witness)
    ru = MemoryLog(RU_SIGNER)
    ru.grow(5)
    add(witness, ru.request(0))
    ru.grow(2)
    answer = httpx.post(f"{server.url}/witness/add-checkpoint", content=ru.request(2))
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.text == "5\n"


def test_an_old_size_beyond_the_checkpoint_is_400(witness: Node) -> None:
    ru = MemoryLog(RU_SIGNER)
    ru.grow(3)
    refusal(witness, ru.request(0).replace(b"old 0\n", b"old 4\n", 1), 400)
    assert cosigned_size(witness) is None


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda b: b.replace(b"\n\n", b"\n", 1), "proof line 1"),
        (lambda b: b.replace(b"old 0", b"old 00"), "old <size>"),
        (lambda b: b.replace(b"old 0", b"old -1"), "old <size>"),
        (lambda b: b.replace(b"old 0", b"Old 0"), "old <size>"),
        (lambda b: b.replace(b"old 0\n", b"old 0\nAAAA\n"), "proof line 1"),
        (lambda b: b.replace(b"old 0\n", b"old 0\nnot base64!\n"), "proof line 1"),
        (lambda b: b.replace(b"old 0\n", b"old 0\n" + b"A" * 43 + b"=\n" * 64), "64 proof"),
        (lambda b: b"old 0\n\nnot a checkpoint\n", "checkpoint is malformed"),
        (lambda b: b"old 0\n\n\xff\n\n", "checkpoint is malformed"),
        (lambda b: b"", "no empty line"),
    ],
)
def test_malformed_requests_are_400(
    witness: Node, mangle: Callable[[bytes], bytes], words: str
) -> None:
    ru = MemoryLog(RU_SIGNER)
    ru.grow(2)
    assert words in refusal(witness, mangle(ru.request(0)), 400).detail
    assert cosigned_size(witness) is None


def test_an_unknown_origin_is_404(witness: Node) -> None:
    stranger = MemoryLog(Signer.generate("example.org/fr/log"))
    stranger.grow(2)
    refusal(witness, stranger.request(0), 404)


def test_a_checkpoint_without_a_trusted_signature_is_403(witness: Node) -> None:
    impostor = MemoryLog(Signer.generate(RU_SIGNER.name))  # the origin, not the key
    impostor.grow(2)
    refusal(witness, impostor.request(0), 403)
    genuine = MemoryLog(RU_SIGNER)
    genuine.grow(2)
    body = genuine.request(0)
    text_end = body.index(b"\n\n", body.index(b"\n\n") + 2)
    tampered = body[:text_end].replace(b"\n2\n", b"\n3\n") + body[text_end:]
    refusal(witness, tampered, 403)
    assert cosigned_size(witness) is None


def test_a_proof_that_does_not_verify_is_422_and_changes_nothing(witness: Node) -> None:
    ru = MemoryLog(RU_SIGNER)
    ru.grow(5)
    add(witness, ru.request(0))
    ru.grow(3)
    good = ru.log.consistency_proof(5)
    bad = [good[0][::-1], *good[1:]]
    refusal(witness, ru.request(5, proof=bad), 422)
    refusal(witness, ru.request(5, proof=good[:-1]), 422)
    assert cosigned_size(witness) == 5
    assert witness.evidence() == []  # a wrong proof is not evidence of anything
    add(witness, ru.request(5))
    assert cosigned_size(witness) == 8


def test_two_roots_for_one_size_are_kept_as_evidence_and_the_log_is_refused_for_good(
    witness: Node, serve: Callable[..., LiveServer]
) -> None:
    honest, forked = MemoryLog(RU_SIGNER), MemoryLog(RU_SIGNER)
    honest.grow(5)
    forked.grow(5, tag="rewritten")
    add(witness, honest.request(0))
    stale = refusal(witness, forked.request(5), 409)
    assert (stale.body, stale.content_type) == ("5\n", "text/x.tlog.size")
    [evidence] = witness.evidence()
    assert evidence.kind == "same-size"
    assert (evidence.older, evidence.newer) == (honest.log.checkpoint(), forked.log.checkpoint())
    older, newer = verify_evidence(evidence, RU_SIGNER.verifier())
    assert older.size == newer.size == 5
    honest.grow(1)
    assert "refused" in refusal(witness, honest.request(5), 403).detail
    server = serve(witness)
    listed = httpx.get(f"{server.url}/witness/evidence").json()
    assert listed == [evidence.to_json()]
    again = httpx.post(f"{server.url}/witness/add-checkpoint", content=honest.request(5))
    assert again.status_code == 403


def test_a_proof_of_a_fork_is_kept_as_evidence(witness: Node) -> None:
    honest, forked = MemoryLog(RU_SIGNER), MemoryLog(RU_SIGNER)
    honest.grow(3)
    forked.grow(1)
    forked.grow(5, tag="rewritten")  # agrees on entry 0 only
    add(witness, honest.request(0))
    refusal(witness, forked.request(3), 422)
    [evidence] = witness.evidence()
    assert evidence.kind == "fork"
    older, newer = verify_evidence(evidence, RU_SIGNER.verifier())
    assert (older.size, newer.size) == (3, 6)
    refusal(witness, forked.request(3), 403)


def test_a_failed_proof_from_a_power_of_two_proves_nothing(witness: Node) -> None:
    honest, forked = MemoryLog(RU_SIGNER), MemoryLog(RU_SIGNER)
    honest.grow(4)
    forked.grow(6, tag="rewritten")
    add(witness, honest.request(0))
    refusal(witness, forked.request(4), 422)
    assert witness.evidence() == []  # the proof omits the subtree in question


def test_concurrent_requests_never_roll_the_state_back(witness: Node) -> None:
    ru = MemoryLog(RU_SIGNER)
    ru.grow(2)
    add(witness, ru.request(0))
    bodies = []
    for _ in range(8):
        ru.grow(1)
        bodies.append(ru.request(2))
    start = threading.Barrier(len(bodies))
    won: list[int] = []
    lost: list[int] = []
    sizes: list[int] = []

    def work(body: bytes) -> None:
        start.wait()
        try:
            witness.witness.add_checkpoint(body)
            won.append(parse_checkpoint(parse_note(body.split(b"\n\n", 1)[1]).text).size)
        except WitnessRefusalError as exc:
            lost.append(exc.status)
            sizes.append(int(exc.body))

    threads = [threading.Thread(target=work, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert len(lost) == 7
    assert cosigned_size(witness) == won[0]
    assert lost == [409] * 7
    assert set(sizes) == {won[0]}


def test_the_state_and_the_refusal_survive_a_restart(party_dbs: Callable[[str], PartyDb]) -> None:
    us = party_dbs("US")
    first = us.node()
    first.registry.add(Party(name="RU", vkey=RU_SIGNER.verifier().vkey()))
    honest, forked = MemoryLog(RU_SIGNER), MemoryLog(RU_SIGNER)
    honest.grow(3)
    forked.grow(3, tag="other")
    add(first, honest.request(0))
    first.close()
    second = us.node()
    assert refusal(second, honest.request(0), 409).body == "3\n"
    refusal(second, forked.request(3), 409)
    second.close()
    third = us.node()
    assert len(third.evidence()) == 1
    honest.grow(1)
    refusal(third, honest.request(3), 403)
