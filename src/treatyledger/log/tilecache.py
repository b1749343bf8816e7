"""Node hashes from tiles, with the inner levels of full tiles kept in memory.

A node at tree level ``8L + r`` lies inside one tile of level ``L``; computing
it means hashing ``2**r`` of the tile's hashes. Full tiles never change, so
their seven inner levels are computed once and kept (in a bounded LRU);
partial tiles are hashed afresh every time, since they grow.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from treatyledger.errors import VerificationError
from treatyledger.log.merkle import HASH_SIZE, NodeId, node_hash
from treatyledger.log.tiles import MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, TileId, split_tile

__all__ = ["TileCache"]

_PARTIAL_CAPACITY = 64

_Levels = list[bytes]
"""Level r of a tile as one byte string of ``width >> r`` concatenated hashes."""


def _levels(hashes: list[bytes]) -> _Levels:
    """Every complete inner level of a tile: level r holds ``len(hashes) >> r`` nodes.

    The hashes come from :func:`split_tile`, so each is 32 bytes; the RFC 6962
    node rule is applied directly, without re-checking every pair.
    """
    sha256 = hashlib.sha256
    levels = [b"".join(hashes)]
    below = hashes
    for _ in range(TILE_HEIGHT - 1):
        below = [
            sha256(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)
        ]
        levels.append(b"".join(below))
    return levels


class TileCache:
    """Computes node hashes from tiles; keeps the inner levels of up to ``capacity`` full tiles."""

    def __init__(self, capacity: int = 4096) -> None:
        # 4096 full tiles take about 64 MB: every level-0 tile of a million entries.
        if capacity < 0:
            raise ValueError("capacity must be non-negative")
        self._capacity = capacity
        self._full: OrderedDict[TileId, _Levels] = OrderedDict()
        # A partial tile of a given width never changes either (tiles only grow),
        # so the few right-edge tiles in use are kept by (tile, width).
        self._partial: OrderedDict[tuple[TileId, int], _Levels] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, tile: TileId) -> _Levels | None:
        with self._lock:
            levels = self._full.get(tile)
            if levels is not None:
                self._full.move_to_end(tile)
            return levels

    def _partial_levels(self, tile: TileId, hashes: list[bytes]) -> _Levels:
        key = (tile, len(hashes))
        with self._lock:
            levels = self._partial.get(key)
        if levels is None:
            levels = _levels(hashes)
            with self._lock:
                self._partial[key] = levels
                while len(self._partial) > _PARTIAL_CAPACITY:
                    self._partial.popitem(last=False)
        return levels

    def _remember(self, tile: TileId, levels: _Levels) -> None:
        if not self._capacity:
            return
        with self._lock:
            self._full[tile] = levels
            self._full.move_to_end(tile)
            while len(self._full) > self._capacity:
                self._full.popitem(last=False)

    def full_tile_root(self, tile: TileId, hashes: list[bytes]) -> bytes:
        """The root over a full tile's 256 hashes; its inner levels are kept for later proofs."""
        if len(hashes) != TILE_WIDTH:
            raise ValueError(f"a full tile holds {TILE_WIDTH} hashes, not {len(hashes)}")
        levels = _levels(hashes)
        self._remember(tile, levels)
        top = levels[-1]
        return node_hash(top[:HASH_SIZE], top[HASH_SIZE:])

    def fetch_nodes(
        self,
        ids: Sequence[NodeId],
        read_tiles: Callable[[Sequence[TileId]], Mapping[TileId, bytes]],
    ) -> list[bytes]:
        """The hashes of perfect tree nodes, reading (in one batch) only tiles not cached.

        Raises :class:`VerificationError` if a needed tile is missing or too short.
        """
        places: list[tuple[TileId, int, int]] = []
        for level, index in ids:
            if level < 0 or index < 0:
                raise ValueError(f"node {(level, index)} has a negative level or index")
            tile_level, rest = divmod(level, TILE_HEIGHT)
            if tile_level > MAX_TILE_LEVEL:
                raise ValueError(f"node {(level, index)} lies above the highest tile level")
            first = index << rest
            places.append(((tile_level, first // TILE_WIDTH), rest, (first % TILE_WIDTH) >> rest))
        levels: dict[TileId, _Levels] = {}
        missing = []
        for tile in sorted({tile for tile, _, _ in places}):
            cached = self._cached(tile)
            if cached is None:
                missing.append(tile)
            else:
                levels[tile] = cached
        if missing:
            data = read_tiles(missing)
            for tile in missing:
                raw = data.get(tile)
                if raw is None:
                    raise VerificationError(f"tile {tile[0]}/{tile[1]} is missing")
                hashes = split_tile(raw)
                if len(hashes) == TILE_WIDTH:
                    levels[tile] = _levels(hashes)
                    self._remember(tile, levels[tile])
                else:
                    levels[tile] = self._partial_levels(tile, hashes)
        result = []
        for (level, index), (tile, rest, position) in zip(ids, places, strict=True):
            row = levels[tile][rest]
            start = position * HASH_SIZE
            if start + HASH_SIZE > len(row):
                raise VerificationError(
                    f"tile {tile[0]}/{tile[1]} holds {len(levels[tile][0]) // HASH_SIZE} hashes; "
                    f"node {(level, index)} lies beyond them"
                )
            result.append(row[start : start + HASH_SIZE])
        return result
