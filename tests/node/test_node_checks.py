"""Submission checks in worker processes: the same answers as in the node's process,
a lost worker replaced without losing its batch, and no worker outliving its node."""

from __future__ import annotations

import os
import signal

import pytest
from nodeworld import NOW, PartyDb, new_item, process_ended, signed_item

from treatyledger.ledger import Entry, Ref, sign_entry
from treatyledger.log.note import Signer, sign_note
from treatyledger.node.checks import CheckContext, CheckWorkers, WorkerLostError
from treatyledger.node.errors import RefusalError
from treatyledger.node.node import Node
from treatyledger.node.parties import OWN_LOG, Party


def answer(node: Node, body: bytes) -> tuple[str, str]:
    """What the node says to ``body``: ``("appended", index)`` or the refusal's class and detail."""
    try:
        return "appended", str(node.submit(body).index)
    except RefusalError as exc:
        return type(exc).__name__, exc.detail


def bodies(db: PartyDb, ru: PartyDb) -> list[bytes]:
    """One body of every kind the checks tell apart, valid ones included."""
    stranger = Signer(name="example.org/stranger/log", seed=bytes(range(32)))
    good = signed_item(db, 1)
    text, _ = good.decode().split("\n\n")
    _, other_signature = sign_note("another text\n", [db.signer]).decode().split("\n\n")
    forged = f"{text}\n\n{other_signature}".encode()  # the log key's signature, of another text
    unresolved = Entry(
        type="acknowledgment",
        treaty="new-start",
        sender="US",
        time=new_item("x").time,
        payload={},
        refs=(Ref(origin=ru.origin, index=7, leaf_hash=bytes(32)),),
    )
    return [
        good,
        b"not a note",
        sign_note("hello\n", [db.signer]),
        sign_entry(new_item("US-MM3-9001"), stranger),
        sign_entry(new_item("RU-1", sender="RU"), ru.signer),
        forged,
        sign_entry(new_item("RU-2", sender="RU"), db.signer),
        sign_entry(new_item("US-MM3-9002", time="2031-01-01T00:00:00Z"), db.signer),
        sign_entry(unresolved, db.signer),
        good,
        signed_item(db, 2),
    ]


def test_workers_give_the_answers_the_node_gives(us: PartyDb, ru: PartyDb) -> None:
    """The same notes to a node that checks them itself, then to one with workers, on one
    database: the appended ones answer with their indexes again, the rest the same refusal."""
    answers = []
    for workers in (0, 2):
        node = us.node(check_workers=workers)
        try:
            if workers == 0:
                node.registry.add(Party(name="RU", vkey=ru.signer.verifier().vkey()))
            answers.append([answer(node, body) for body in bodies(us, ru)])
        finally:
            node.close()
    here, there = answers
    assert there == here
    kinds = [kind for kind, _ in here]
    assert kinds[0] == kinds[-2] == kinds[-1] == "appended"
    assert set(kinds[1:-2]) >= {
        "MalformedError",
        "UnknownKeyError",
        "NotThisNodeError",
        "BadSignatureError",
        "WrongSenderError",
        "InvalidEntryError",
    }


def test_a_lost_worker_is_replaced_and_its_batch_answered(us: PartyDb) -> None:
    node = us.node(check_workers=1)
    assert node.submit(signed_item(us, 1)).index == 0
    workers = node.check_workers
    assert isinstance(workers, CheckWorkers)
    (first,) = workers.pids()
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert process_ended(first)
    assert node.submit(signed_item(us, 2)).index == 1  # checked here, by the committer
    (second,) = workers.pids()
    assert second not in (None, first)
    assert node.submit(signed_item(us, 3)).index == 2  # by the new worker
    with pytest.raises(RefusalError):
        node.submit(b"not a note")


def test_closing_the_node_stops_its_workers(us: PartyDb) -> None:
    node = us.node(check_workers=2)
    workers = node.check_workers
    assert workers is not None
    pids = workers.pids()
    assert len(pids) == 2
    node.close()
    assert all(process_ended(pid) for pid in pids)


def test_a_node_with_an_injected_store_opener_has_no_workers(us: PartyDb) -> None:
    from treatyledger.errors import InputError  # noqa: PLC0415
    from treatyledger.storage import open_store  # noqa: PLC0415

    with pytest.raises(InputError, match="check workers open the database by its URL"):
        us.node(check_workers=1, open_store=lambda name: open_store(us.url, log=name))


def test_a_worker_that_hangs_is_replaced(us: PartyDb) -> None:
    context = CheckContext(
        party="US",
        treaty="new-start",
        log_vkey=us.signer.verifier().vkey(),
        others=(),
        logs=((us.origin, OWN_LOG, us.signer.verifier().vkey()),),
        now=NOW,
    )
    workers = CheckWorkers(us.url, 1, answer_timeout=2)
    try:
        assert workers.check([signed_item(us, 1), b"junk"], context)[0] is None
        (stuck,) = workers.pids()
        assert stuck is not None
        os.kill(stuck, signal.SIGSTOP)
        with pytest.raises(WorkerLostError, match="gave no answer in 2 s"):
            workers.check([signed_item(us, 2)], context)
        assert process_ended(stuck)  # killed
        (fresh,) = workers.pids()
        assert fresh != stuck
        answers = workers.check([signed_item(us, 3), b"junk"], context)
        assert answers[0] is None
        assert isinstance(answers[1], RefusalError)
    finally:
        workers.close()
