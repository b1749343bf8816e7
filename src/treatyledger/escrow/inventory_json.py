"""Inventories as JSON, in one document::

    {"party": "US",
     "facilities": [{"id": ..., "kind": ..., "name": ..., "location": ...}],
     "items": [{"uid": ..., "kind": ..., "type": ..., "status": ...,
                "facility": ..., "warheads": 1 | null}]}

Every key is required and no other key is accepted; ``warheads`` is null when
not given. A key repeated in one object, NaN or Infinity is an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

from treatyledger.errors import InventoryError
from treatyledger.escrow.inventory import (
    FACILITY_COLUMNS,
    ITEM_COLUMNS,
    Facility,
    Inventory,
    _at,
    _build,
    _decode,
    _Origin,
    _read,
    _text_problem,
)
from treatyledger.treaty.counting import Item
from treatyledger.treaty.spec import TreatySpec

__all__ = ["inventory_to_json", "load_inventory_json", "parse_inventory_json"]


def inventory_to_json(inventory: Inventory) -> dict[str, object]:
    """The inventory in the JSON shape of the module docstring (warheads null when not given)."""
    return {
        "party": inventory.party,
        "facilities": [
            {"id": f.id, "kind": f.kind, "name": f.name, "location": f.location}
            for f in inventory.facilities
        ],
        "items": [
            {
                "uid": i.uid,
                "kind": i.kind,
                "type": i.type,
                "status": i.status,
                "facility": i.facility,
                "warheads": i.warheads,
            }
            for i in inventory.items
        ],
    }


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f"key {key!r} appears twice in one object")
    return dict(pairs)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows")


def _object(value: object, keys: tuple[str, ...], *, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InventoryError(item=where, field="(entry)", problem="must be a JSON object")
    for key in value:
        if key not in keys:
            raise InventoryError(
                item=where, field=key, problem=f"unknown key (allowed: {', '.join(keys)})"
            )
    for key in keys:
        if key not in value:
            raise InventoryError(item=where, field=key, problem="missing")
    return value


def _text(entry: dict[str, object], key: str) -> str:
    value = entry[key]
    problem = _text_problem(value)
    if problem is not None or not isinstance(value, str):
        raise InventoryError(item="", field=key, problem=problem or "must be text")
    return value


def _array(document: dict[str, object], key: str, *, source: str) -> list[object]:
    value = document[key]
    if not isinstance(value, list):
        raise InventoryError(item=source, field=key, problem="must be a JSON array")
    return value


def parse_inventory_json(data: str | bytes, *, source: str, spec: TreatySpec) -> Inventory:
    """Read and check an inventory from JSON text; all or nothing, like the CSV reader.

    Errors name ``source`` and the JSON path of the entry (``items[3]``).
    """
    text = _decode(data, source=source)
    try:
        document = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise InventoryError(
            item=source,
            field="(file)",
            problem=f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from exc
    except ValueError as exc:
        raise InventoryError(item=source, field="(file)", problem=f"not valid JSON: {exc}") from exc
    document = _object(document, ("party", "facilities", "items"), where=source)
    party = document["party"]
    if not isinstance(party, str):
        raise InventoryError(item=source, field="party", problem=f"must be text, got {party!r}")
    facilities: list[Facility] = []
    for i, value in enumerate(_array(document, "facilities", source=source)):
        where = f"{source}, facilities[{i}]"
        entry = _object(value, FACILITY_COLUMNS, where=where)
        ident = entry["id"]
        with _at(where if _text_problem(ident) else f"{where} (id {ident})"):
            facilities.append(Facility(**{key: _text(entry, key) for key in FACILITY_COLUMNS}))
    items: list[Item] = []
    for i, value in enumerate(_array(document, "items", source=source)):
        where = f"{source}, items[{i}]"
        entry = _object(value, ITEM_COLUMNS, where=where)
        uid = entry["uid"]
        with _at(where if _text_problem(uid) else f"{where} (uid {uid})"):
            warheads = entry["warheads"]
            if warheads is not None and type(warheads) is not int:
                raise InventoryError(
                    item="",
                    field="warheads",
                    problem=f"must be a whole number or null, got {warheads!r}",
                )
            items.append(
                Item(**{key: _text(entry, key) for key in ITEM_COLUMNS[:-1]}, warheads=warheads)
            )
    return _build(
        spec,
        party,
        facilities,
        items,
        facilities_origin=_Origin(source, lambda i: f"facilities[{i}]"),
        items_origin=_Origin(source, lambda i: f"items[{i}]"),
        party_origin=source,
    )


def load_inventory_json(spec: TreatySpec, path: Path) -> Inventory:
    """:func:`parse_inventory_json` on the file at ``path``."""
    return parse_inventory_json(_read(path), source=str(path), spec=spec)
