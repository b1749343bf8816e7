"""POST /api/v1/entries: what a node appends, what it refuses, and that a refusal stores nothing."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import nodeworld
import pytest
from nodeworld import LiveServer, PartyDb, new_item, signed_item

from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.sumtree import commit
from treatyledger.ledger import Entry, Ref, sign_entry
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text, sign_exchange
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Signer, sign_note
from treatyledger.node.node import Node
from treatyledger.node.parties import Party
from treatyledger.treaty import TreatySpec

TEXT = {"Content-Type": "text/plain; charset=utf-8"}


@pytest.fixture(autouse=True, params=[0, 2], ids=["checked-in-process", "checked-by-workers"])
def check_workers(request: pytest.FixtureRequest) -> Iterator[int]:
    """Every test runs on nodes that check in the committer thread and in worker processes."""
    nodeworld.CHECK_WORKERS[0] = int(request.param)
    yield nodeworld.CHECK_WORKERS[0]
    nodeworld.CHECK_WORKERS[0] = 0


def post(server: LiveServer, body: bytes, headers: dict[str, str] = TEXT) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/entries", content=body, headers=headers, timeout=30)


def assert_nothing_stored(node: Node, size: int = 0) -> None:
    assert node.store.entry_count() == size
    assert node.store.tree_size() == size


def test_an_entry_is_appended_durably_and_resubmission_gives_its_index(
    party_dbs: Callable[[str], PartyDb], serve: Callable[..., LiveServer]
) -> None:
    us = party_dbs("US")
    node = us.node()
    server = serve(node)
    first, second = signed_item(us, 1), signed_item(us, 2)
    answer = post(server, first)
    assert answer.status_code == 201
    assert answer.json() == {"index": 0, "leaf_hash": leaf_hash(first).hex()}
    assert post(server, second).json()["index"] == 1
    again = post(server, first)
    assert again.status_code == 200
    assert again.json() == {"index": 0, "leaf_hash": leaf_hash(first).hex()}
    assert node.store.read_entries(0, 2) == [first, second]
    assert node.store.tree_size() == 2  # integrated: the checkpoint covers both
    checkpoint = httpx.get(f"{server.url}/log/checkpoint").text
    assert checkpoint.splitlines()[1] == "2"


def test_concurrent_submissions_are_sequenced_gap_free(
    party_dbs: Callable[[str], PartyDb], serve: Callable[..., LiveServer]
) -> None:
    us = party_dbs("US")
    node = us.node()
    server = serve(node)
    notes = [signed_item(us, n) for n in range(120)]
    results: dict[int, int] = {}
    errors: list[BaseException] = []

    def work(start: int) -> None:
        try:
            with httpx.Client(timeout=60) as client:
                for n in range(start, len(notes), 8):
                    answer = client.post(
                        f"{server.url}/api/v1/entries", content=notes[n], headers=TEXT
                    )
                    assert answer.status_code == 201, answer.text
                    results[n] = answer.json()["index"]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(results.values()) == list(range(len(notes)))
    stored = node.store.read_entries(0, len(notes))
    for n, index in results.items():
        assert stored[index] == notes[n]
    assert node.store.tree_size() == len(notes)


def test_the_same_note_submitted_concurrently_is_stored_once(us: PartyDb) -> None:
    node = us.node()
    note = signed_item(us, 7)
    indexes: list[int] = []
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        indexes.append(node.submit(note).index)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert indexes == [0] * 6
    assert node.store.entry_count() == 1


# -- refusals: each a 4xx with {"error", "detail"}, and nothing stored --------------------


def refused(answer: httpx.Response, status: int, error: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == error
    assert body["detail"]
    return str(body["detail"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "no blank line"),
        (b"hello\n", "no blank line"),
        (b"\xff\xfe\n\n", "UTF-8"),
        (b"text\n\n\xe2\x80\x94 name AAAA\n", "signature"),
    ],
)
def test_a_malformed_body_is_refused(
    us: PartyDb, serve: Callable[..., LiveServer], body: bytes, words: str
) -> None:
    node = us.node()
    server = serve(node)
    assert words in refused(post(server, body), 400, "malformed")
    assert_nothing_stored(node)


def test_a_note_that_is_not_an_entry_is_refused_as_malformed(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    note = sign_note("not a ledger entry\n", [us.signer])
    assert "ledger entry" in refused(post(server, note), 400, "malformed")
    twice = sign_note("x\n", [us.signer, Signer.generate("example.org/other")])
    assert "exactly one signature" in refused(post(server, twice), 400, "malformed")
    assert_nothing_stored(node)


def test_an_oversize_body_is_refused_before_it_is_read(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    big = signed_item(us, 1) + b"x" * 65_536
    assert "65,535" in refused(post(server, big), 413, "too_large")
    # Without a Content-Length (chunked), the limit holds while the body streams in.
    chunks = iter([b"y" * 40_000, b"y" * 40_000])
    streamed = httpx.post(f"{server.url}/api/v1/entries", content=chunks, headers=TEXT)
    refused(streamed, 413, "too_large")
    # A body of exactly 65,535 bytes is read (and refused for what it is, not its size).
    refused(post(server, b"z" * 65_535), 400, "malformed")
    assert_nothing_stored(node)


def test_a_lying_content_length_does_not_get_past_the_limit(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 70000\r\n\r\n" + b"a" * 1000
        )
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert_nothing_stored(node)


def test_a_body_that_is_not_text_plain_is_refused(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    note = signed_item(us, 1)
    for headers in (
        {"Content-Type": "application/json"},
        {"Content-Type": "text/plain; charset=latin-1"},
        {},
    ):
        refused(post(server, note, headers), 415, "unsupported_media_type")
    assert_nothing_stored(node)


def test_an_unknown_key_is_refused(us: PartyDb, serve: Callable[..., LiveServer]) -> None:
    node = us.node()
    server = serve(node)
    stranger = Signer.generate("example.org/us/log")  # the right name, another key
    note = sign_entry(new_item("US-MM3-0001"), stranger)
    assert "does not know" in refused(post(server, note), 403, "unknown_key")
    assert_nothing_stored(node)


def test_another_registered_partys_entry_goes_to_its_own_node(
    us: PartyDb, ru: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    node.registry.add(Party(name="RU", vkey=ru.signer.verifier().vkey()))
    server = serve(node)
    note = sign_entry(new_item("RU-X-0001", sender="RU"), ru.signer)
    assert "RU's own node" in refused(post(server, note), 403, "not_this_node")
    assert_nothing_stored(node)


def test_a_bad_signature_is_refused(us: PartyDb, serve: Callable[..., LiveServer]) -> None:
    node = us.node()
    server = serve(node)
    note = signed_item(us, 1)
    text, _, signature = note.partition(b"\n\n")
    tampered = text.replace(b"US-MM3-0001", b"US-MM3-0002") + b"\n\n" + signature
    assert "does not verify" in refused(post(server, tampered), 403, "bad_signature")
    assert_nothing_stored(node)


def test_an_entry_of_another_sender_is_refused(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    note = sign_entry(new_item("RU-X-0001", sender="RU"), us.signer)
    assert "'RU'" in refused(post(server, note), 403, "wrong_sender")
    assert_nothing_stored(node)


def test_an_entry_that_does_not_check_against_the_treaty_is_refused(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    valid = new_item("US-1")
    bad_payload = Entry(
        type=valid.type, treaty=valid.treaty, sender="US", time=valid.time, payload={"uid": "US-1"}
    )
    detail = refused(post(server, sign_entry(bad_payload, us.signer)), 422, "invalid_entry")
    assert "payload" in detail
    future = new_item("US-2", time="2030-01-01T00:00:00Z")  # the node's clock says 2021
    detail = refused(post(server, sign_entry(future, us.signer)), 422, "invalid_entry")
    assert "future" in detail
    assert_nothing_stored(node)


def test_a_reference_must_resolve_in_this_nodes_logs(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    node = us.node()
    server = serve(node)
    assert post(server, signed_item(us, 1)).status_code == 201
    missing = Ref(origin="example.org/ru/log", index=3, leaf_hash=bytes(32))
    ack = Entry(
        type="acknowledgment",
        treaty="new-start",
        sender="US",
        time=new_item("x").time,
        payload={},
        refs=(missing,),
    )
    detail = refused(post(server, sign_entry(ack, us.signer)), 422, "invalid_entry")
    assert "refs[0]" in detail
    assert_nothing_stored(node, 1)


def test_a_data_exchange_is_checked_down_to_its_sums(
    us: PartyDb, serve: Callable[..., LiveServer], new_start: TreatySpec
) -> None:
    inventory = us_inventory_2020_09_01(new_start)
    ids = [f.id for f in inventory.facilities]
    declaration = commit(
        new_start, "US", dt.date(2020, 9, 1), inventory.items, ids, secret=bytes(32)
    )
    kinds = {f.id: f.kind for f in inventory.facilities}
    when = dt.datetime(2020, 9, 30, 12, 0, tzinfo=dt.UTC)
    text = exchange_entry_text(build_exchange(declaration, kinds, clock=lambda: when))
    doc = json.loads(text)
    name = sorted(doc["payload"]["totals"])[0]
    doc["payload"]["totals"][name] += 1  # signed as it is, but not what was committed
    wrong = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    node = us.node()
    server = serve(node)
    detail = refused(post(server, sign_exchange(wrong, us.signer)), 422, "invalid_entry")
    assert "commitment" in detail or "totals" in detail
    assert_nothing_stored(node)
    answer = post(server, sign_exchange(text, us.signer))
    assert answer.status_code == 201, answer.text
    assert answer.json()["index"] == 0
