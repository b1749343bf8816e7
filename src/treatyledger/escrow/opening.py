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

import hashlib
from dataclasses import dataclass, field

from treatyledger.errors import InventoryError, NotFoundError, VerificationError
from treatyledger.escrow.sumtree import (
    EMPTY_SUBTREE,
    HASH_SIZE,
    MAX_FACILITIES,
    NODE_TAG,
    TOP_TAG,
    Commitment,
    Declaration,
    FacilityNode,
    Sibling,
    _bounded,
    _check_facilities,
    _check_hash,
    _check_root,
    _check_vector,
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
    VectorLayout,
    _dump,
    _Reader,
    _Salts,
    encode_str,
    padded_count,
)
from treatyledger.treaty.counting import Item

__all__ = [
    "FacilityListOpening",
    "FacilityOpening",
    "ItemOpening",
    "OpenedFacility",
    "SaltedItem",
    "TotalsProof",
    "facility_list_to_json",
    "facility_opening_to_json",
    "item_opening_to_json",
    "open_facility",
    "open_facility_list",
    "open_item",
    "parse_facility_list",
    "parse_facility_opening",
    "parse_item_opening",
    "parse_totals_proof",
    "prove_totals",
    "totals_proof_to_json",
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


def _facility_leaves(declaration: Declaration, facility: str) -> list[_Leaf]:
    layout = declaration.commitment.layout
    salts, width = _Salts(declaration.secret), layout.width
    items = [item for item in declaration.items if item.facility == facility]
    leaves: list[_Leaf] = []
    for item in items:
        salt = salts.item(item.uid)
        vec = layout.packed_item(item.kind, item.status, item.warheads, item.uid)
        digest = hashlib.sha256(leaf_input(layout, salt, item)).digest()
        leaves.append((digest + vec.to_bytes(width, "big"), vec, item, salt))
    for i in range(padded_count(len(items), declaration.pad_to) - len(items)):
        salt = salts.padding(facility, i)
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


# -- canonical JSON ---------------------------------------------------------------


def totals_proof_to_json(proof: TotalsProof) -> str:
    """The canonical JSON of a totals proof."""
    return _dump(
        {
            "format": "treatyledger/escrow/v1/totals-proof",
            "top_hash": proof.top_hash.hex(),
            "top_vector": list(proof.top_vector),
        }
    )


def parse_totals_proof(text: str | bytes) -> TotalsProof:
    """Read :func:`totals_proof_to_json`'s output; FormatError for anything else."""
    r = _Reader("escrow totals proof")
    doc = r.load(text, "totals-proof", {"top_hash", "top_vector"})
    top = r.hex32(doc["top_hash"], "top_hash")
    return r.build(TotalsProof, top, r.vector(doc["top_vector"], "top_vector"))


def facility_list_to_json(opening: FacilityListOpening) -> str:
    """The canonical JSON of a facility list opening."""
    facilities = [
        {
            "facility": n.facility,
            "salt": n.salt.hex(),
            "leaves": n.leaves,
            "subtree_hash": n.subtree_hash.hex(),
            "subtree_vector": list(n.subtree_vector),
        }
        for n in opening.facilities
    ]
    return _dump({"format": "treatyledger/escrow/v1/facility-list", "facilities": facilities})


def parse_facility_list(text: str | bytes) -> FacilityListOpening:
    """Read :func:`facility_list_to_json`'s output; FormatError for anything else."""
    r = _Reader("escrow facility list")
    doc = r.load(text, "facility-list", {"facilities"})
    nodes = []
    for i, raw in enumerate(r.array(doc["facilities"], "facilities")):
        at = f"facilities[{i}]"
        node = r.obj(raw, {"facility", "leaves", "salt", "subtree_hash", "subtree_vector"}, at)
        fields = (
            r.text(node["facility"], f"{at}.facility"),
            r.hex32(node["salt"], f"{at}.salt"),
            r.integer(node["leaves"], f"{at}.leaves", 2**32),
            r.hex32(node["subtree_hash"], f"{at}.subtree_hash"),
            r.vector(node["subtree_vector"], f"{at}.subtree_vector"),
        )
        nodes.append(r.build(FacilityNode, *fields))
    return r.build(FacilityListOpening, tuple(nodes))


def _siblings_json(path: tuple[Sibling, ...]) -> list[dict[str, object]]:
    return [{"hash": s.hash.hex(), "vector": list(s.vector)} for s in path]


def _parse_siblings(r: _Reader, value: object, where: str) -> tuple[Sibling, ...]:
    out = []
    for i, raw in enumerate(r.array(value, where)):
        step = r.obj(raw, {"hash", "vector"}, f"{where}[{i}]")
        hash_, vec = r.hex32(step["hash"], f"{where}[{i}].hash"), step["vector"]
        out.append(r.build(Sibling, hash_, r.vector(vec, f"{where}[{i}].vector")))
    return tuple(out)


_ITEM_KEYS = {"facility", "kind", "status", "type", "uid", "warheads"}


def _item_json(item: Item) -> dict[str, object]:
    return {
        "uid": item.uid,
        "kind": item.kind,
        "type": item.type,
        "status": item.status,
        "facility": item.facility,
        "warheads": item.warheads,
    }


def _parse_item(r: _Reader, value: object, where: str) -> Item:
    raw = r.obj(value, _ITEM_KEYS, where)
    fields = {k: r.text(raw[k], f"{where}.{k}") for k in sorted(_ITEM_KEYS - {"warheads"})}
    heads = raw["warheads"]
    warheads = None if heads is None else r.integer(heads, f"{where}.warheads", 2**32)
    return r.build(Item, warheads=warheads, **fields)


def facility_opening_to_json(opening: FacilityOpening) -> str:
    """The canonical JSON of a facility opening."""
    return _dump(
        {
            "format": "treatyledger/escrow/v1/facility-opening",
            "facility": opening.facility,
            "salt": opening.salt.hex(),
            "items": [{"item": _item_json(s.item), "salt": s.salt.hex()} for s in opening.items],
            "padding": [salt.hex() for salt in opening.padding],
            "index": opening.index,
            "count": opening.count,
            "path": _siblings_json(opening.path),
        }
    )


def parse_facility_opening(text: str | bytes) -> FacilityOpening:
    """Read :func:`facility_opening_to_json`'s output; FormatError for anything else."""
    r = _Reader("escrow facility opening")
    keys = {"count", "facility", "index", "items", "padding", "path", "salt"}
    doc = r.load(text, "facility-opening", keys)
    items = []
    for i, raw in enumerate(r.array(doc["items"], "items")):
        entry = r.obj(raw, {"item", "salt"}, f"items[{i}]")
        item = _parse_item(r, entry["item"], f"items[{i}].item")
        items.append(r.build(SaltedItem, item, r.hex32(entry["salt"], f"items[{i}].salt")))
    padding = r.array(doc["padding"], "padding")
    return r.build(
        FacilityOpening,
        r.text(doc["facility"], "facility"),
        r.hex32(doc["salt"], "salt"),
        tuple(items),
        tuple(r.hex32(s, f"padding[{i}]") for i, s in enumerate(padding)),
        r.integer(doc["index"], "index", MAX_FACILITIES),
        r.integer(doc["count"], "count", MAX_FACILITIES + 1),
        _parse_siblings(r, doc["path"], "path"),
    )


def item_opening_to_json(opening: ItemOpening) -> str:
    """The canonical JSON of an item opening."""
    leaf = {
        "index": opening.leaf_index,
        "count": opening.leaf_count,
        "path": _siblings_json(opening.leaf_path),
    }
    facility = {
        "salt": opening.facility_salt.hex(),
        "index": opening.facility_index,
        "count": opening.facility_count,
        "path": _siblings_json(opening.facility_path),
    }
    return _dump(
        {
            "format": "treatyledger/escrow/v1/item-opening",
            "item": _item_json(opening.item),
            "salt": opening.salt.hex(),
            "leaf": leaf,
            "facility": facility,
        }
    )


def parse_item_opening(text: str | bytes) -> ItemOpening:
    """Read :func:`item_opening_to_json`'s output; FormatError for anything else."""
    r = _Reader("escrow item opening")
    doc = r.load(text, "item-opening", {"facility", "item", "leaf", "salt"})
    leaf = r.obj(doc["leaf"], {"count", "index", "path"}, "leaf")
    fac = r.obj(doc["facility"], {"count", "index", "path", "salt"}, "facility")
    return r.build(
        ItemOpening,
        _parse_item(r, doc["item"], "item"),
        r.hex32(doc["salt"], "salt"),
        r.integer(leaf["index"], "leaf.index", _MAX_LEAVES),
        r.integer(leaf["count"], "leaf.count", _MAX_LEAVES + 1),
        _parse_siblings(r, leaf["path"], "leaf.path"),
        r.hex32(fac["salt"], "facility.salt"),
        r.integer(fac["index"], "facility.index", MAX_FACILITIES),
        r.integer(fac["count"], "facility.count", MAX_FACILITIES + 1),
        _parse_siblings(r, fac["path"], "facility.path"),
    )
