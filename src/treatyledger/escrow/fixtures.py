"""Realistic, deterministic inventories built from the public record, for tests and demos.

Only aggregate numbers were ever published, so an itemised inventory is a
reconstruction: the totals per type and status are the published ones, while
which base holds how many, the warheads on each missile and the UIDs are
illustrative choices, made once so every test and demo shares them. They are
made in :mod:`treatyledger.record.inventories` (the tables and their reasons
in :mod:`treatyledger.record.bases`), whose New START series start from this
very inventory.
"""

from __future__ import annotations

from treatyledger.escrow.inventory import Inventory
from treatyledger.record.bases import ANCHOR
from treatyledger.record.inventories import reconstruct
from treatyledger.treaty.spec import TreatySpec

__all__ = ["us_inventory_2020_09_01"]


def us_inventory_2020_09_01(spec: TreatySpec) -> Inventory:
    """The United States' inventory as of 1 September 2020, itemised.

    Under ``spec`` (New START) it counts 675 deployed ICBMs, SLBMs and heavy
    bombers, 1,457 warheads and 800 deployed and non-deployed launchers, the
    published figures; built through :func:`build_inventory`, so it is checked.
    Minuteman III: 150 silos at each wing (133, 132 and 132 deployed) and 4 test
    launchers at Vandenberg; Trident II: 160 tubes at Bangor (130 deployed) and
    120 at Kings Bay (100); 12 B-2A and 36 B-52H deployed at their wings, 18
    bombers at repair facilities or testing. One warhead per Minuteman III; the
    other 1,012 on the Trident II, two in five carrying 5 and the rest 4.
    """
    return reconstruct(spec, "US", ANCHOR)
