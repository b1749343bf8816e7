"""C2SP tlog-tiles: paths, bundles, tile geometry, proofs from tiles, and the golden
tessera log (transparency-dev/tessera testdata/log, see ../shared/vectors/README.md)."""

from __future__ import annotations

import base64
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.merkle import (
    EMPTY_ROOT,
    NodeId,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from treatyledger.log.tiles import (
    MAX_ENTRY_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileId,
    bundles_for_size,
    decode_bundle,
    encode_bundle,
    entries_path,
    fetch_nodes,
    parse_entries_path,
    parse_tile_path,
    split_tile,
    tile_path,
    tile_root,
    tiles_for_size,
)

# --- paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 1234067, 8, "tile/0/x001/x234/067.p/8"),  # the spec's example index
        (0, 1234067, 256, "tile/0/x001/x234/067"),
        (0, 1234, 256, "tile/0/x001/234"),
        (0, 5, 256, "tile/0/005"),
        (0, 0, 1, "tile/0/000.p/1"),
        (1, 999, 255, "tile/1/999.p/255"),
        (2, 1000, 256, "tile/2/x001/000"),
        (63, 2**64 - 1, 256, "tile/63/x018/x446/x744/x073/x709/x551/615"),
    ],
)
def test_tile_paths(level: int, index: int, width: int, path: str) -> None:
    assert tile_path(level, index, width) == path
    assert parse_tile_path(path) == (level, index, width)


@pytest.mark.parametrize(
    ("index", "width", "path"),
    [
        (0, 15, "tile/entries/000.p/15"),
        (1234067, 256, "tile/entries/x001/x234/067"),
        (1234, 7, "tile/entries/x001/234.p/7"),
    ],
)
def test_entry_bundle_paths(index: int, width: int, path: str) -> None:
    assert entries_path(index, width) == path
    assert parse_entries_path(path) == (index, width)


def test_full_is_the_default_width() -> None:
    assert tile_path(0, 5) == "tile/0/005"
    assert entries_path(5) == "tile/entries/005"


@given(
    st.integers(min_value=0, max_value=63),
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=1, max_value=256),
)
def test_paths_round_trip(level: int, index: int, width: int) -> None:
    assert parse_tile_path(tile_path(level, index, width)) == (level, index, width)
    assert parse_entries_path(entries_path(index, width)) == (index, width)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("tile/00/000", id="level-leading-zero"),
        pytest.param("tile/01/000", id="level-padded"),
        pytest.param("tile/64/000", id="level-above-63"),
        pytest.param("tile/-1/000", id="level-negative"),
        pytest.param("tile/+1/000", id="level-plus-sign"),
        pytest.param("tile//000", id="level-empty"),
        pytest.param("tile/\u0661/000", id="level-non-ascii-digit"),
        pytest.param("tile/0/05", id="index-element-two-digits"),
        pytest.param("tile/0/0005", id="index-element-four-digits"),
        pytest.param("tile/0/x000/005", id="index-leading-zero-element"),
        pytest.param("tile/0/x005", id="index-last-element-with-x"),
        pytest.param("tile/0/001/234", id="index-inner-element-without-x"),
        pytest.param("tile/0/X001/234", id="index-capital-x"),
        pytest.param("tile/0/\u0660\u0660\u0665", id="index-non-ascii-digits"),
        pytest.param("tile/0/ 05", id="index-space"),
        pytest.param("tile/0/x018/x446/x744/x073/x709/x551/616", id="index-2-to-the-64"),
        pytest.param("tile/0/000.p/0", id="width-zero"),
        pytest.param("tile/0/000.p/256", id="width-256-is-a-full-tile"),
        pytest.param("tile/0/000.p/08", id="width-leading-zero"),
        pytest.param("tile/0/000.p/", id="width-empty"),
        pytest.param("tile/0/000.p", id="width-missing"),
        pytest.param("tile/0/000.p/5/6", id="width-extra-element"),
        pytest.param("tile/0/000.p/5.p/3", id="width-twice"),
        pytest.param("tile/0/.p/5", id="index-missing-before-width"),
        pytest.param("tile/0/", id="index-empty"),
        pytest.param("tile/0", id="index-missing"),
        pytest.param("/tile/0/000", id="leading-slash"),
        pytest.param("tile/0/000/", id="trailing-slash"),
        pytest.param("tiles/0/000", id="wrong-root-element"),
        pytest.param("tile/entries/000", id="entry-bundle-path"),
        pytest.param("", id="empty"),
    ],
)
def test_non_canonical_tile_paths_are_rejected(path: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_tile_path(path)
    assert caught.value.what == "tile path"


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("tile/0/000", id="tile-path"),
        pytest.param("tile/entries", id="index-missing"),
        pytest.param("tile/entries/5", id="index-unpadded"),
        pytest.param("tile/entries/x000/005", id="index-leading-zero-element"),
        pytest.param("tile/entries/000.p/256", id="width-256"),
        pytest.param("tile/entries/000.p/0", id="width-zero"),
        pytest.param("tile/Entries/000", id="wrong-case"),
    ],
)
def test_non_canonical_entry_bundle_paths_are_rejected(path: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_entries_path(path)
    assert caught.value.what == "entry bundle path"


@pytest.mark.parametrize(
    ("level", "index", "width"),
    [(-1, 0, 256), (64, 0, 256), (0, -1, 256), (0, 2**64, 256), (0, 0, 0), (0, 0, 257)],
)
def test_tile_path_rejects_impossible_tiles(level: int, index: int, width: int) -> None:
    with pytest.raises(ValueError, match="must be in"):
        tile_path(level, index, width)


# --- entry bundles ----------------------------------------------------------------------


def test_bundle_encoding_is_uint16_length_then_bytes() -> None:
    assert encode_bundle([b"one", b"", b"xy"]) == b"\x00\x03one\x00\x00\x00\x02xy"
    assert decode_bundle(b"\x00\x03one\x00\x00\x00\x02xy") == [b"one", b"", b"xy"]


def test_bundle_holds_the_largest_entry() -> None:
    entry = b"\xab" * MAX_ENTRY_SIZE
    data = encode_bundle([entry])
    assert data[:2] == b"\xff\xff"
    assert decode_bundle(data, width=1) == [entry]


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=TILE_WIDTH))
def test_bundles_round_trip(entries: list[bytes]) -> None:
    assert decode_bundle(encode_bundle(entries), width=len(entries)) == entries


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        pytest.param([], "at least one", id="empty"),
        pytest.param([b""] * (TILE_WIDTH + 1), "at most 256 entries", id="257-entries"),
        pytest.param([b"x" * (MAX_ENTRY_SIZE + 1)], "at most 65535", id="entry-too-long"),
    ],
)
def test_encode_bundle_rejects(entries: list[bytes], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_bundle(entries)


@pytest.mark.parametrize(
    ("data", "width", "message"),
    [
        pytest.param(b"", None, "empty", id="empty"),
        pytest.param(b"\x00", None, "truncated length", id="truncated-length"),
        pytest.param(b"\x00\x03on", None, "claims 3 bytes, only 2 remain", id="truncated-entry"),
        pytest.param(b"\x00\x01a\x00", None, "truncated length", id="trailing-byte"),
        pytest.param(b"\x00\x00" * 257, None, "continues after 256", id="257-entries"),
        pytest.param(b"\x00\x01a", 2, "holds 1 entries, expected 2", id="fewer-than-width"),
        pytest.param(b"\x00\x01a\x00\x00", 1, "holds 2 entries, expected 1", id="more-than-width"),
    ],
)
def test_decode_bundle_rejects(data: bytes, width: int | None, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        decode_bundle(data, width=width)
    assert caught.value.what == "entry bundle"


# --- tiles ----------------------------------------------------------------------------


def test_split_tile() -> None:
    hashes = [bytes([i]) * 32 for i in range(TILE_WIDTH)]
    assert split_tile(b"".join(hashes)) == hashes
    assert split_tile(b"".join(hashes[:3]), width=3) == hashes[:3]


@pytest.mark.parametrize(
    ("data", "width", "message"),
    [
        pytest.param(b"", None, "0 bytes", id="empty"),
        pytest.param(b"x" * 31, None, "31 bytes", id="short-hash"),
        pytest.param(b"x" * 33, None, "33 bytes", id="trailing-byte"),
        pytest.param(b"x" * 32 * 257, None, "257 hashes", id="257-hashes"),
        pytest.param(b"x" * 64, 3, "holds 2 hashes, expected 3", id="narrower-than-width"),
    ],
)
def test_split_tile_rejects(data: bytes, width: int | None, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        split_tile(data, width=width)
    assert caught.value.what == "tile"


def test_tile_root_is_the_perfect_subtree_root() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(TILE_WIDTH)]
    assert tile_root(hashes) == root_from_leaf_hashes(hashes)
    assert tile_root(hashes[:1]) == hashes[0]
    with pytest.raises(ValueError, match="power-of-two"):
        tile_root(hashes[:3])
    with pytest.raises(ValueError, match="power-of-two"):
        tile_root([])


# --- geometry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, []),
        (1, [(0, 0, 1)]),
        (255, [(0, 0, 255)]),
        (256, [(0, 0, 256), (1, 0, 1)]),
        (257, [(0, 0, 256), (0, 1, 1), (1, 0, 1)]),
        (65536, [*((0, n, 256) for n in range(256)), (1, 0, 256), (2, 0, 1)]),
        # The spec's example: 273 full level-0 tiles and one of width 112, a full
        # level-1 tile and one of width 17, and a level-2 tile of width 1.
        (
            70000,
            [*((0, n, 256) for n in range(273)), (0, 273, 112), (1, 0, 256), (1, 1, 17), (2, 0, 1)],
        ),
    ],
)
def test_tiles_for_size(size: int, expected: list[tuple[int, int, int]]) -> None:
    assert tiles_for_size(size) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(0, []), (15, [(0, 15)]), (256, [(0, 256)]), (513, [(0, 256), (1, 256), (2, 1)])],
)
def test_bundles_for_size(size: int, expected: list[tuple[int, int]]) -> None:
    assert bundles_for_size(size) == expected


def test_geometry_rejects_negative_sizes() -> None:
    with pytest.raises(ValueError, match="negative"):
        tiles_for_size(-1)


# --- proofs from tiles ----------------------------------------------------------------

BIG = 70000
RANDOM = random.Random(20240601)
BIG_LEAVES = [RANDOM.randbytes(32) for _ in range(BIG)]


def build_tiles(leaf_hashes: Sequence[bytes]) -> dict[TileId, bytes]:
    """Tiles of a tree, built straight from the spec's definition (partial tiles included)."""
    tiles: dict[TileId, bytes] = {}
    level, row = 0, list(leaf_hashes)
    while row:
        for start in range(0, len(row), TILE_WIDTH):
            tiles[level, start // TILE_WIDTH] = b"".join(row[start : start + TILE_WIDTH])
        full = len(row) - len(row) % TILE_WIDTH
        row = [
            root_from_leaf_hashes(row[start : start + TILE_WIDTH])
            for start in range(0, full, TILE_WIDTH)
        ]
        level += 1
    return tiles


BIG_TILES = build_tiles(BIG_LEAVES)


class TileReader:
    """Serves tiles from a dict and records each batch it was asked for."""

    def __init__(self, tiles: Mapping[TileId, bytes]) -> None:
        self.tiles = tiles
        self.batches: list[list[TileId]] = []

    def __call__(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        self.batches.append(list(ids))
        return {tile: self.tiles[tile] for tile in ids if tile in self.tiles}


def direct_node(leaves: Sequence[bytes], node: NodeId) -> bytes:
    level, index = node
    return root_from_leaf_hashes(leaves[index << level : (index + 1) << level])


@st.composite
def nodes_within(draw: st.DrawFn, size: int) -> NodeId:
    level = draw(st.integers(min_value=0, max_value=size.bit_length() - 1))
    index = draw(st.integers(min_value=0, max_value=(size >> level) - 1))
    return level, index


@given(
    st.integers(min_value=1, max_value=BIG).flatmap(
        lambda s: st.lists(nodes_within(s), max_size=10)
    )
)
def test_fetch_nodes_equals_direct_computation(ids: list[NodeId]) -> None:
    """Wider tiles than a node needs serve it too: a tile's prefix never changes."""
    reader = TileReader(BIG_TILES)
    assert fetch_nodes(ids, reader) == [direct_node(BIG_LEAVES, node) for node in ids]
    if ids:
        assert len(reader.batches) == 1
        batch = reader.batches[0]
        assert batch == sorted(set(batch))
    else:
        assert reader.batches == []


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 65535, 65536, 65539, BIG])
def test_exact_tiles_serve_roots_and_proofs(size: int) -> None:
    leaves = BIG_LEAVES[:size]
    tiles = build_tiles(leaves)
    assert sorted(tiles) == sorted((level, index) for level, index, _ in tiles_for_size(size))
    for level, index, width in tiles_for_size(size):
        assert len(split_tile(tiles[level, index], width=width)) == width
    reader = TileReader(tiles)

    def fetch(ids: Sequence[NodeId]) -> list[bytes]:
        return fetch_nodes(ids, reader)

    root = root_from_leaf_hashes(leaves)
    assert root_hash(size, fetch) == root
    for index in {0, size // 3, size - 1}:
        proof = inclusion_proof(index, size, fetch)
        verify_inclusion(leaf_hash=leaves[index], index=index, size=size, proof=proof, root=root)
    for old in {1, size // 2, size - 1} - {0}:
        proof = consistency_proof(old, size, fetch)
        old_root = root_from_leaf_hashes(leaves[:old])
        verify_consistency(
            old_size=old, new_size=size, old_root=old_root, new_root=root, proof=proof
        )


def test_fetch_nodes_reports_missing_and_short_tiles() -> None:
    tiles = build_tiles(BIG_LEAVES[:300])  # tiles 0/0 (256), 0/1 (width 44), 1/0 (width 1)
    with pytest.raises(VerificationError, match="tile 0/2 is missing"):
        fetch_nodes([(0, 600)], TileReader(tiles))
    with pytest.raises(
        VerificationError, match=r"tile 0/1 holds 44 hashes; node \(2, 75\) needs the first 48"
    ):
        fetch_nodes([(2, 75)], TileReader(tiles))
    with pytest.raises(FormatError, match="malformed tile"):
        fetch_nodes([(0, 0)], TileReader({(0, 0): b"x" * 33}))
    with pytest.raises(ValueError, match="negative"):
        fetch_nodes([(0, -1)], TileReader(tiles))


# --- the golden tessera log -----------------------------------------------------------

TESSERA_ENTRIES = (
    b"one two three four five six seven eit nain ten ileven twelf threeten fourten fivten"
).split()


def read_checkpoint(path: Path) -> tuple[str, int, bytes]:
    """Origin, size and root hash: the first three lines of a signed checkpoint."""
    origin, size, root = path.read_text(encoding="utf-8").split("\n")[:3]
    return origin, int(size), base64.b64decode(root, validate=True)


@pytest.fixture
def tessera(shared: Path) -> Path:
    return shared / "vectors/tessera-log"


def tessera_reader(log: Path) -> TileReader:
    tiles = {
        (level, index): (log / path).read_bytes()
        for level, index, width in tiles_for_size(15)
        for path in [tile_path(level, index, width)]
    }
    return TileReader(tiles)


def test_tessera_bundles_hash_to_their_level_0_tiles(tessera: Path) -> None:
    for size in range(1, 16):
        assert tiles_for_size(size) == [(0, 0, size)]
        assert bundles_for_size(size) == [(0, size)]
        entries = decode_bundle((tessera / entries_path(0, size)).read_bytes(), width=size)
        assert entries == TESSERA_ENTRIES[:size]
        hashes = split_tile((tessera / tile_path(0, 0, size)).read_bytes(), width=size)
        assert hashes == [leaf_hash(entry) for entry in entries]
        assert encode_bundle(entries) == (tessera / entries_path(0, size)).read_bytes()


def test_tessera_files_have_canonical_paths(tessera: Path) -> None:
    for path in sorted((tessera / "tile").rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(tessera).as_posix()
        if relative.startswith("tile/entries/"):
            index, width = parse_entries_path(relative)
            assert entries_path(index, width) == relative
        else:
            level, index, width = parse_tile_path(relative)
            assert tile_path(level, index, width) == relative


@pytest.mark.parametrize("size", range(16))
def test_tessera_checkpoint_roots_come_from_the_tiles(tessera: Path, size: int) -> None:
    origin, claimed, root = read_checkpoint(tessera / f"checkpoint.{size}")
    assert (origin, claimed) == ("example.com/log/testdata", size)
    reader = tessera_reader(tessera)
    assert root_hash(size, lambda ids: fetch_nodes(ids, reader)) == root
    assert root_from_leaf_hashes([leaf_hash(e) for e in TESSERA_ENTRIES[:size]]) == root
    if size == 0:
        assert root == EMPTY_ROOT


def test_tessera_latest_checkpoint(tessera: Path) -> None:
    assert read_checkpoint(tessera / "checkpoint") == read_checkpoint(tessera / "checkpoint.15")


def test_tessera_checkpoints_are_consistent_and_include_every_entry(tessera: Path) -> None:
    reader = tessera_reader(tessera)

    def fetch(ids: Sequence[NodeId]) -> list[bytes]:
        return fetch_nodes(ids, reader)

    roots = [read_checkpoint(tessera / f"checkpoint.{size}")[2] for size in range(16)]
    for new in range(16):
        for old in range(new + 1):
            verify_consistency(
                old_size=old,
                new_size=new,
                old_root=roots[old],
                new_root=roots[new],
                proof=consistency_proof(old, new, fetch),
            )
        for index in range(new):
            verify_inclusion(
                leaf_hash=leaf_hash(TESSERA_ENTRIES[index]),
                index=index,
                size=new,
                proof=inclusion_proof(index, new, fetch),
                root=roots[new],
            )


def test_tile_height_and_width_agree() -> None:
    assert 2**TILE_HEIGHT == TILE_WIDTH
