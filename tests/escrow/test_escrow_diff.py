"""The diff of two inventories names every change and the notification that covers it."""

from __future__ import annotations

import dataclasses

from treatyledger.escrow.diff import diff_inventories
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory import Facility, Inventory
from treatyledger.treaty import TreatySpec


def test_no_change_no_diff(new_start: TreatySpec) -> None:
    inventory = us_inventory_2020_09_01(new_start)
    assert diff_inventories(new_start, inventory, inventory) == []


def test_every_kind_of_change(new_start: TreatySpec) -> None:
    old = us_inventory_2020_09_01(new_start)
    items = list(old.items)
    moved, demoted, removed = items[0], items[1], items[2]
    other_base = next(
        f.id
        for f in old.facilities
        if f.kind == moved_kind(old, moved.facility) and f.id != moved.facility
    )
    items[0] = dataclasses.replace(moved, facility=other_base)
    items[1] = dataclasses.replace(demoted, status="non_deployed", warheads=0)
    del items[2]
    added = dataclasses.replace(removed, uid="US-NEW-0001")
    items.append(added)
    depot = Facility(
        id="new_depot", kind="storage_facility", name="New depot", location="Somewhere, Utah"
    )
    new = Inventory(party="US", facilities=(*old.facilities, depot), items=tuple(items))
    changes = {(c.subject, c.change): c for c in diff_inventories(new_start, old, new)}
    assert changes[(moved.uid, "movement")].notification == "movement"
    assert changes[(demoted.uid, "status_change")].after == "non_deployed"
    assert changes[(demoted.uid, "warheads")].notification is None
    assert "only at data exchanges" in changes[(demoted.uid, "warheads")].note
    assert changes[(removed.uid, "removed")].notification == "elimination"
    assert changes[("US-NEW-0001", "new_item")].notification == "new_item"
    assert changes[("new_depot", "facility_added")].after == "storage_facility"
    assert len(changes) == 6


def moved_kind(inventory: Inventory, facility_id: str) -> str:
    facility = inventory.facility(facility_id)
    assert facility is not None
    return facility.kind
