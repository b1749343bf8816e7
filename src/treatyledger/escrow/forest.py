"""The facility subtrees of a declaration, computed together over NumPy arrays.

:func:`~treatyledger.escrow.sumtree.commit` describes the leaves of every
facility as one :class:`Grove` (flat arrays, one row per item and per padding
leaf), and :func:`roots` computes what ``docs/escrow.md`` defines one node at a
time: every leaf hash, the leaves of each tree in increasing hash order, and
each tree folded level by level, in the RFC 6962 shape, into its root
``hash ‖ vector`` (the vector as big-endian ``uint64`` components).

Every hash input is a row of a ``uint8`` array built by whole-array copies
and hashed by one ``hashlib`` call. Rows are built and hashed :data:`BATCH` at
a time, and trees are folded in blocks of :data:`BLOCK` leaves, :data:`SLAB`
leaves per buffer, before their blocks' roots: the buffers stay small and
their memory is reused. Pure: no I/O and no randomness (the salts are given).
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["BATCH", "BLOCK", "HASH_SIZE", "SLAB", "Grove", "fold", "leaf_order", "roots"]

HASH_SIZE: Final = 32
BATCH: Final = 1024
"""Rows built and hashed at a time."""
BLOCK: Final = 1024
"""Leaves folded as one block (a power of two)."""
SLAB: Final = 16 * BLOCK
"""Leaves whose blocks are folded together, in one buffer."""

_SHA = hashlib.sha256
_DIGEST = type(hashlib.sha256()).digest
_HEADER = struct.Struct(">HH")
_SMALL = 1 << 16  # sort keys below this are sorted as uint16, by NumPy's radix sort

Rows = NDArray[np.uint8]
"""A 2-D array of bytes: one row per salt, leaf, node or hash input."""
Indices = NDArray[np.intp]


@dataclass(frozen=True)
class Grove:
    """The leaves of a declaration's trees (its facility subtrees), as arrays.

    Item ``i`` lies in tree ``trees[i]``; it has the salt ``salts[ranks[i]]``,
    the uid made of the ``lengths[i]`` bytes of ``uids`` that follow those of
    items ``0 .. i - 1``, and the combination ``(size, tail) =
    tails[combos[i]]``. Its leaf hashes ``leaf_tag ‖ salt ‖ u16(L + size) ‖
    u16(L) ‖ uid ‖ tail`` with ``L`` the uid's length: ``size`` is the item
    encoding's length without the uid's bytes, ``tail`` the rest of the
    encoding and then the item's vector (its last ``width`` bytes). Tree ``t``
    has ``sizes[t]`` leaves: its items, then padding leaves, whose salts
    ``padding`` holds tree after tree.
    """

    leaf_tag: bytes
    node_tag: bytes
    width: int
    tails: tuple[tuple[int, bytes], ...]
    sizes: Indices
    trees: Indices
    salts: Rows
    ranks: Indices
    uids: bytes
    lengths: Indices
    combos: Indices
    padding: Rows


def _hash_rows(rows: Rows) -> Rows:
    """The SHA-256 digest of each row of a C-contiguous 2-D array, as a ``(rows, 32)`` array."""
    count, width = rows.shape
    data = rows.view(f"V{width}").reshape(count).tolist()  # a bytes object per row, NULs kept
    digests = b"".join(map(_DIGEST, map(_SHA, data)))
    return np.frombuffer(digests, np.uint8).reshape(count, HASH_SIZE)


def _bytes(data: bytes) -> NDArray[np.uint8]:
    return np.frombuffer(data, np.uint8)


def _take(source: NDArray[np.uint8], rows: Indices, out: NDArray[np.uint8]) -> None:
    """``out[:] = source[rows]`` without a temporary array (``rows`` valid, ``source`` contiguous).

    ``np.take`` copies a source that is not contiguous first: pass no views.
    """
    np.take(source, rows, axis=0, out=out, mode="clip")


def _argsort(keys: Indices) -> Indices:
    """A stable argsort; radix sort for small keys."""
    if len(keys) and int(keys.max()) < _SMALL:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def _item_leaves(grove: Grove, out: Rows) -> Indices:
    """Hash every item's leaf into ``out``; returns the items in the order of ``out``.

    Items of one uid length and one combination shape have leaf inputs of one
    layout, so each such group is built and hashed as one array.
    """
    count, tag = len(grove.lengths), grove.leaf_tag
    if count == 0:
        return np.empty(0, np.intp)
    shapes: dict[tuple[int, int], int] = {}
    shape_of = np.array([shapes.setdefault((s, len(t)), len(shapes)) for s, t in grove.tails])
    keys = grove.lengths * len(shapes) + shape_of[grove.combos]
    order = _argsort(keys)
    bounds = [0, *(np.flatnonzero(np.diff(keys[order])) + 1).tolist(), count]
    starts = np.cumsum(grove.lengths) - grove.lengths
    source, head = _bytes(grove.uids), len(tag) + grove.salts.shape[1]
    tables: dict[int, tuple[Rows, Indices]] = {}
    for lo, hi in itertools.pairwise(bounds):
        uid_size, combo = int(grove.lengths[order[lo]]), int(grove.combos[order[lo]])
        size, tail = grove.tails[combo]
        shape = int(shape_of[combo])
        if shape not in tables:  # the tails of one shape as rows; each combination's row
            members = shape_of == shape
            joined = b"".join(t for (_, t), m in zip(grove.tails, members, strict=True) if m)
            tables[shape] = (_bytes(joined).reshape(-1, len(tail)), np.cumsum(members) - 1)
        table, row_of = tables[shape]
        uid_bytes = np.arange(uid_size)  # from a uid's start
        rows = np.empty((min(hi - lo, BATCH), head + 4 + uid_size + len(tail)), np.uint8)
        rows[:, : len(tag)] = _bytes(tag)
        rows[:, head : head + 4] = _bytes(_HEADER.pack(uid_size + size, uid_size))
        for first in range(lo, hi, BATCH):
            items = order[first : min(first + BATCH, hi)]
            batch = rows[: len(items)]
            _take(grove.salts, grove.ranks[items], batch[:, len(tag) : head])
            _take(source, starts[items, None] + uid_bytes, batch[:, head + 4 : head + 4 + uid_size])
            _take(table, row_of[grove.combos[items]], batch[:, head + 4 + uid_size :])
            out[first : first + len(items)] = _hash_rows(batch)
    return order


def _padding_leaves(grove: Grove, out: Rows) -> None:
    """Hash each padding leaf, ``leaf_tag ‖ salt ‖ u16(0) ‖ zero vector``, into ``out``."""
    count, tag = len(grove.padding), grove.leaf_tag
    head = len(tag) + grove.padding.shape[1]
    rows = np.zeros((min(count, BATCH), head + 2 + grove.width), np.uint8)
    rows[:, : len(tag)] = _bytes(tag)
    for first in range(0, count, BATCH):
        batch = rows[: min(BATCH, count - first)]
        batch[:, len(tag) : head] = grove.padding[first : first + BATCH]
        out[first : first + len(batch)] = _hash_rows(batch)


def leaf_order(trees: Indices, digests: Rows) -> Indices:
    """The order of the leaves by tree, then by hash in increasing byte order."""
    # Radix passes over 16-bit digits: the tree, then the hash's first 8 bytes ...
    digits = digests[:, :8].view(">u2").astype(np.uint16)
    tree_key = trees.astype(np.uint16) if len(trees) and int(trees.max()) < _SMALL else trees
    order = np.lexsort((digits[:, 3], digits[:, 2], digits[:, 1], digits[:, 0], tree_key))
    # ... and all 32 bytes where two leaves of a tree share the first 8.
    first = digests.view(">u8")[order, 0]
    same_tree = trees[order][1:] == trees[order][:-1]
    if np.any(same_tree & (first[1:] == first[:-1])):
        words = digests.view(">u8")
        order = np.lexsort((words[:, 3], words[:, 2], words[:, 1], words[:, 0], trees))
    return order.astype(np.intp, copy=False)


def _level(sizes: Indices) -> tuple[Indices, Indices, Indices, Indices]:
    """Where a level's pairs and lone last nodes are, and where their parents go.

    Returns each pair's left node and its parent, each lone node and its place
    a level up; trees lie one after the other at both levels.
    """
    pairs, up = sizes // 2, sizes - sizes // 2
    start, up_start = np.cumsum(sizes) - sizes, np.cumsum(up) - up
    tree = np.repeat(np.arange(len(sizes)), pairs)
    index = np.arange(len(tree)) - (np.cumsum(pairs) - pairs)[tree]  # the pair in its tree
    lone = np.flatnonzero(sizes & 1)
    return (
        start[tree] + 2 * index,
        up_start[tree] + index,
        start[lone] + sizes[lone] - 1,
        up_start[lone] + up[lone] - 1,
    )


def fold(tag: bytes, nodes: Rows, sizes: Indices) -> Rows:
    """The root of each non-empty tree, in order; ``nodes`` holds ``sizes[t]`` rows of tree ``t``.

    Pairs nodes left to right, ``parent = H(tag ‖ left ‖ right) ‖ left vector
    + right vector``, and moves a lone last node up unchanged, until every
    tree has one node. ``nodes`` (C-contiguous) serves as scratch space and
    is overwritten. The caller bounds the vectors, so no sum wraps.
    """
    span, head, most = nodes.shape[1], len(tag), min(BATCH, len(nodes) // 2)
    rows = np.empty((most, head + 2 * span), np.uint8)
    rows[:, :head] = _bytes(tag)
    scattered = np.empty((most, span), np.uint8)  # parents bound for scattered places
    spare = np.empty((len(nodes) // 2 + len(sizes), span), np.uint8)
    while len(sizes) and int(sizes.max()) > 1:
        pairs, up = int((sizes // 2).sum()), sizes - sizes // 2
        parents = spare[: int(up.sum())]
        left: Indices | None = None  # None: pair j is nodes 2j and 2j + 1, its parent j
        if np.any(sizes & 1):
            left, target, lone, lone_up = _level(sizes)
            parents[lone_up] = nodes[lone]
        for first in range(0, pairs, BATCH):
            count = min(BATCH, pairs - first)
            batch = rows[:count]
            lefts = None if left is None else left[first : first + count]
            if lefts is None or lefts[-1] - lefts[0] == 2 * (count - 1):  # steps >= 2: one run
                low = 2 * first if lefts is None else int(lefts[0])
                batch[:, head:] = nodes[low : low + 2 * count].reshape(count, -1)
            else:
                _take(nodes, lefts, batch[:, head : head + span])
                _take(nodes, lefts + 1, batch[:, head + span :])
            total = batch[:, head + HASH_SIZE : head + span].view(">u8").astype(np.uint64)
            total += batch[:, head + span + HASH_SIZE :].view(">u8")
            targets = None if left is None else target[first : first + count]
            at = first if targets is None else int(targets[0])
            in_place = targets is None or targets[-1] - at == count - 1  # steps are >= 1
            into = parents[at : at + count] if in_place else scattered[:count]
            into[:, :HASH_SIZE] = _hash_rows(batch)
            into[:, HASH_SIZE:] = total.astype(">u8").view(np.uint8)
            if not in_place:
                parents[targets] = into
        spare, nodes, sizes = nodes, parents, up
    return nodes


def _blocks(sizes: Indices) -> tuple[Indices, Indices]:
    """Trees cut into blocks of :data:`BLOCK` leaves and a last, smaller block.

    Returns the size of each block, tree after tree, and the number of blocks
    of each tree. In the RFC 6962 shape a tree's root is the fold of its
    blocks' roots: pairing never crosses a multiple of :data:`BLOCK` below
    that level, and the last block's root moves up alone until it pairs.
    """
    full, rest = sizes // BLOCK, sizes % BLOCK
    count = full + (rest > 0)
    last = np.cumsum(count) - 1  # each tree's last block
    blocks = np.full(int(count.sum()), BLOCK, np.intp)
    blocks[last[rest > 0]] = rest[rest > 0]
    return blocks, count


def roots(grove: Grove) -> Rows:
    """The root ``hash ‖ vector`` of each non-empty tree of the grove, in tree order."""
    items, padding, width = len(grove.trees), len(grove.padding), grove.width
    digests = np.empty((items + padding, HASH_SIZE), np.uint8)
    by_shape = _item_leaves(grove, digests[:items])
    _padding_leaves(grove, digests[items:])
    pads = grove.sizes - np.bincount(grove.trees, minlength=len(grove.sizes))
    trees = np.concatenate([grove.trees[by_shape], np.repeat(np.arange(len(pads)), pads)])
    vector_of = np.concatenate([grove.combos[by_shape], np.full(padding, len(grove.tails))])
    vectors = _bytes(b"".join([t[-width:] for _, t in grove.tails] + [bytes(width)]))
    vectors = vectors.reshape(-1, width)
    order = leaf_order(trees, digests)
    # Fold blocks a slab at a time, in one reused buffer, then fold each tree's block roots.
    blocks, per_tree = _blocks(grove.sizes)
    block_roots = np.empty((len(blocks), HASH_SIZE + width), np.uint8)
    buffer = np.empty((min(SLAB, len(order)), HASH_SIZE + width), np.uint8)
    starts = np.cumsum(blocks) - blocks  # each block's first leaf, in leaf order
    for first in range(0, len(blocks), SLAB // BLOCK):
        slab = blocks[first : first + SLAB // BLOCK]
        leaves = order[int(starts[first]) : int(starts[first]) + int(slab.sum())]
        nodes = buffer[: len(leaves)]
        _take(digests, leaves, nodes[:, :HASH_SIZE])
        _take(vectors, vector_of[leaves], nodes[:, HASH_SIZE:])
        block_roots[first : first + len(slab)] = fold(grove.node_tag, nodes, slab)
    return fold(grove.node_tag, block_roots, per_tree)
