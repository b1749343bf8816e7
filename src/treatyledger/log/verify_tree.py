"""Check a published tlog-tiles tree completely, from its files alone.

Pure: files are read through a ``fetch(path) -> bytes`` callable, so the
same check runs on a folder, a web server or an object store. It checks the
checkpoint's signature, every tile and entry bundle the checkpoint implies,
that they hash up to the checkpoint's root, and, given an older checkpoint,
that the tree extends it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from treatyledger.errors import FormatError, InconsistencyError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint
from treatyledger.log.merkle import NodeId, leaf_hash, root_hash, root_plan
from treatyledger.log.note import Verifier
from treatyledger.log.store import TileId
from treatyledger.log.tiles import (
    TILE_WIDTH,
    decode_bundle,
    entries_path,
    fetch_nodes,
    split_tile,
    tile_path,
    tile_root,
    tiles_for_size,
)

__all__ = ["TreeReport", "verify_tree"]

Fetch = Callable[[str], bytes]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TreeReport:
    """What a successful check covered."""

    checkpoint: Checkpoint
    tiles: int
    bundles: int
    since: Checkpoint | None = None


def _tile_of(node: NodeId) -> list[TileId]:
    level, index = node
    tile_level, rest = divmod(level, 8)
    first = index << rest
    last = ((index + 1) << rest) - 1
    return [(tile_level, n) for n in range(first // TILE_WIDTH, last // TILE_WIDTH + 1)]


def verify_tree(
    fetch: Fetch,
    verifier: Verifier,
    *,
    since: bytes | None = None,
    progress: Progress | None = None,
) -> TreeReport:
    """Verify the tree behind ``fetch``; raise naming the first thing that does not hold.

    ``since`` is an older signed checkpoint of the same log that the tree must extend.
    """
    signed = _get(fetch, "checkpoint")
    try:
        checkpoint = open_checkpoint(signed, verifier)
    except FormatError as exc:
        raise VerificationError(f"checkpoint: {exc.problem}") from exc
    old = None if since is None else _open_older(since, signed, checkpoint, verifier)
    size = checkpoint.size
    keep: set[TileId] = set()
    for plan_size in (size, old.size if old else 0):
        for node in root_plan(plan_size).nodes:
            keep.update(_tile_of(node))
    kept, tiles, bundles = _check_tiles(fetch, size, keep, progress)

    def fetch_kept(ids: Sequence[NodeId]) -> list[bytes]:
        return fetch_nodes(ids, lambda tids: {t: kept[t] for t in tids if t in kept})

    if not hmac.compare_digest(root_hash(size, fetch_kept), checkpoint.root_hash):
        raise VerificationError(
            f"the tiles do not hash to the checkpoint's root for {size} entries"
        )
    if (
        old is not None
        and since is not None
        and not hmac.compare_digest(root_hash(old.size, fetch_kept), old.root_hash)
    ):
        raise InconsistencyError(
            f"the published tree does not extend the older checkpoint of {old.size} entries",
            older=since,
            newer=signed,
        )
    return TreeReport(checkpoint=checkpoint, tiles=tiles, bundles=bundles, since=old)


def _open_older(
    since: bytes, signed: bytes, checkpoint: Checkpoint, verifier: Verifier
) -> Checkpoint:
    old = open_checkpoint(since, verifier)
    if old.origin != checkpoint.origin:
        raise VerificationError(
            f"the older checkpoint is of {old.origin!r}, not {checkpoint.origin!r}"
        )
    if old.size > checkpoint.size:
        raise InconsistencyError(
            f"the log shrank: the older checkpoint has {old.size} entries, "
            f"the published one {checkpoint.size}",
            older=since,
            newer=signed,
        )
    return old


def _check_tiles(
    fetch: Fetch, size: int, keep: set[TileId], progress: Progress | None
) -> tuple[dict[TileId, bytes], int, int]:
    """Check every tile and bundle level by level; keep the tiles the root computation needs."""
    kept: dict[TileId, bytes] = {}
    layout = sorted(tiles_for_size(size))
    roots_below: list[bytes] = []
    roots_here: list[bytes] = []
    current_level = 0
    bundles = 0
    for done, (level, index, width) in enumerate(layout, start=1):
        if level != current_level:
            roots_below, roots_here, current_level = roots_here, [], level
        path = tile_path(level, index, width)
        try:
            hashes = split_tile(_get(fetch, path))
        except FormatError as exc:
            raise VerificationError(f"{path}: {exc.problem}") from exc
        if len(hashes) != width:
            raise VerificationError(f"{path}: holds {len(hashes)} hashes, not {width}")
        if level == 0:
            _check_bundle(fetch, index, width, hashes)
            bundles += 1
        else:
            for j, value in enumerate(hashes):
                if not hmac.compare_digest(value, roots_below[index * TILE_WIDTH + j]):
                    raise VerificationError(
                        f"{path}: hash {j} is not the root of the tile below it"
                    )
        if width == TILE_WIDTH:
            roots_here.append(tile_root(hashes))
        if (level, index) in keep:
            kept[(level, index)] = b"".join(hashes)
        if progress is not None:
            progress(done, len(layout))
    return kept, len(layout), bundles


def _check_bundle(fetch: Fetch, index: int, width: int, hashes: list[bytes]) -> None:
    path = entries_path(index, width)
    try:
        entries = decode_bundle(_get(fetch, path))
    except FormatError as exc:
        raise VerificationError(f"{path}: {exc.problem}") from exc
    if len(entries) != width:
        raise VerificationError(f"{path}: holds {len(entries)} entries, not {width}")
    for j, entry in enumerate(entries):
        if not hmac.compare_digest(leaf_hash(entry), hashes[j]):
            raise VerificationError(
                f"{path}: entry {index * TILE_WIDTH + j} does not match its hash in the tile"
            )


def _get(fetch: Fetch, path: str) -> bytes:
    try:
        return fetch(path)
    except FileNotFoundError as exc:
        raise VerificationError(f"{path} is missing") from exc
