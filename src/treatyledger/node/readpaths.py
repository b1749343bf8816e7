"""The log's read paths (c2sp.org/tlog-tiles), answered from the store.

``checkpoint`` is the latest signed checkpoint with every cosignature
collected so far, as ``text/plain; charset=utf-8`` that caches for two
seconds at most. ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]``
are ``application/octet-stream``, cached for a year as immutable: a tile or a
bundle of a given width never changes. Only canonical paths inside the
integrated tree exist; anything else is :class:`~treatyledger.errors.NotFoundError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from treatyledger.errors import FormatError, NotFoundError
from treatyledger.log.merkle import HASH_SIZE
from treatyledger.log.store import LogStore
from treatyledger.log.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    encode_bundle,
    parse_entries_path,
    parse_tile_path,
)

__all__ = [
    "CHECKPOINT_CACHE",
    "OCTET_STREAM",
    "TILE_CACHE",
    "Resource",
    "read_checkpoint",
    "read_entry_bundle",
    "read_tile",
]

OCTET_STREAM = "application/octet-stream"
CHECKPOINT_CACHE = "public, max-age=2, must-revalidate"
"""The checkpoint changes: caches may keep it a couple of seconds."""
TILE_CACHE = "public, max-age=31536000, immutable"
"""A tile or bundle of a given width never changes."""


@dataclass(frozen=True)
class Resource:
    """A file of the tiled log: its bytes, content type and ``Cache-Control`` value."""

    data: bytes
    content_type: str
    cache_control: str


def read_checkpoint(store: LogStore) -> Resource:
    """The latest checkpoint, with its cosignatures."""
    signed = store.latest_checkpoint()
    if signed is None:
        raise NotFoundError("the log has no checkpoint yet")
    return Resource(signed, "text/plain; charset=utf-8", CHECKPOINT_CACHE)


def _hashes_at(store: LogStore, level: int) -> int:
    return store.tree_size() >> (TILE_HEIGHT * level)


def read_tile(store: LogStore, path: str) -> Resource:
    """The tile at ``path`` (``tile/<L>/<N>[.p/<W>]``) of the integrated tree."""
    try:
        level, index, width = parse_tile_path(path)
    except FormatError as exc:
        raise NotFoundError(f"{path} is not a tile path: {exc.problem}") from exc
    if index * TILE_WIDTH + width > _hashes_at(store, level):
        raise NotFoundError(f"{path} lies beyond the tree")
    data = store.read_tiles([(level, index)]).get((level, index), b"")
    if len(data) < width * HASH_SIZE:  # a store that lost its tiles: nothing to serve
        raise NotFoundError(f"{path} is not in the store")
    return Resource(data[: width * HASH_SIZE], OCTET_STREAM, TILE_CACHE)


def read_entry_bundle(store: LogStore, path: str) -> Resource:
    """The entry bundle at ``path`` (``tile/entries/<N>[.p/<W>]``) of the integrated tree."""
    try:
        index, width = parse_entries_path(path)
    except FormatError as exc:
        raise NotFoundError(f"{path} is not an entry bundle path: {exc.problem}") from exc
    first = index * TILE_WIDTH
    if first + width > store.tree_size():
        raise NotFoundError(f"{path} lies beyond the tree")
    return Resource(
        encode_bundle(store.read_entries(first, first + width)), OCTET_STREAM, TILE_CACHE
    )
