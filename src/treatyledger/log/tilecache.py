"""Node hashes from tiles, with the inner levels of full tiles kept in memory.

A node at tree level ``8L + r`` lies inside one tile of level ``L``; computing
it means hashing ``2**r`` of the tile's hashes. Full tiles never change, so
their seven inner levels are computed once and kept (in a bounded LRU);
partial tiles are hashed afresh every time, since they grow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from treatyledger.errors import VerificationError
from treatyledger.log.merkle import HASH_SIZE, NodeId, node_hash
from treatyledger.log.tiles import MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, TileId, split_tile

__all__ = ["TileCache"]

_Levels = list[bytes]
"""Level r of a tile as one byte string of ``width >> r`` concatenated hashes."""


def _levels(hashes: list[bytes]) -> _Levels:
    """Every complete inner level of a tile: level r holds ``len(hashes) >> r`` nodes."""
    levels = [b"".join(hashes)]
    below = hashes
    for _ in range(TILE_HEIGHT - 1):
        below = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
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
        self._lock = threading.Lock()

    def _cached(self, tile: TileId) -> _Levels | None:
        with self._lock:
            levels = self._full.get(tile)
            if levels is not None:
                self._full.move_to_end(tile)
            return levels

    def _remember(self, tile: TileId, levels: _Levels) -> None:
        if not self._capacity:
            return
        with self._lock:
            self._full[tile] = levels
            self._full.move_to_end(tile)
            while len(self._full) > self._capacity:
                self._full.popitem(last=False)

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
                computed = _levels(split_tile(raw))
                levels[tile] = computed
                if len(computed[0]) == TILE_WIDTH * HASH_SIZE:
                    self._remember(tile, computed)
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
