"""The delegations of an exercise: keys, declared inventories, and what is really there.

Each party declares the inventory reconstructed from the public record for
each as-of date of the year (:mod:`treatyledger.record.inventories`). What is
*really* at its sites is the same, except for the red team, whose physical
inventory carries the scenario's misconduct: undeclared deployed ICBMs in
their launchers at one base, or warheads beyond those declared on some
missiles. Inspectors see the physical inventory; the logs hold the declared
one. All choices (the red team, the base, the missiles) come from the run's
seed, through :class:`random.Random` seeded with a SHA-256 of the seed and a
label, so a run is reproducible and its choices are independent of the
inspections' draws.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field, replace

from treatyledger.escrow.inventory import Inventory
from treatyledger.escrow.sumtree import Declaration
from treatyledger.exercise.scenarios import Misconduct, Scenario
from treatyledger.ledger import Ref
from treatyledger.log.note import Signer
from treatyledger.record.inventories import reconstruct
from treatyledger.treaty.counting import Item
from treatyledger.treaty.limits import CountBasis
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "HIDDEN_MISSILES",
    "UNDERSTATED_MISSILES",
    "Delegation",
    "RedTeam",
    "chooser",
    "counted_missiles",
    "delegations",
    "derived_bytes",
    "origin_for",
    "physical",
    "red_team",
]

HIDDEN_MISSILES = 6
"""Undeclared deployed ICBMs (each in an undeclared launcher) in ``hidden-launchers``."""
UNDERSTATED_MISSILES = 40
"""Missiles carrying one warhead more than declared in ``understated-warheads``."""


def derived_bytes(seed: int, label: str) -> bytes:
    """32 bytes derived from the run's seed for one purpose (keys, secrets, draw seeds)."""
    return hashlib.sha256(f"treatyledger exercise {seed}: {label}".encode()).digest()


def chooser(seed: int, label: str) -> random.Random:
    """A random generator for one choice of the run, independent of every other."""
    return random.Random(int.from_bytes(derived_bytes(seed, label), "big"))


def origin_for(party: str) -> str:
    """The log origin of a party in an exercise (a reserved .invalid name: not a real log)."""
    return f"exercise.treatyledger.invalid/{party.lower()}"


def counted_missiles(spec: TreatySpec, inventory: Inventory, kinds: frozenset[str]) -> list[Item]:
    """Items at sites of ``kinds`` whose warheads count toward a limit (deployed missiles)."""
    sites = {f.id for f in inventory.facilities if f.kind in kinds}
    out = []
    for item in inventory.items:
        if item.facility not in sites:
            continue
        item_kind = spec.item_kind(item.kind)
        if item_kind is None or not item_kind.carries_warheads:
            continue
        if any(
            (rule := limit.rule_for(item.kind, item.status)) is not None
            and rule.each.basis is CountBasis.WARHEADS
            for limit in spec.limits
        ):
            out.append(item)
    return out


@dataclass(frozen=True)
class RedTeam:
    """Who cheats, and the concrete choices of the misconduct."""

    party: str
    misconduct: Misconduct
    hidden_base: str | None = None
    understated: frozenset[str] = frozenset()
    """UIDs of the missiles that carry one warhead more than declared."""


@dataclass
class Delegation:
    """One party's delegation: its log key, its declarations and its physical inventory."""

    party: str
    signer: Signer
    declared: dict[dt.date, Inventory]
    physical: dict[dt.date, Inventory]
    declarations: dict[dt.date, Declaration] = field(default_factory=dict)
    exchanges: dict[dt.date, Ref] = field(default_factory=dict)

    def latest_as_of(self, day: dt.date) -> dt.date | None:
        """The as-of date of the latest exchange this party logged by ``day``."""
        logged = [d for d, ref in self.exchanges.items() if ref is not None and d <= day]
        return max(logged) if logged else None


def _hidden(inventory: Inventory, base: str) -> list[Item]:
    """Undeclared deployed ICBMs in undeclared launchers at ``base``, typed like its others."""
    icbm = next(i for i in inventory.items if i.facility == base and i.kind == "icbm")
    extra = []
    for n in range(1, HIDDEN_MISSILES + 1):
        extra.append(replace(icbm, uid=f"{inventory.party}-UNDECLARED-{n:03d}"))
        launcher = next(
            i for i in inventory.items if i.facility == base and i.kind == "icbm_launcher"
        )
        extra.append(replace(launcher, uid=f"{inventory.party}-UNDECLARED-LCH-{n:03d}"))
    return extra


def red_team(
    spec: TreatySpec,
    scenario: Scenario,
    seed: int,
    parties: list[str],
    *,
    first: Inventory | None,
    eligible: frozenset[str],
) -> RedTeam | None:
    """The red team and its choices (None in a clean scenario)."""
    if scenario.misconduct is Misconduct.NONE:
        return None
    party = chooser(seed, "red team").choice(parties)
    if first is None or first.party != party:
        return RedTeam(party, scenario.misconduct)
    if scenario.misconduct is Misconduct.HIDDEN_LAUNCHERS:
        bases = sorted(
            {i.facility for i in first.items if i.kind == "icbm" and i.status == "deployed"}
        )
        return RedTeam(party, scenario.misconduct, hidden_base=chooser(seed, "base").choice(bases))
    if scenario.misconduct is Misconduct.UNDERSTATED_WARHEADS:
        missiles = sorted(i.uid for i in counted_missiles(spec, first, eligible))
        count = min(UNDERSTATED_MISSILES, len(missiles))
        picked = chooser(seed, "missiles").sample(missiles, count)
        return RedTeam(party, scenario.misconduct, understated=frozenset(picked))
    return RedTeam(party, scenario.misconduct)


def physical(inventory: Inventory, red: RedTeam | None) -> Inventory:
    """What is really at the party's sites: the declaration, with the red team's misconduct."""
    if red is None or red.party != inventory.party:
        return inventory
    items = list(inventory.items)
    if red.hidden_base is not None:
        items += _hidden(inventory, red.hidden_base)
    if red.understated:
        items = [
            replace(i, warheads=(i.warheads or 0) + 1) if i.uid in red.understated else i
            for i in items
        ]
    return Inventory(party=inventory.party, facilities=inventory.facilities, items=tuple(items))


def delegations(
    spec: TreatySpec,
    scenario: Scenario,
    seed: int,
    as_ofs: list[dt.date],
    eligible: frozenset[str],
) -> tuple[dict[str, Delegation], RedTeam | None]:
    """Every party's delegation for a year whose exchanges are as of ``as_ofs``."""
    parties = [p.id for p in spec.parties]
    declared = {p: {d: reconstruct(spec, p, d) for d in as_ofs} for p in parties}
    cheating = scenario.misconduct is not Misconduct.NONE
    red_party = chooser(seed, "red team").choice(parties) if cheating else None
    first = declared[red_party][as_ofs[0]] if red_party else None
    red = red_team(spec, scenario, seed, parties, first=first, eligible=eligible)
    out = {
        p: Delegation(
            party=p,
            signer=Signer(name=origin_for(p), seed=derived_bytes(seed, f"log key {p}")),
            declared=declared[p],
            physical={d: physical(inv, red) for d, inv in declared[p].items()},
        )
        for p in parties
    }
    return out, red
