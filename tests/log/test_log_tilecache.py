"""The tile cache computes the same nodes as the tiles, and never caches a growing tile."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import VerificationError
from treatyledger.log.integrate import integrate
from treatyledger.log.merkle import leaf_hash, root_from_leaf_hashes
from treatyledger.log.tilecache import TileCache
from treatyledger.log.tiles import TileId, fetch_nodes


def _tiles(size: int, seed: int = 0) -> tuple[list[bytes], dict[TileId, bytes]]:
    rng = random.Random(seed)
    leaves = [leaf_hash(rng.randbytes(8)) for _ in range(size)]
    return leaves, integrate(old_size=0, leaf_hashes=leaves, read_tiles=lambda ids: {})


class CountingReader:
    def __init__(self, tiles: Mapping[TileId, bytes]) -> None:
        self.tiles = dict(tiles)
        self.reads: list[TileId] = []

    def __call__(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        self.reads.extend(ids)
        return {i: self.tiles[i] for i in ids if i in self.tiles}


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=70_000), st.data())
def test_same_nodes_as_direct_computation(size: int, data: st.DataObject) -> None:
    leaves, tiles = _tiles(size, seed=size)
    cache = TileCache()
    reader = CountingReader(tiles)
    for _ in range(5):
        level = data.draw(st.integers(min_value=0, max_value=size.bit_length() - 1))
        index = data.draw(st.integers(min_value=0, max_value=(size >> level) - 1))
        expected = root_from_leaf_hashes(leaves[index << level : (index + 1) << level])
        assert cache.fetch_nodes([(level, index)], reader) == [expected]
        assert fetch_nodes([(level, index)], reader) == [expected]


def test_full_tiles_are_read_once_partial_tiles_every_time() -> None:
    _, tiles = _tiles(300)
    cache = TileCache()
    reader = CountingReader(tiles)
    cache.fetch_nodes([(3, 5), (0, 260)], reader)
    cache.fetch_nodes([(4, 2), (0, 261)], reader)
    assert reader.reads.count((0, 0)) == 1
    assert reader.reads.count((0, 1)) == 2


def test_growing_partial_tile_gives_new_nodes() -> None:
    leaves, tiles = _tiles(300)
    cache = TileCache()
    cache.fetch_nodes([(0, 299)], CountingReader(tiles))
    more = [leaf_hash(b"%d" % i) for i in range(20)]
    grown = {**tiles, **integrate(old_size=300, leaf_hashes=more, read_tiles=CountingReader(tiles))}
    node = cache.fetch_nodes([(4, 19)], CountingReader(grown))  # leaves 304..319
    assert node == [root_from_leaf_hashes((leaves + more)[304:320])]


def test_capacity_bounds_the_cache() -> None:
    _, tiles = _tiles(256 * 6)
    cache = TileCache(capacity=2)
    reader = CountingReader(tiles)
    for tile in range(6):
        cache.fetch_nodes([(0, tile * 256)], reader)
    cache.fetch_nodes([(0, 0)], reader)
    assert reader.reads.count((0, 0)) == 2


def test_missing_or_short_tiles_are_errors() -> None:
    _, tiles = _tiles(300)
    with pytest.raises(VerificationError, match="missing"):
        TileCache().fetch_nodes([(0, 600)], CountingReader(tiles))
    with pytest.raises(VerificationError, match="beyond"):
        TileCache().fetch_nodes([(2, 75)], CountingReader(tiles))  # leaves 300..303
