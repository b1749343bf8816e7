"""A log as a static C2SP tlog-tiles tree: the files, ready for any web server.

Pure: yields (path, content) pairs; the caller writes them. Full tiles and
full entry bundles never change, so an update only needs the files of the
new size; the checkpoint comes last so that a reader who sees it finds every
tile it names.

Beside the C2SP files, the export carries the log's earlier checkpoints as
published, each with the witness cosignatures it gained: ``checkpoints/<size>``
and ``checkpoints/index`` (their sizes in decimal, one per line, oldest
first). A verifier that knows only tlog-tiles ignores them; the compliance
engine reads them to attest when entries existed. They are rewritten on every
export, since an old checkpoint may gain cosignatures later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from treatyledger.log.tiles import (
    TILE_WIDTH,
    bundles_for_size,
    encode_bundle,
    entries_path,
    tile_path,
    tiles_for_size,
)
from treatyledger.log.transparency_log import TransparencyLog

__all__ = ["ExportFile", "export_files"]

ExportFile = tuple[str, bytes]


def export_files(
    log: TransparencyLog, *, skip: Callable[[str], bool] | None = None
) -> Iterator[ExportFile]:
    """Every file of the static tree of ``log`` at its latest checkpoint, the checkpoint last.

    ``skip(path)`` may say that a full tile or bundle is already published
    (full ones are immutable), so that it is neither read nor yielded again.
    """
    checkpoint = log.checkpoint()
    size = log.size()
    for level, index, width in tiles_for_size(size):
        path = tile_path(level, index, width)
        if width == TILE_WIDTH and skip is not None and skip(path):
            continue
        data = log.tiles([(level, index)])[(level, index)]
        yield path, data[: width * 32]
    for index, width in bundles_for_size(size):
        path = entries_path(index, width)
        if width == TILE_WIDTH and skip is not None and skip(path):
            continue
        start = index * TILE_WIDTH
        yield path, encode_bundle(log.entries(start, start + width))
    history = [(size, note) for size, note in log.checkpoint_history() if 0 < size < log.size()]
    for old_size, note in history:
        yield f"checkpoints/{old_size}", note
    yield "checkpoints/index", "".join(f"{s}\n" for s, _ in history).encode("ascii")
    yield "checkpoint", checkpoint
