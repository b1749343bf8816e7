"""Argument checks every driver shares, so all drivers refuse the same input the same way.

Each check runs before a driver touches its database: a refused call changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from treatyledger.errors import NotFoundError, StorageError
from treatyledger.storage.protocols import TileId

__all__ = [
    "MAX_LEAF_HASH_BYTES",
    "check_batch",
    "check_index_threshold",
    "check_leaf_hash",
    "check_log_name",
    "check_meta_key",
    "check_meta_value",
    "check_publish",
    "check_range",
    "check_stored",
    "check_tile_ids",
    "closed_error",
]

MAX_LOG_NAME = 255
"""The longest log name a store accepts, in characters."""

MAX_LEAF_HASH_BYTES = 64
"""The longest leaf hash a store accepts: a digest, indexed for ``find_leaf``."""

MAX_INDEX = 2**63 - 1
"""The largest index, size or tile coordinate a store accepts (a signed 64-bit column)."""


def _check_index(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value <= MAX_INDEX:
        raise ValueError(f"{name} must be in [0, 2**63), got {value}")
    return value


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{name} must not contain NUL characters")
    return value


def check_log_name(log: object) -> str:
    """``log`` as a valid log name: a non-empty str of at most 255 characters, without NUL."""
    name = _check_text("the log name", log)
    if not name or len(name) > MAX_LOG_NAME:
        raise ValueError(f"a log name has 1 to {MAX_LOG_NAME} characters, got {len(name)}")
    return name


def check_leaf_hash(leaf_hash: object, *, what: str = "a leaf hash") -> bytes:
    """``leaf_hash`` if it is ``bytes`` of at most :data:`MAX_LEAF_HASH_BYTES` bytes."""
    if not isinstance(leaf_hash, bytes):
        raise TypeError(f"{what} must be bytes, got {type(leaf_hash).__name__}")
    if len(leaf_hash) > MAX_LEAF_HASH_BYTES:
        raise ValueError(
            f"{what} has {len(leaf_hash)} bytes; a store keeps at most {MAX_LEAF_HASH_BYTES}"
        )
    return leaf_hash


def check_batch(
    entries: Sequence[bytes], leaf_hashes: Sequence[bytes]
) -> tuple[list[bytes], list[bytes]]:
    """The batch as two lists of equal, non-zero length, every item ``bytes``."""
    for name, value in (("entries", entries), ("leaf_hashes", leaf_hashes)):
        if isinstance(value, bytes | bytearray | memoryview | str):
            raise TypeError(f"{name} must be a sequence of bytes, not a single value")
    entry_list = list(entries)
    hash_list = list(leaf_hashes)
    if not entry_list:
        raise ValueError("an append needs at least one entry")
    if len(entry_list) != len(hash_list):
        raise ValueError(f"{len(entry_list)} entries but {len(hash_list)} leaf hashes")
    # The common case, checked at C speed; anything else is looked at item by item.
    if set(map(type, entry_list)) != {bytes}:
        for position, entry in enumerate(entry_list):
            if not isinstance(entry, bytes):
                raise TypeError(f"entries[{position}] must be bytes, got {type(entry).__name__}")
    if set(map(type, hash_list)) != {bytes} or max(map(len, hash_list)) > MAX_LEAF_HASH_BYTES:
        for position, leaf_hash in enumerate(hash_list):
            check_leaf_hash(leaf_hash, what=f"leaf_hashes[{position}]")
    return entry_list, hash_list


def check_index_threshold(threshold: object) -> int:
    """``threshold`` if it is a positive int: how many entries may wait outside the hash index."""
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise TypeError(f"index_threshold must be an int, got {type(threshold).__name__}")
    if not 1 <= threshold <= MAX_INDEX:
        raise ValueError(f"index_threshold must be at least 1, got {threshold}")
    return threshold


def check_range(start: int, stop: int) -> None:
    """Refuse a range that is not ``0 <= start <= stop``."""
    _check_index("start", start)
    _check_index("stop", stop)
    if stop < start:
        raise ValueError(f"the range [{start}, {stop}) ends before it starts")


def check_stored(log: str, start: int, stop: int, found: int) -> None:
    """Refuse a read of ``[start, stop)`` when only ``found`` of its items exist."""
    if found != stop - start:
        raise NotFoundError(
            f"log {log!r} has fewer than {stop} entries; cannot read [{start}, {stop})"
        )


def _check_tile_id(tile_id: object) -> TileId:
    if not isinstance(tile_id, tuple) or len(tile_id) != 2:
        raise TypeError(f"a tile id is a (level, index) tuple, got {tile_id!r}")
    level, index = tile_id
    return (_check_index("a tile level", level), _check_index("a tile index", index))


def check_tile_ids(ids: Sequence[TileId]) -> list[TileId]:
    """The distinct tile ids in ``ids``, each a pair of non-negative ints."""
    if isinstance(ids, tuple) and len(ids) == 2 and isinstance(ids[0], int):
        raise TypeError("read_tiles takes a sequence of tile ids, not one tile id")
    return list(dict.fromkeys(_check_tile_id(tile_id) for tile_id in ids))


def check_publish(
    *, old_size: int, new_size: int, tiles: Mapping[TileId, bytes], checkpoint: bytes
) -> dict[TileId, bytes]:
    """The tiles of a well-formed publish; refuses sizes that shrink and empty data."""
    _check_index("old_size", old_size)
    _check_index("new_size", new_size)
    if new_size < old_size:
        raise ValueError(f"a publish cannot shrink the tree from {old_size} to {new_size}")
    if not isinstance(checkpoint, bytes):
        raise TypeError(f"the checkpoint must be bytes, got {type(checkpoint).__name__}")
    if not checkpoint:
        raise ValueError("the checkpoint is empty")
    checked: dict[TileId, bytes] = {}
    for tile_id, data in tiles.items():
        key = _check_tile_id(tile_id)
        if not isinstance(data, bytes):
            raise TypeError(f"tile {key} data must be bytes, got {type(data).__name__}")
        if not data:
            raise ValueError(f"tile {key} data is empty")
        checked[key] = data
    return checked


def check_meta_key(key: object) -> str:
    """``key`` if it is a non-empty str without NUL."""
    text = _check_text("a meta key", key)
    if not text:
        raise ValueError("a meta key must not be empty")
    return text


def check_meta_value(value: object) -> str:
    """``value`` if it is a str without NUL."""
    return _check_text("a meta value", value)


def closed_error(log: str) -> StorageError:
    """The error a store raises when used after :meth:`close`."""
    return StorageError(f"the store of log {log!r} is closed")
