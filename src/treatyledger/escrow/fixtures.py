"""Realistic, deterministic inventories built from the public record, for tests and demos.

Only aggregate numbers were ever published, so an itemised inventory is a
reconstruction: the totals per type and status are the published ones, while
which base holds how many, the warheads on each missile and the UIDs are
illustrative choices, made once here so every test and demo shares them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from treatyledger.escrow.inventory import Facility, Inventory, build_inventory
from treatyledger.treaty.counting import Item
from treatyledger.treaty.spec import TreatySpec

__all__ = ["us_inventory_2020_09_01"]

# Publicly known US strategic bases (Air Force and Navy base pages, the New START
# memorandum of understanding). Minot holds both an ICBM wing and a bomber wing,
# declared as two facilities. Names as of September 2020 (Vandenberg became a
# Space Force Base in 2021).
_FACILITIES = (
    Facility("fe_warren", "icbm_base", "F.E. Warren AFB", "Cheyenne, Wyoming"),
    Facility("malmstrom", "icbm_base", "Malmstrom AFB", "Great Falls, Montana"),
    Facility("minot_icbm", "icbm_base", "Minot AFB (ICBM base)", "Minot, North Dakota"),
    Facility("vandenberg", "test_range", "Vandenberg AFB", "Lompoc, California"),
    Facility("bangor", "submarine_base", "Naval Base Kitsap-Bangor", "Silverdale, Washington"),
    Facility("kings_bay", "submarine_base", "Naval Submarine Base Kings Bay", "St. Marys, Georgia"),
    Facility("whiteman", "air_base", "Whiteman AFB", "Knob Noster, Missouri"),
    Facility("barksdale", "air_base", "Barksdale AFB", "Bossier City, Louisiana"),
    Facility("minot_air", "air_base", "Minot AFB (air base)", "Minot, North Dakota"),
    Facility("plant_42", "repair_facility", "Air Force Plant 42", "Palmdale, California"),
    Facility("tinker", "repair_facility", "Tinker AFB", "Oklahoma City, Oklahoma"),
    Facility("edwards", "test_range", "Edwards AFB", "Edwards, California"),
)

# (facility, deployed, non-deployed) per type. The totals are the published ones
# (reference/new-start.md, US, 1 September 2020); the split between facilities is
# illustrative. Minuteman III: 450 silos, 150 at each wing, plus 4 launchers at
# the Vandenberg test range = 454 = 397 deployed + 57 non-deployed.
_MINUTEMAN = (
    ("fe_warren", 133, 17),
    ("malmstrom", 132, 18),
    ("minot_icbm", 132, 18),
    ("vandenberg", 0, 4),
)
# Trident II: 14 Ohio-class submarines of 20 tubes, 8 at Bangor and 6 at Kings Bay
# = 280 launchers = 230 deployed + 50 non-deployed (submarines in overhaul).
_TRIDENT = (("bangor", 130, 30), ("kings_bay", 100, 20))
# Heavy bombers: 20 B-2A and 46 nuclear-capable B-52H (the others were converted
# for non-nuclear armaments) = 66 = 48 deployed + 18 non-deployed. Non-deployed
# bombers are those at repair facilities or used for testing.
_B_2A = (("whiteman", 12, 0), ("plant_42", 0, 6), ("edwards", 0, 2))
_B_52H = (("barksdale", 20, 0), ("minot_air", 16, 0), ("tinker", 0, 8), ("edwards", 0, 2))

# Reentry vehicles: 1,457 warheads - 48 (one per deployed heavy bomber) = 1,409 on
# 627 deployed missiles. Minuteman III carries one each (397); the other 1,012 are
# on the 230 Trident II: two in five carry 5 (92 x 5 = 460), the rest 4 (138 x 4).
_MINUTEMAN_WARHEADS = 1


def _trident_warheads(index: int) -> int:
    return 5 if index % 5 in (0, 2) else 4


def _items(
    prefix: str, kind: str, type_: str, split: tuple[tuple[str, int, int], ...]
) -> Iterator[tuple[str, Item]]:
    """(facility, item) for each item of one kind; warheads are filled in by the caller."""
    number = 0
    for facility, deployed, non_deployed in split:
        for status, count in (("deployed", deployed), ("non_deployed", non_deployed)):
            for _ in range(count):
                number += 1
                yield facility, Item(f"US-{prefix}-{number:04d}", kind, type_, status, facility)


def us_inventory_2020_09_01(spec: TreatySpec) -> Inventory:
    """The United States' inventory as of 1 September 2020, itemised.

    Under ``spec`` (New START) it counts 675 deployed ICBMs, SLBMs and heavy
    bombers, 1,457 warheads and 800 deployed and non-deployed launchers, the
    published figures; built through :func:`build_inventory`, so it is checked.
    """
    missiles_mm3 = [
        (f, replace(i, warheads=_MINUTEMAN_WARHEADS))
        for f, i in _items("MM3", "icbm", "minuteman_iii", _deployed_only(_MINUTEMAN))
    ]
    missiles_d5 = [
        (f, replace(i, warheads=_trident_warheads(n)))
        for n, (f, i) in enumerate(_items("D5", "slbm", "trident_ii", _deployed_only(_TRIDENT)))
    ]
    launchers = [
        *_items("MM3-LCH", "icbm_launcher", "minuteman_iii", _MINUTEMAN),
        *_items("D5-LCH", "slbm_launcher", "trident_ii", _TRIDENT),
    ]
    bombers = [
        *_items("B2A", "heavy_bomber", "b_2a", _B_2A),
        *_items("B52H", "heavy_bomber", "b_52h", _B_52H),
    ]
    everything = [*missiles_mm3, *missiles_d5, *launchers, *bombers]
    order = {f.id: n for n, f in enumerate(_FACILITIES)}
    # Listed facility by facility, in a stable order: what an inspector's opening will follow.
    items = [item for _, item in sorted(everything, key=lambda pair: order[pair[0]])]
    return build_inventory(spec, "US", _FACILITIES, items)


def _deployed_only(split: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, int, int], ...]:
    """The deployed missiles of a split: a deployed launcher holds one; non-deployed, none."""
    return tuple((facility, deployed, 0) for facility, deployed, _ in split if deployed)
