"""The counting engine: from an itemised inventory to every limit's count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from treatyledger.errors import InventoryError, NotFoundError
from treatyledger.treaty.limits import CountBasis, CountingRule, Limit
from treatyledger.treaty.spec import TreatySpec

__all__ = ["Item", "LimitCount", "RuleCount", "check_items", "count_limit", "count_limits"]


@dataclass(frozen=True)
class Item:
    """One accountable item of a declared inventory.

    ``warheads`` is the number of warheads (reentry vehicles) actually on the
    item, given only for kinds that carry warheads; None otherwise.
    """

    uid: str
    kind: str
    type: str
    status: str
    facility: str
    warheads: int | None = None

    def __post_init__(self) -> None:
        if not self.uid or self.uid.strip() != self.uid:
            raise InventoryError(
                item=repr(self.uid),
                field="uid",
                problem="must be non-empty, without surrounding spaces",
            )
        if isinstance(self.warheads, bool):
            raise InventoryError(
                item=self.uid, field="warheads", problem="must be a whole number, not true/false"
            )
        if self.warheads is not None and self.warheads < 0:
            raise InventoryError(
                item=self.uid,
                field="warheads",
                problem=f"must be non-negative, got {self.warheads}",
            )


@dataclass(frozen=True)
class RuleCount:
    """How much one counting rule contributed, and from how many items."""

    rule: CountingRule
    items: int
    count: int


@dataclass(frozen=True)
class LimitCount:
    """A limit's count for one party's inventory, with its breakdown per rule."""

    limit: Limit
    party: str
    count: int
    cap: int
    by_rule: tuple[RuleCount, ...]

    @property
    def headroom(self) -> int:
        """Cap minus count: negative when the limit is exceeded."""
        return self.cap - self.count

    @property
    def exceeded(self) -> bool:
        """Whether the count is above the cap (a count equal to the cap is within it)."""
        return self.count > self.cap


def check_items(spec: TreatySpec, items: Iterable[Item]) -> list[Item]:
    """Check items against the specification's kinds and statuses; raise on the first problem."""
    checked: list[Item] = []
    seen: set[str] = set()
    statuses = {s.id for s in spec.statuses}
    for item in items:
        kind = spec.item_kind(item.kind)
        if kind is None:
            known = ", ".join(k.id for k in spec.item_kinds)
            raise InventoryError(
                item=item.uid, field="kind", problem=f"unknown kind {item.kind!r} (known: {known})"
            )
        if item.status not in statuses:
            known = ", ".join(sorted(statuses))
            raise InventoryError(
                item=item.uid,
                field="status",
                problem=f"unknown status {item.status!r} (known: {known})",
            )
        if item.uid in seen:
            raise InventoryError(item=item.uid, field="uid", problem="declared twice")
        if not kind.carries_warheads and item.warheads is not None:
            raise InventoryError(
                item=item.uid, field="warheads", problem=f"a {kind.id} declares no warheads"
            )
        seen.add(item.uid)
        checked.append(item)
    return checked


def count_limit(spec: TreatySpec, limit: Limit, party: str, items: Iterable[Item]) -> LimitCount:
    """Count one party's items toward one limit.

    An item whose rule counts warheads must declare its warheads; a missing
    number is an error, never taken as zero.
    """
    return _count(limit, party, check_items(spec, items))


def _count(limit: Limit, party: str, inventory: list[Item]) -> LimitCount:
    per_rule = {id(rule): [0, 0] for rule in limit.counting}
    for item in inventory:
        rule = limit.rule_for(item.kind, item.status)
        if rule is None:
            continue
        if rule.each.basis is CountBasis.ITEM:
            amount = 1
        elif rule.each.basis is CountBasis.FIXED:
            amount = rule.each.fixed
        elif item.warheads is None:
            raise InventoryError(
                item=item.uid,
                field="warheads",
                problem=f"a {item.status} {item.kind} counts its warheads toward "
                f"{limit.id}, but none are declared",
            )
        else:
            amount = item.warheads
        tally = per_rule[id(rule)]
        tally[0] += 1
        tally[1] += amount
    by_rule = tuple(RuleCount(rule, *per_rule[id(rule)]) for rule in limit.counting)
    return LimitCount(
        limit=limit,
        party=party,
        count=sum(r.count for r in by_rule),
        cap=limit.cap_for(party),
        by_rule=by_rule,
    )


def count_limits(
    spec: TreatySpec, party: str, items: Iterable[Item], *, on: dt.date | None = None
) -> list[LimitCount]:
    """Every limit's count for ``party``; with ``on``, only the limits binding that day."""
    if spec.party(party) is None:
        known = ", ".join(p.id for p in spec.parties)
        raise NotFoundError(f"{party!r} is not a party to {spec.id} (parties: {known})")
    inventory = check_items(spec, items)
    limits = spec.limits if on is None else spec.limits_in_force(on)
    return [_count(limit, party, inventory) for limit in limits]
