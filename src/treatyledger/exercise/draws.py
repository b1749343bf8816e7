"""The year's inspections drawn verifiably, as the assurance planner models them.

For every inspection type, the year's designations of an inspected party's
sites are one verifiable draw (:func:`treatyledger.assurance.draw.draw_sites`):
the drawing party commits to a seed before the inspected party's first data
exchange of the year, the first checkpoint of the inspected party's log after
that exchange fixes the draw, and the seed is revealed after the year's
inspections (:mod:`treatyledger.assurance.draw_record`, which ``treaty plan
draw --verify`` uses to recompute it). The urn holds the treaty's per-site cap of tickets for each
eligible site of that declaration, exactly the planner's model
(:mod:`treatyledger.assurance.regime`).

Who draws: with a quota per pair of parties, each inspecting party draws its
own inspections of each other party; with a quota per inspected party (shared
by all inspectors), the party after the inspected one in the treaty's order
draws, and the inspections go to the other parties in turn.

Each inspection counting reentry vehicles designates one deployed missile of
the site not designated there before in the year, uniformly: index
``uniform_indices`` of the stream ``draw_stream(seed, context || "reentry
vehicles\\n" || site || "\\n" || visit || "\\n")`` over the site's declared
missiles sorted by UID, ``visit`` counting the site's earlier inspections of
that type in the year from 0. Anyone holding the revealed seed and the two
logs can recompute every designation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from treatyledger.assurance.draw import (
    DrawPurpose,
    draw_context,
    draw_sites,
    draw_stream,
    seed_hash,
    uniform_indices,
)
from treatyledger.escrow.inventory import Inventory
from treatyledger.exercise.parties import counted_missiles, derived_bytes
from treatyledger.ledger import Ref
from treatyledger.log.checkpoint import parse_checkpoint
from treatyledger.log.note import parse_note
from treatyledger.treaty.inspections import InspectionType
from treatyledger.treaty.spec import TreatySpec

__all__ = ["DrawKey", "Visit", "YearDraws"]


@dataclass(frozen=True)
class DrawKey:
    """One draw: who draws, whose sites, which inspection type."""

    drawer: str
    inspected: str
    type: InspectionType


@dataclass(frozen=True)
class Visit:
    """One drawn inspection: the draw it belongs to, its inspector, site and number in the draw."""

    key: DrawKey
    inspector: str
    site: str
    number: int

    @property
    def inspected(self) -> str:
        """The inspected party."""
        return self.key.inspected

    @property
    def type(self) -> InspectionType:
        """The inspection type."""
        return self.key.type


@dataclass
class _Fixed:
    purpose: DrawPurpose
    sites: tuple[str, ...]
    kinds: dict[str, str]
    exchange: Ref


@dataclass
class YearDraws:
    """Every draw of the year, from commitment to designations."""

    spec: TreatySpec
    quota_year: dt.date
    parties: list[str]
    seed: int
    sizes: dict[DrawKey, int] = field(default_factory=dict)
    committed: dict[DrawKey, Ref] = field(default_factory=dict)
    revealed: dict[DrawKey, Ref] = field(default_factory=dict)
    _fixed: dict[DrawKey, _Fixed] = field(default_factory=dict)
    _designated: dict[tuple[DrawKey, str], list[str]] = field(default_factory=dict)

    def all_keys(self) -> list[DrawKey]:
        """Every draw of the year, in a fixed order."""
        per_pair = self.spec.inspections.quota_scope.value == "per_pair"
        out = []
        for n, inspected in enumerate(self.parties):
            others = [p for p in self.parties if p != inspected]
            drawers = others if per_pair else [self.parties[(n + 1) % len(self.parties)]]
            for drawer in drawers:
                for itype in self.spec.inspections.types:
                    out.append(DrawKey(drawer, inspected, itype))
        return out

    def seed_of(self, key: DrawKey) -> bytes:
        """The drawing party's secret seed for this draw."""
        return derived_bytes(
            self.seed, f"draw seed {key.drawer} {key.inspected} {key.type.id} {self.quota_year}"
        )

    def plan_sizes(self, first: dict[str, Inventory]) -> None:
        """How many designations each draw makes: the quota, or all the urn holds."""
        cap = self.spec.inspections.max_per_site_per_year or max(
            t.annual_quota for t in self.spec.inspections.types
        )
        for key in self.all_keys():
            sites = [
                f for f in first[key.inspected].facilities if f.kind in key.type.facility_kinds
            ]
            self.sizes[key] = min(key.type.annual_quota, cap * len(sites))

    def commitment_payload(self, key: DrawKey) -> dict[str, Any]:
        """The ``draw_commitment`` payload."""
        return {
            "seed_sha256": seed_hash(self.seed_of(key)).hex(),
            "inspected_party": key.inspected,
            "inspection_type": key.type.id,
            "quota_year": self.quota_year.isoformat(),
            "size": self.sizes[key],
        }

    def fix(self, inspected: str, exchange: Ref, checkpoint: bytes, inventory: Inventory) -> None:
        """Fix the inspected party's draws with the first checkpoint after its exchange."""
        body = parse_note(checkpoint).text
        point = parse_checkpoint(body)
        if point.size != exchange.index + 1:
            raise ValueError(
                f"the draw needs the checkpoint of size {exchange.index + 1} (the first "
                f"containing the declaration), not {point.size}"
            )
        cap = self.spec.inspections.max_per_site_per_year or max(
            t.annual_quota for t in self.spec.inspections.types
        )
        for key in self.all_keys():
            if key.inspected != inspected or key not in self.committed:
                continue
            eligible = [f for f in inventory.facilities if f.kind in key.type.facility_kinds]
            purpose = DrawPurpose(
                treaty=self.spec.id,
                inspected_party=inspected,
                inspection_type=key.type.id,
                quota_year=self.quota_year,
                size=self.sizes[key],
                cap=cap,
                origin=point.origin,
                tree_size=point.size,
                root_hash=point.root_hash,
            )
            sites = draw_sites(self.seed_of(key), purpose, [f.id for f in eligible])
            self._fixed[key] = _Fixed(purpose, sites, {f.id: f.kind for f in eligible}, exchange)

    def visits(self, inspected: str) -> list[Visit]:
        """The inspected party's drawn inspections in the order they happen (types alternate)."""
        lanes: list[list[Visit]] = []
        for key, fixed in self._fixed.items():
            if key.inspected != inspected:
                continue
            others = [p for p in self.parties if p != inspected]
            inspectors = [key.drawer] if len(others) == 1 or self._per_pair() else others
            lanes.append(
                [
                    Visit(key, inspectors[n % len(inspectors)], site, n)
                    for n, site in enumerate(fixed.sites)
                ]
            )
        out: list[Visit] = []
        for row in range(max((len(lane) for lane in lanes), default=0)):
            out += [lane[row] for lane in lanes if row < len(lane)]
        return out

    def _per_pair(self) -> bool:
        return self.spec.inspections.quota_scope.value == "per_pair"

    def site_kind(self, visit: Visit) -> str:
        """The kind of the visited site, as declared when the draw was fixed."""
        return self._fixed[visit.key].kinds[visit.site]

    def reveal(self, key: DrawKey) -> tuple[dict[str, Any], tuple[Ref, Ref]] | None:
        """The ``draw_reveal`` payload and refs, unless the seed is already revealed."""
        if key in self.revealed or key not in self._fixed:
            return None
        return {"seed": self.seed_of(key).hex()}, (self.committed[key], self._fixed[key].exchange)

    def missile(self, visit: Visit, declared: Inventory) -> str | None:
        """The deployed missile whose reentry vehicles this visit counts (None: none there)."""
        fixed = self._fixed[visit.key]
        done = self._designated.setdefault((visit.key, visit.site), [])
        candidates = sorted(
            i.uid
            for i in counted_missiles(self.spec, declared, frozenset(visit.type.facility_kinds))
            if i.facility == visit.site and i.uid not in done
        )
        if not candidates:
            return None
        context = draw_context(fixed.purpose) + (
            f"reentry vehicles\n{visit.site}\n{len(done)}\n".encode()
        )
        (index,) = uniform_indices(draw_stream(self.seed_of(visit.key), context), [len(candidates)])
        done.append(candidates[index])
        return candidates[index]
