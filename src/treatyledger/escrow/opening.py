"""Proofs from an escrowed declaration: totals, the facility list, a facility, an item.

- :class:`TotalsProof` (anyone): the top tree's hash and vector, which with the
  commitment's context give the root, so the claimed totals are the root's.
- :class:`FacilityListOpening` (the treaty partner): every facility node (id,
  salt, subtree hash and vector). The verifier rebuilds the top tree, so it
  learns every facility's totals and that each facility id names exactly one
  facility node.
- :class:`FacilityOpening` (an inspector at one facility): every item of that
  facility with its salt, the salts of its padding leaves, the facility's salt
  and the path from the facility node to the top. The verifier rebuilds the
  facility's subtree from these leaves alone, so a missing, extra, altered or
  reordered leaf fails; together with a verified facility list it is *the*
  declared set of that facility. About other facilities it reveals only the
  hashes and vectors (sums) of sibling subtrees of the top tree.
- :class:`ItemOpening`: one item, its salt, its path inside its facility's
  subtree (sibling hashes and partial sums of that facility) and the facility's
  path.

Left and right on a path come from ``(index, count)`` as in RFC 9162, never
from flags; every sibling vector and every sum is checked against the bound.
The byte format and the JSON are in ``docs/escrow.md``.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from treatyledger.errors import InventoryError, NotFoundError, VerificationError
from treatyledger.escrow.commitment import (
    HASH_SIZE,
    MAX_FACILITIES,
    Commitment,
    Declaration,
    FacilityNode,
    Sibling,
    _check_facilities,
    _check_hash,
    _check_vector,
)
from treatyledger.escrow.sumtree import (
    EMPTY_SUBTREE,
    NODE_TAG,
    TOP_TAG,
    _bounded,
    _check_root,
    _climb,
    _facility_chunk,
    _head,
    _path,
    _reduce,
    _siblings,
    _top,
    leaf_input,
)
from treatyledger.escrow.vector import (
    SALT_SIZE,
    VectorLayout,
    encode_str,
    padded_count,
    salt_stream,
    split_salts,
)
from treatyledger.treaty.counting import Item

__all__ = [
    "FacilityListOpening",
    "FacilityOpening",
    "ItemOpening",
    "OpenedFacility",
    "SaltedItem",
    "TotalsProof",
    "open_facility",
    "open_facility_list",
    "open_item",
    "prove_totals",
    "verify_facility_list",
    "verify_facility_opening",
    "verify_item_opening",
    "verify_totals",
]

_MAX_PATH = 64
_MAX_LEAVES = 2**32


def _check_position(index: int, count: int, top: int, what: str) -> None:
    for value in (index, count):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{what} index and count are integers")
    if not 0 <= index < count <= top:
        raise ValueError(f"{what}: need 0 <= index < count <= {top}, got {index} of {count}")


def _check_path(path: tuple[Sibling, ...], what: str) -> None:
    if len(path) > _MAX_PATH or not all(isinstance(s, Sibling) for s in path):
        raise ValueError(f"{what} is at most {_MAX_PATH} siblings")


@dataclass(frozen=True)
class TotalsProof:
    """The hash and vector under the root: with the commitment's context they give the root.

    ``top_hash`` is ``SHA-256(HEAD_TAG ‖ u32(facility count) ‖ top tree root)``,
    so the proof does not reveal how many facilities there are.
    """

    top_hash: bytes
    top_vector: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_hash(self.top_hash, "the top hash")
        _check_vector(self.top_vector, "the top vector's")


@dataclass(frozen=True)
class FacilityListOpening:
    """Every facility node, in strictly increasing id order (checked when built)."""

    facilities: tuple[FacilityNode, ...]

    def __post_init__(self) -> None:
        _check_facilities(self.facilities)


@dataclass(frozen=True)
class SaltedItem:
    """An opened item with the salt of its leaf."""

    item: Item
    salt: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_hash(self.salt, "an item salt")


@dataclass(frozen=True)
class FacilityOpening:
    """Every leaf of one facility and the facility's path to the top of the tree.

    ``items`` and ``padding`` (padding-leaf salts) are each listed in
    increasing leaf-hash order; ``index`` of ``count`` is the facility's
    position among the facility nodes. Well-formed when built; verified by
    :func:`verify_facility_opening`.
    """

    facility: str
    salt: bytes = field(repr=False)
    items: tuple[SaltedItem, ...]
    padding: tuple[bytes, ...] = field(repr=False)
    index: int
    count: int
    path: tuple[Sibling, ...]

    def __post_init__(self) -> None:
        if not self.facility:
            raise ValueError("a facility id is non-empty")
        encode_str(self.facility, "the facility id")
        _check_hash(self.salt, "the facility salt")
        for salt in self.padding:
            _check_hash(salt, "a padding salt")
        if len(self.items) + len(self.padding) > _MAX_LEAVES:
            raise ValueError(f"a facility has at most {_MAX_LEAVES} leaves")
        _check_position(self.index, self.count, MAX_FACILITIES, "the facility's")
        _check_path(self.path, "the facility path")


@dataclass(frozen=True)
class OpenedFacility:
    """What a verified facility opening proves: these items, with this vector, at this facility."""

    facility: str
    vector: tuple[int, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ItemOpening:
    """One item, its salt, its path inside its facility's subtree and the facility's path.

    The facility is ``item.facility``. Well-formed when built; verified by
    :func:`verify_item_opening`.
    """

    item: Item
    salt: bytes = field(repr=False)
    leaf_index: int
    leaf_count: int
    leaf_path: tuple[Sibling, ...]
    facility_salt: bytes = field(repr=False)
    facility_index: int
    facility_count: int
    facility_path: tuple[Sibling, ...]

    def __post_init__(self) -> None:
        _check_hash(self.salt, "the item salt")
        _check_hash(self.facility_salt, "the facility salt")
        _check_position(self.leaf_index, self.leaf_count, _MAX_LEAVES, "the leaf's")
        _check_position(self.facility_index, self.facility_count, MAX_FACILITIES, "the facility's")
        _check_path(self.leaf_path, "the leaf path")
        _check_path(self.facility_path, "the facility path")


# -- the top tree ---------------------------------------------------------------


def prove_totals(declaration: Declaration) -> TotalsProof:
    """The top tree's hash and vector, which show the totals are the root's."""
    layout = declaration.commitment.layout
    chunk, vec = _reduce(*_top(declaration.facilities, layout), TOP_TAG, layout.width)
    return TotalsProof(_head(chunk, len(declaration.facilities)), layout.unpack(vec))


def verify_totals(proof: TotalsProof, commitment: Commitment) -> tuple[int, ...]:
    """Check that the root commits to the claimed totals; returns them. VerificationError if not."""
    vec = _bounded(proof.top_vector, commitment.layout, "the top vector")
    _check_root(commitment, proof.top_hash, vec)
    return commitment.totals


def open_facility_list(declaration: Declaration) -> FacilityListOpening:
    """Every facility node (id, salt, subtree hash and vector): the treaty partner's view."""
    return FacilityListOpening(declaration.facilities)


def verify_facility_list(
    opening: FacilityListOpening, commitment: Commitment
) -> dict[str, tuple[int, ...]]:
    """Rebuild the top tree from every facility node; returns ``{facility id: vector}``.

    With this checked once, a facility id names exactly one facility node, so a
    verified facility opening is the complete set of that facility's items.
    """
    layout = commitment.layout
    for node in opening.facilities:  # at most 65535 vectors below 2**48: no lane can wrap
        _bounded(node.subtree_vector, layout, f"the vector of facility {node.facility!r}")
    top_chunk, top_vec = _reduce(*_top(opening.facilities, layout), TOP_TAG, layout.width)
    if top_vec & layout.high_mask:
        raise VerificationError("the facility vectors sum to 2**48 or more in some component")
    _check_root(commitment, _head(top_chunk, len(opening.facilities)), top_vec)
    return {node.facility: node.subtree_vector for node in opening.facilities}


# -- opening (the party, with its secret) ---------------------------------------

_Leaf = tuple[bytes, int, Item | None, bytes]  # chunk, packed vector, item (None: padding), salt


def _facility_salts(
    declaration: Declaration, facility: str
) -> tuple[list[Item], list[bytes], list[bytes]]:
    """The facility's items, their salts and its padding salts, re-derived from the secret.

    Item salt ``i`` belongs to the item of rank ``i`` in uid order over the
    whole declaration; the padding salts of the facility follow those of every
    facility with a smaller id. See ``docs/escrow.md``.
    """
    secret, items = declaration.secret, declaration.items
    uids = sorted(item.uid for item in items)  # code point order is UTF-8 byte order
    mine = [item for item in items if item.facility == facility]
    ranks = [bisect.bisect_left(uids, item.uid) for item in mine]
    stream = salt_stream(secret, "item", 0, max(ranks) + 1) if ranks else b""
    salts = [stream[SALT_SIZE * r : SALT_SIZE * (r + 1)] for r in ranks]
    per_facility = Counter(item.facility for item in items)
    offset = 0
    for node in declaration.facilities:
        if node.facility == facility:
            break
        held = per_facility[node.facility]
        offset += padded_count(held, declaration.pad_to) - held
    pad = padded_count(len(mine), declaration.pad_to) - len(mine)
    return mine, salts, split_salts(salt_stream(secret, "padding", offset, pad))


def _facility_leaves(declaration: Declaration, facility: str) -> list[_Leaf]:
    layout = declaration.commitment.layout
    width = layout.width
    items, salts, padding = _facility_salts(declaration, facility)
    leaves: list[_Leaf] = []
    for item, salt in zip(items, salts, strict=True):
        vec = layout.packed_item(item.kind, item.status, item.warheads, item.uid)
        digest = hashlib.sha256(leaf_input(layout, salt, item)).digest()
        leaves.append((digest + vec.to_bytes(width, "big"), vec, item, salt))
    for salt in padding:
        digest = hashlib.sha256(leaf_input(layout, salt, None)).digest()
        leaves.append((digest + bytes(width), 0, None, salt))
    leaves.sort(key=lambda leaf: leaf[0])
    return leaves


def _facility_position(
    declaration: Declaration, facility: str
) -> tuple[FacilityNode, int, tuple[Sibling, ...]]:
    ids = [node.facility for node in declaration.facilities]
    if facility not in ids:
        raise NotFoundError(f"{facility!r} is not a facility of this declaration")
    index = ids.index(facility)
    layout = declaration.commitment.layout
    chunks, vecs = _top(declaration.facilities, layout)
    path = _siblings(_path(chunks, vecs, index, TOP_TAG, layout.width), layout)
    return declaration.facilities[index], index, path


def open_facility(declaration: Declaration, facility: str) -> FacilityOpening:
    """Open every leaf of ``facility`` (NotFoundError if it is not declared)."""
    node, index, path = _facility_position(declaration, facility)
    leaves = _facility_leaves(declaration, facility)
    return FacilityOpening(
        facility=facility,
        salt=node.salt,
        items=tuple(SaltedItem(item, salt) for _, _, item, salt in leaves if item is not None),
        padding=tuple(salt for _, _, item, salt in leaves if item is None),
        index=index,
        count=len(declaration.facilities),
        path=path,
    )


def open_item(declaration: Declaration, uid: str) -> ItemOpening:
    """Open the item with this UID (NotFoundError if there is none)."""
    item = next((it for it in declaration.items if it.uid == uid), None)
    if item is None:
        raise NotFoundError(f"no item with UID {uid!r} in this declaration")
    node, index, facility_path = _facility_position(declaration, item.facility)
    leaves = _facility_leaves(declaration, item.facility)
    position = next(i for i, leaf in enumerate(leaves) if leaf[2] is item)
    layout = declaration.commitment.layout
    chunks, vecs = [leaf[0] for leaf in leaves], [leaf[1] for leaf in leaves]
    leaf_path = _siblings(_path(chunks, vecs, position, NODE_TAG, layout.width), layout)
    return ItemOpening(
        item=item,
        salt=leaves[position][3],
        leaf_index=position,
        leaf_count=len(leaves),
        leaf_path=leaf_path,
        facility_salt=node.salt,
        facility_index=index,
        facility_count=len(declaration.facilities),
        facility_path=facility_path,
    )


# -- verifying (anyone with the commitment) -------------------------------------


def _leaf_chunk(layout: VectorLayout, salt: bytes, item: Item | None) -> tuple[bytes, int]:
    if item is None:
        return hashlib.sha256(leaf_input(layout, salt, None)).digest() + bytes(layout.width), 0
    try:
        vec = layout.packed_item(item.kind, item.status, item.warheads, item.uid)
        preimage = leaf_input(layout, salt, item)
    except InventoryError as exc:
        raise VerificationError(
            f"item {item.uid!r} does not fit the committed layout: {exc.field}: {exc.problem}"
        ) from None
    return hashlib.sha256(preimage).digest() + vec.to_bytes(layout.width, "big"), vec


def _increasing(chunks: list[bytes], what: str) -> None:
    for i in range(1, len(chunks)):
        if chunks[i - 1][:HASH_SIZE] >= chunks[i][:HASH_SIZE]:
            raise VerificationError(f"{what} {i} is out of increasing leaf-hash order")


def _check_facility(
    commitment: Commitment,
    node: tuple[str, bytes, int],
    subtree: tuple[bytes, int],
    position: tuple[int, int, tuple[Sibling, ...]],
) -> None:
    """From a facility's subtree up to the root; VerificationError unless it is committed."""
    layout, (facility, salt, leaves), (chunk, vec) = commitment.layout, node, subtree
    if vec & layout.high_mask:
        raise VerificationError(
            f"the vector of facility {facility!r} reaches 2**48 in some component"
        )
    full = FacilityNode(facility, salt, leaves, chunk[:HASH_SIZE], layout.unpack(vec))
    start = (_facility_chunk(full, layout), vec)
    top, top_vec = _climb(start, position, tag=TOP_TAG, layout=layout, where="the facility path")
    _check_root(commitment, _head(top, position[1]), top_vec)


def verify_facility_opening(opening: FacilityOpening, commitment: Commitment) -> OpenedFacility:
    """Check a facility opening against the commitment; VerificationError says what failed.

    Checks: every item is at this facility, no UID twice, every item countable
    under the committed layout, items and padding each in increasing leaf-hash
    order with no leaf twice, the subtree's sums and bounds, the path to the
    top, and that the root and totals are the committed ones.
    """
    layout = commitment.layout
    seen: set[str] = set()
    item_chunks: list[tuple[bytes, int]] = []
    for salted in opening.items:
        item = salted.item
        if item.facility != opening.facility:
            raise VerificationError(
                f"item {item.uid!r} is declared at {item.facility!r}, not at {opening.facility!r}"
            )
        if item.uid in seen:
            raise VerificationError(f"item {item.uid!r} is opened twice")
        seen.add(item.uid)
        item_chunks.append(_leaf_chunk(layout, salted.salt, item))
    pad_chunks = [_leaf_chunk(layout, salt, None) for salt in opening.padding]
    _increasing([c for c, _ in item_chunks], "item")
    _increasing([c for c, _ in pad_chunks], "padding leaf")
    leaves = sorted(item_chunks + pad_chunks, key=lambda leaf: leaf[0])
    _increasing([c for c, _ in leaves], "leaf")
    if leaves:
        subtree = _reduce([c for c, _ in leaves], [v for _, v in leaves], NODE_TAG, layout.width)
    else:
        subtree = (EMPTY_SUBTREE + bytes(layout.width), 0)
    node = (opening.facility, opening.salt, len(leaves))
    _check_facility(commitment, node, subtree, (opening.index, opening.count, opening.path))
    items = tuple(salted.item for salted in opening.items)
    return OpenedFacility(opening.facility, layout.unpack(subtree[1]), items)


def verify_item_opening(opening: ItemOpening, commitment: Commitment) -> Item:
    """Check that the item is committed at its facility; returns it. VerificationError if not."""
    layout = commitment.layout
    leaf = _leaf_chunk(layout, opening.salt, opening.item)
    at = (opening.leaf_index, opening.leaf_count, opening.leaf_path)
    subtree = _climb(leaf, at, tag=NODE_TAG, layout=layout, where="the leaf path")
    node = (opening.item.facility, opening.facility_salt, opening.leaf_count)
    position = (opening.facility_index, opening.facility_count, opening.facility_path)
    _check_facility(commitment, node, subtree, position)
    return opening.item
