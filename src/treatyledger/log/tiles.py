"""C2SP tlog-tiles: tile and entry-bundle paths and encodings, and proofs from tiles.

A tiled log serves its Merkle tree as tiles of up to 256 consecutive hashes.
A tile at level ``L`` holds the hashes of the tree nodes at level ``8 * L``
(the perfect subtrees of ``256**L`` leaves); tile ``N`` of that level holds the
nodes ``N * 256 ... N * 256 + 255``. Tiles on the right edge are *partial*
(1 to 255 hashes, the ``.p/<W>`` paths). Entries are served in bundles of up
to 256, each entry prefixed by its length as a big-endian uint16.

Paths here are relative to the log's prefix and have no leading slash:
``tile/0/x001/x234/067.p/8``, ``tile/entries/005``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.merkle import HASH_SIZE, NodeId, root_from_leaf_hashes

__all__ = [
    "MAX_ENTRY_SIZE",
    "MAX_TILE_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileId",
    "bundles_for_size",
    "decode_bundle",
    "encode_bundle",
    "entries_path",
    "fetch_nodes",
    "parse_entries_path",
    "parse_tile_path",
    "split_tile",
    "tile_path",
    "tile_root",
    "tiles_for_size",
]

TILE_WIDTH = 256
"""Hashes in a full tile, and entries in a full bundle."""

TILE_HEIGHT = 8
"""Tree levels one tile level spans: ``2**TILE_HEIGHT == TILE_WIDTH``."""

MAX_TILE_LEVEL = 63
"""The highest tile level a path may name."""

MAX_ENTRY_SIZE = 0xFFFF
"""The longest entry a bundle can hold (its length is a uint16)."""

_MAX_INDEX = 1 << 64  # tree sizes are uint64, so no tile or bundle index reaches this

TileId = tuple[int, int]
"""``(level, index)`` of a tile, whatever its width."""

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_INNER_GROUP = re.compile(r"x[0-9]{3}")
_LAST_GROUP = re.compile(r"[0-9]{3}")


# --- paths ---------------------------------------------------------------------------


def _check_index_width(index: int, width: int) -> None:
    if not 0 <= index < _MAX_INDEX:
        raise ValueError(f"index must be in [0, 2**64), got {index}")
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"width must be in [1, {TILE_WIDTH}], got {width}")


def _encode_index_width(index: int, width: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    path = "/".join([*(f"x{group}" for group in groups[:-1]), groups[-1]])
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The canonical path ``tile/<L>/<N>[.p/<W>]`` of a tile (no ``.p/`` part when full).

    Raises ``ValueError`` unless ``0 <= level <= 63``, ``0 <= index < 2**64`` and
    ``1 <= width <= 256``.
    """
    if not 0 <= level <= MAX_TILE_LEVEL:
        raise ValueError(f"tile level must be in [0, {MAX_TILE_LEVEL}], got {level}")
    _check_index_width(index, width)
    return f"tile/{level}/{_encode_index_width(index, width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """The canonical path ``tile/entries/<N>[.p/<W>]`` of an entry bundle.

    Raises ``ValueError`` unless ``0 <= index < 2**64`` and ``1 <= width <= 256``.
    """
    _check_index_width(index, width)
    return f"tile/entries/{_encode_index_width(index, width)}"


def _parse_index_width(parts: list[str], what: str) -> tuple[int, int]:
    """Index and width from the path elements after ``tile/<L>/`` or ``tile/entries/``."""
    width = TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        text = parts[-1]
        if not _WIDTH.fullmatch(text) or int(text) >= TILE_WIDTH:
            raise FormatError(
                what=what,
                problem=f"partial width {text!r} is not a decimal 1 to 255 without leading zeros",
            )
        width = int(text)
        parts = [*parts[:-2], parts[-2][:-2]]
    if not parts or parts == [""]:
        raise FormatError(what=what, problem="the index is missing")
    *inner, last = parts
    for group in inner:
        if not _INNER_GROUP.fullmatch(group):
            raise FormatError(
                what=what, problem=f"index element {group!r} is not 'x' and three digits"
            )
    if not _LAST_GROUP.fullmatch(last):
        raise FormatError(what=what, problem=f"last index element {last!r} is not three digits")
    if inner and inner[0] == "x000":
        raise FormatError(what=what, problem="the index has a leading all-zero element")
    index = int("".join(group.lstrip("x") for group in parts))
    if index >= _MAX_INDEX:
        raise FormatError(what=what, problem=f"index {index} is not below 2**64")
    return index, width


def parse_tile_path(path: str) -> tuple[int, int, int]:
    """``(level, index, width)`` of a canonical tile path; the inverse of :func:`tile_path`.

    Accepts only the one canonical spelling: raises :class:`FormatError` for any
    other (leading zeros, a level above 63, a width of 0 or 256 after ``.p/``,
    an all-zero leading index element, a leading slash, an entry-bundle path...).
    """
    what = "tile path"
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise FormatError(what=what, problem=f"{path!r} does not have the form tile/<L>/<N>")
    if parts[1] == "entries":
        raise FormatError(what=what, problem=f"{path!r} names an entry bundle, not a tile")
    if not _LEVEL.fullmatch(parts[1]) or int(parts[1]) > MAX_TILE_LEVEL:
        raise FormatError(
            what=what,
            problem=f"level {parts[1]!r} is not a decimal 0 to 63 without leading zeros",
        )
    index, width = _parse_index_width(parts[2:], what)
    return int(parts[1]), index, width


def parse_entries_path(path: str) -> tuple[int, int]:
    """``(index, width)`` of a canonical entry-bundle path; the inverse of :func:`entries_path`.

    Raises :class:`FormatError` for anything but the canonical spelling.
    """
    what = "entry bundle path"
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile" or parts[1] != "entries":
        raise FormatError(what=what, problem=f"{path!r} does not have the form tile/entries/<N>")
    return _parse_index_width(parts[2:], what)


# --- encodings -----------------------------------------------------------------------


def _check_width(count: int, width: int | None, what: str, noun: str) -> None:
    if width is not None and count != width:
        raise FormatError(what=what, problem=f"holds {count} {noun}, expected {width}")


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """The entry bundle holding ``entries``: each as a big-endian uint16 length, then its bytes.

    Raises ``ValueError`` for no entries, more than 256, or an entry longer than
    65,535 bytes.
    """
    if not entries:
        raise ValueError("an entry bundle holds at least one entry")
    if len(entries) > TILE_WIDTH:
        raise ValueError(f"an entry bundle holds at most {TILE_WIDTH} entries, got {len(entries)}")
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise ValueError(
                f"entry {position} is {len(entry)} bytes; a bundle entry is at most "
                f"{MAX_ENTRY_SIZE}"
            )
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_bundle(data: bytes, *, width: int | None = None) -> list[bytes]:
    """The entries of an entry bundle, exactly as encoded.

    Raises :class:`FormatError` if the data is empty, ends inside a length or an
    entry, holds more than 256 entries, or (when ``width`` is given) holds a
    different number of entries.
    """
    what = "entry bundle"
    if not data:
        raise FormatError(what=what, problem="it is empty")
    entries: list[bytes] = []
    view = memoryview(data)
    offset = 0
    while offset < len(view):
        if len(entries) == TILE_WIDTH:
            raise FormatError(
                what=what, problem=f"data continues after {TILE_WIDTH} entries at byte {offset}"
            )
        if offset + 2 > len(view):
            raise FormatError(what=what, problem=f"truncated length prefix at byte {offset}")
        length = int.from_bytes(view[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(view):
            raise FormatError(
                what=what,
                problem=f"entry {len(entries)} claims {length} bytes, "
                f"only {len(view) - offset} remain",
            )
        entries.append(bytes(view[offset : offset + length]))
        offset += length
    _check_width(len(entries), width, what, "entries")
    return entries


def split_tile(data: bytes, *, width: int | None = None) -> list[bytes]:
    """The hashes of a tile's data.

    Raises :class:`FormatError` unless the data is 1 to 256 hashes of 32 bytes
    (and exactly ``width`` of them, when given).
    """
    what = "tile"
    if not data or len(data) % HASH_SIZE:
        raise FormatError(
            what=what, problem=f"{len(data)} bytes is not a positive multiple of {HASH_SIZE}"
        )
    count = len(data) // HASH_SIZE
    if count > TILE_WIDTH:
        raise FormatError(what=what, problem=f"holds {count} hashes, more than {TILE_WIDTH}")
    _check_width(count, width, what, "hashes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


# --- tree geometry -------------------------------------------------------------------


def tiles_for_size(size: int) -> list[tuple[int, int, int]]:
    """Every tile ``(level, index, width)`` of the tree of ``size`` leaves, level by level.

    Level ``L`` has ``size // 256**L`` hashes: that many // 256 full tiles, then
    one partial tile if a remainder is left. Empty for size 0. Raises
    ``ValueError`` for a negative size.
    """
    if size < 0:
        raise ValueError(f"size must not be negative, got {size}")
    tiles: list[tuple[int, int, int]] = []
    level = 0
    while count := size >> (TILE_HEIGHT * level):
        full, rest = divmod(count, TILE_WIDTH)
        tiles.extend((level, index, TILE_WIDTH) for index in range(full))
        if rest:
            tiles.append((level, full, rest))
        level += 1
    return tiles


def bundles_for_size(size: int) -> list[tuple[int, int]]:
    """Every entry bundle ``(index, width)`` of the log of ``size`` entries.

    Raises ``ValueError`` for a negative size.
    """
    return [(index, width) for level, index, width in tiles_for_size(size) if level == 0]


def tile_root(hashes: Sequence[bytes]) -> bytes:
    """The root of the perfect subtree over ``2**k`` consecutive node hashes.

    For a full tile's 256 hashes this is the node one tile level up. Raises
    ``ValueError`` if the count is not a power of two or a hash is not 32 bytes.
    """
    count = len(hashes)
    if count == 0 or count & (count - 1):
        raise ValueError(f"a perfect subtree has a power-of-two number of hashes, got {count}")
    return root_from_leaf_hashes(hashes)


def fetch_nodes(
    ids: Sequence[NodeId],
    read_tiles: Callable[[Sequence[TileId]], Mapping[TileId, bytes]],
) -> list[bytes]:
    """The hashes of perfect tree nodes, computed from tiles read in one batch.

    A node at level ``8 * L + r`` (``0 <= r < 8``) is the root over ``2**r`` hashes
    of one tile at level ``L``. ``read_tiles`` is called once, with every tile
    needed (each once, sorted), and returns each tile's data; a tile may be wider
    than needed, since a wider tile begins with the narrower one. Returns hashes
    in the order of ``ids``.

    Raises ``ValueError`` for a negative level or index, :class:`FormatError`
    if a tile's data is malformed, and :class:`VerificationError` if a needed
    tile is missing or too short to hold the node: the tiles do not back the
    tree the caller asked about.
    """
    spans: list[tuple[TileId, int, int]] = []
    for level, index in ids:
        if level < 0 or index < 0:
            raise ValueError(f"node {(level, index)} has a negative level or index")
        tile_level, rest = divmod(level, TILE_HEIGHT)
        if tile_level > MAX_TILE_LEVEL:
            raise ValueError(f"node {(level, index)} lies above the highest tile level")
        first = index << rest
        tile = (tile_level, first // TILE_WIDTH)
        offset = first % TILE_WIDTH
        spans.append((tile, offset, offset + (1 << rest)))
    if not spans:
        return []
    wanted = sorted({tile for tile, _, _ in spans})
    data = read_tiles(wanted)
    tiles: dict[TileId, list[bytes]] = {}
    for tile in wanted:
        raw = data.get(tile)
        if raw is None:
            raise VerificationError(f"tile {tile[0]}/{tile[1]} is missing")
        tiles[tile] = split_tile(raw)
    hashes: list[bytes] = []
    for (level, index), (tile, begin, end) in zip(ids, spans, strict=True):
        held = tiles[tile]
        if len(held) < end:
            raise VerificationError(
                f"tile {tile[0]}/{tile[1]} holds {len(held)} hashes; "
                f"node {(level, index)} needs the first {end}"
            )
        hashes.append(held[begin] if end - begin == 1 else tile_root(held[begin:end]))
    return hashes
