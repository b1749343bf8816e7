"""Integration: fold newly sequenced leaves into the tiles of the tree.

Pure: given the tree's old size, the stored right-edge tiles it needs and the
new leaf hashes, it computes every tile that changes. Tiles are append-only
(a partial tile is a prefix of its later, wider versions), so integrating
the same entries always yields the same tiles and the same root.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from treatyledger.log.merkle import HASH_SIZE
from treatyledger.log.tiles import TILE_WIDTH, TileId, split_tile, tile_root

__all__ = ["edge_tiles", "integrate"]

ReadTiles = Callable[[Sequence[TileId]], Mapping[TileId, bytes]]


def _levels(size: int) -> int:
    """How many tile levels hold at least one node in a tree of ``size`` leaves."""
    levels = 0
    while size >> (8 * levels):
        levels += 1
    return levels


def edge_tiles(size: int) -> list[TileId]:
    """The partial tiles on the right edge of a tree of ``size`` leaves (needed to extend it)."""
    ids = []
    for level in range(_levels(size)):
        count = size >> (8 * level)
        if count % TILE_WIDTH:
            ids.append((level, count // TILE_WIDTH))
    return ids


def integrate(
    *,
    old_size: int,
    leaf_hashes: Sequence[bytes],
    read_tiles: ReadTiles,
    full_tile_root: Callable[[TileId, list[bytes]], bytes] | None = None,
) -> dict[TileId, bytes]:
    """Every tile that changes when ``leaf_hashes`` are added to a tree of ``old_size`` leaves.

    ``read_tiles`` must return the stored right-edge tiles of the old tree
    (see :func:`edge_tiles`); a stored tile may be wider than the old tree
    needs, and only its prefix is used. ``full_tile_root(tile, hashes)`` may
    compute the root of each newly full tile (a cache remembers its inner
    levels); by default it is :func:`tile_root`. Returns tile data keyed by
    (level, index); each value is the tile's full content at the new size.
    """
    new_size = old_size + len(leaf_hashes)
    stored = read_tiles(edge_tiles(old_size)) if leaf_hashes else {}
    changed: dict[TileId, bytes] = {}
    new_nodes: list[bytes] = list(leaf_hashes)
    level = 0
    while new_nodes:
        old_count = old_size >> (8 * level)
        first = old_count // TILE_WIDTH
        keep = old_count % TILE_WIDTH
        prefix: list[bytes] = []
        if keep:
            data = stored.get((level, first))
            if data is None or len(data) < keep * HASH_SIZE:
                raise ValueError(
                    f"the store lacks tile {level}/{first} with {keep} hashes needed to extend "
                    f"the tree of {old_size} leaves"
                )
            prefix = split_tile(data)[:keep]
        row = prefix + new_nodes
        next_nodes = []
        for offset in range(0, len(row), TILE_WIDTH):
            chunk = row[offset : offset + TILE_WIDTH]
            index = first + offset // TILE_WIDTH
            changed[(level, index)] = b"".join(chunk)
            if len(chunk) == TILE_WIDTH:
                next_nodes.append(
                    full_tile_root((level, index), chunk) if full_tile_root else tile_root(chunk)
                )
        new_nodes = next_nodes
        level += 1
    assert (new_size >> (8 * level)) == (old_size >> (8 * level))
    return changed
