"""A treaty's inspection quota applied to one party's declared inventory.

One inspection type (New START: Type One) is carried out ``quota`` times a
year; each inspection designates one site among the inventory's facilities
of the kinds that type covers. The year's designations are modelled as the
verifiable draw makes them (``docs/assurance.md``): an urn holds
``per_site_cap`` tickets for every eligible site (the treaty's
``max_per_site_per_year``; without one, as many as there are inspections),
and the year's inspections draw tickets without replacement. Where the type
counts reentry vehicles, each inspection of a site holding deployed missiles
designates a missile not designated there before that year, uniformly.
"""

from __future__ import annotations

from dataclasses import dataclass

from treatyledger.assurance.inputs import PlanInputError
from treatyledger.escrow.inventory import Inventory
from treatyledger.treaty.inspections import InspectionType
from treatyledger.treaty.limits import CountBasis
from treatyledger.treaty.spec import TreatySpec

__all__ = ["QuotaRegime", "QuotaSite", "inspection_type_for", "quota_regime"]


@dataclass(frozen=True)
class QuotaSite:
    """An eligible site: its facility id and kind, and its missiles that carry counted warheads."""

    id: str
    kind: str
    missiles: int


@dataclass(frozen=True)
class QuotaRegime:
    """One inspection type's yearly quota over one party's eligible sites (sorted by id)."""

    treaty: str
    party: str
    inspection_type: str
    inspection_name: str
    quota: int
    per_site_cap: int | None
    """At most this many inspections of one site a year; None: no limit."""
    counts_reentry_vehicles: bool
    sites: tuple[QuotaSite, ...]

    def site(self, site_id: str) -> QuotaSite | None:
        """The eligible site with this id, if there is one."""
        return next((s for s in self.sites if s.id == site_id), None)

    @property
    def missiles(self) -> int:
        """Missiles with counted warheads at all eligible sites."""
        return sum(s.missiles for s in self.sites)

    def cap_for(self, inspections: int) -> int:
        """Tickets per site in the urn for a year of ``inspections`` inspections."""
        return self.per_site_cap if self.per_site_cap is not None else max(1, inspections)

    @property
    def max_inspections(self) -> int | None:
        """The most inspections a year the per-site cap allows; None without a cap."""
        return None if self.per_site_cap is None else self.per_site_cap * len(self.sites)


def inspection_type_for(spec: TreatySpec, type_id: str | None) -> InspectionType:
    """The inspection type ``type_id``; by default the first that counts reentry vehicles."""
    if type_id is None:
        counting = [t for t in spec.inspections.types if t.reentry_vehicle_count]
        if not counting and not spec.inspections.types:
            raise PlanInputError("inspection type", f"{spec.id} has no inspection types")
        return (counting or list(spec.inspections.types))[0]
    found = spec.inspections.type(type_id)
    if found is None:
        known = ", ".join(t.id for t in spec.inspections.types)
        raise PlanInputError("inspection type", f"{type_id!r} is not one of {spec.id} ({known})")
    return found


def _counted_warheads(spec: TreatySpec, kind: str, status: str) -> bool:
    item_kind = spec.item_kind(kind)
    if item_kind is None or not item_kind.carries_warheads:
        return False
    return any(
        (rule := limit.rule_for(kind, status)) is not None
        and rule.each.basis is CountBasis.WARHEADS
        for limit in spec.limits
    )


def quota_regime(
    spec: TreatySpec, inventory: Inventory, *, inspection_type: str | None = None
) -> QuotaRegime:
    """The quota of ``inspection_type`` over ``inventory`` (see :func:`inspection_type_for`)."""
    itype = inspection_type_for(spec, inspection_type)
    counted: dict[str, int] = {}
    for item in inventory.items:
        if _counted_warheads(spec, item.kind, item.status):
            counted[item.facility] = counted.get(item.facility, 0) + 1
    sites = tuple(
        QuotaSite(id=f.id, kind=f.kind, missiles=counted.get(f.id, 0))
        for f in sorted(inventory.facilities, key=lambda f: f.id)
        if f.kind in itype.facility_kinds
    )
    if not sites:
        raise PlanInputError(
            "inventory",
            f"declares no facility where {itype.name} inspections happen "
            f"(kinds: {', '.join(sorted(itype.facility_kinds))})",
        )
    return QuotaRegime(
        treaty=spec.id,
        party=inventory.party,
        inspection_type=itype.id,
        inspection_name=itype.name,
        quota=itype.annual_quota,
        per_site_cap=spec.inspections.max_per_site_per_year,
        counts_reentry_vehicles=itype.reentry_vehicle_count,
        sites=sites,
    )
