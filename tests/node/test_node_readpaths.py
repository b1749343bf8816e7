"""GET /log/...: the tlog-tiles read paths, their content types and cache headers, 404 beyond."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from nodeworld import LiveServer, PartyDb, signed_item

from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.tiles import decode_bundle, entries_path, tile_path, tiles_for_size
from treatyledger.log.verify_tree import verify_tree
from treatyledger.node.node import Node


def fill(node: Node, db: PartyDb, count: int, batch: int = 100) -> None:
    for start in range(0, count, batch):
        node.log.append_and_integrate(
            [signed_item(db, n) for n in range(start, min(count, start + batch))]
        )


@pytest.fixture
def grown(
    party_dbs: Callable[[str], PartyDb], serve: Callable[..., LiveServer]
) -> tuple[Node, PartyDb, LiveServer]:
    us = party_dbs("US")
    node = us.node()
    fill(node, us, 300)  # a full level-0 tile, a partial one, a partial level-1 tile
    return node, us, serve(node)


def test_the_checkpoint_is_signed_text_with_short_caching(
    grown: tuple[Node, PartyDb, LiveServer],
) -> None:
    node, _, server = grown
    answer = httpx.get(f"{server.url}/log/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=2, must-revalidate"
    assert open_checkpoint(answer.content, node.log.verifier).size == 300


def test_every_tile_and_bundle_verifies_from_the_http_paths(
    grown: tuple[Node, PartyDb, LiveServer],
) -> None:
    node, _, server = grown
    with httpx.Client(base_url=f"{server.url}/log/") as client:
        check_every_file(client, node)


def check_every_file(client: httpx.Client, node: Node) -> None:
    def fetch(path: str) -> bytes:
        answer = client.get(path)
        if answer.status_code == 404:
            raise FileNotFoundError(path)
        assert answer.status_code == 200
        return answer.content

    report = verify_tree(fetch, node.log.verifier)
    assert (report.checkpoint.size, report.tiles, report.bundles) == (300, 3, 2)
    for level, index, width in tiles_for_size(300):
        answer = client.get(tile_path(level, index, width))
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(answer.content) == 32 * width


def test_entry_bundles_are_gzipped_for_clients_that_accept_it(
    grown: tuple[Node, PartyDb, LiveServer],
) -> None:
    node, _, server = grown
    path = f"{server.url}/log/{entries_path(1, 44)}"
    zipped = httpx.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"] == "application/octet-stream"
    plain = httpx.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # httpx decoded the gzip
    assert decode_bundle(plain.content, width=44) == node.store.read_entries(256, 300)


NOT_THERE = [
    "tile/0/001",  # the full tile does not exist yet
    "tile/0/001.p/45",  # wider than the tree
    "tile/0/002.p/1",  # beyond the tree
    "tile/1/000.p/2",
    "tile/2/000.p/1",
    "tile/entries/001",
    "tile/entries/001.p/45",
    "tile/entries/x001/000",
    "tile/0/1",  # not canonical
    "tile/0/000.p/256",
    "tile/00/000",
    "tile/64/000",
    "tile/0/x000/001",
    "tile/entries/000.p/0",
    "tile/abc/000",
    "tile/0/",
    "tile/data/000",
]


def test_paths_beyond_the_tree_or_not_canonical_are_404(
    grown: tuple[Node, PartyDb, LiveServer],
) -> None:
    _, _, server = grown
    with httpx.Client(base_url=f"{server.url}/log/") as client:
        for path in NOT_THERE:
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert answer.json()["error"] == "not_found"


def test_smaller_widths_of_a_grown_tile_are_still_served(
    grown: tuple[Node, PartyDb, LiveServer],
) -> None:
    node, _, server = grown
    narrow = httpx.get(f"{server.url}/log/{tile_path(0, 1, 10)}")
    assert narrow.status_code == 200
    assert narrow.content == b"".join(node.store.read_leaf_hashes(256, 266))
    bundle = httpx.get(f"{server.url}/log/{entries_path(0, 3)}")
    assert decode_bundle(bundle.content, width=3) == node.store.read_entries(0, 3)


def test_a_new_log_serves_its_empty_checkpoint_and_no_tiles(
    us: PartyDb, serve: Callable[..., LiveServer]
) -> None:
    server = serve(us.node())
    assert (
        open_checkpoint(
            httpx.get(f"{server.url}/log/checkpoint").content, us.signer.verifier()
        ).size
        == 0
    )
    assert httpx.get(f"{server.url}/log/tile/0/000.p/1").status_code == 404
    assert httpx.get(f"{server.url}/log/tile/entries/000.p/1").status_code == 404
