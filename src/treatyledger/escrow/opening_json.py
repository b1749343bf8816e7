"""The canonical JSON of escrow proofs and openings (format in ``docs/escrow.md``).

Writers produce one canonical form; readers are strict and raise
:class:`~treatyledger.errors.FormatError` for anything else.
"""

from __future__ import annotations

from treatyledger.escrow.commitment import MAX_FACILITIES, FacilityNode, Sibling
from treatyledger.escrow.opening import (
    _MAX_LEAVES,
    FacilityListOpening,
    FacilityOpening,
    ItemOpening,
    SaltedItem,
    TotalsProof,
)
from treatyledger.escrow.vector import _dump, _Reader
from treatyledger.treaty.counting import Item

__all__ = [
    "facility_list_to_json",
    "facility_opening_to_json",
    "item_opening_to_json",
    "parse_facility_list",
    "parse_facility_opening",
    "parse_item_opening",
    "parse_totals_proof",
    "totals_proof_to_json",
]


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
