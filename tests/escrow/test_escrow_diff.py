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


def _with_status(inventory: Inventory, uid: str, status: str) -> Inventory:
    items = tuple(
        dataclasses.replace(item, status=status) if item.uid == uid else item
        for item in inventory.items
    )
    return dataclasses.replace(inventory, items=items)


def _bomber(inventory: Inventory, status: str) -> str:
    return next(i.uid for i in inventory.items if i.kind == "heavy_bomber" and i.status == status)


def test_a_change_to_non_nuclear_is_a_conversion(new_start: TreatySpec) -> None:
    old = us_inventory_2020_09_01(new_start)
    uid = _bomber(old, "deployed")
    changes = diff_inventories(new_start, old, _with_status(old, uid, "non_nuclear"))
    assert [(c.subject, c.change, c.before, c.after) for c in changes] == [
        (uid, "conversion", "deployed", "non_nuclear")
    ]
    assert changes[0].notification == "conversion"


def test_an_ordinary_status_change_stays_a_status_change(new_start: TreatySpec) -> None:
    old = us_inventory_2020_09_01(new_start)
    deployed = _bomber(old, "deployed")
    demoted = diff_inventories(new_start, old, _with_status(old, deployed, "non_deployed"))
    assert [(c.change, c.notification) for c in demoted] == [("status_change", "status_change")]
    # from non_nuclear back to another status is no conversion either
    converted = _with_status(old, deployed, "non_nuclear")
    back = diff_inventories(new_start, converted, old)
    assert [(c.change, c.before, c.after) for c in back] == [
        ("status_change", "non_nuclear", "deployed")
    ]


def test_a_conversion_without_its_own_notification(
    new_start: TreatySpec, strategic_p5: TreatySpec
) -> None:
    """A catalogue without conversions covers them by its status change notification."""
    assert strategic_p5.notification("conversion") is None
    old = us_inventory_2020_09_01(new_start)
    uid = _bomber(old, "deployed")
    (change,) = diff_inventories(strategic_p5, old, _with_status(old, uid, "non_nuclear"))
    assert (change.change, change.notification) == ("conversion", "status_change")
