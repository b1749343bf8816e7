"""Central limits and the counting rules that say what counts toward them."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["CountBasis", "CountingRule", "Each", "Limit"]


class CountBasis(enum.Enum):
    """How much one matching item counts for."""

    ITEM = "item"
    """One per item."""
    WARHEADS = "warheads"
    """The number of warheads (reentry vehicles) actually on the item."""
    FIXED = "fixed"
    """A fixed number per item, whatever it carries (a deployed heavy bomber counts as one)."""


@dataclass(frozen=True)
class Each:
    """What each matching item counts for: ``item``, ``warheads`` or a fixed number."""

    basis: CountBasis
    fixed: int = 0

    def __post_init__(self) -> None:
        if self.basis is CountBasis.FIXED:
            if self.fixed < 0:
                raise ValueError(f"a fixed count must be non-negative, got {self.fixed}")
        elif self.fixed != 0:
            raise ValueError("only a fixed count takes a number")

    @classmethod
    def parse(cls, value: object) -> Each:
        """Read ``"item"``, ``"warheads"`` or a non-negative integer."""
        if isinstance(value, bool):
            raise ValueError(f"expected 'item', 'warheads' or a number, got {value!r}")
        if isinstance(value, int):
            return cls(CountBasis.FIXED, value)
        if value == CountBasis.ITEM.value:
            return cls(CountBasis.ITEM)
        if value == CountBasis.WARHEADS.value:
            return cls(CountBasis.WARHEADS)
        raise ValueError(f"expected 'item', 'warheads' or a non-negative integer, got {value!r}")

    def to_json(self) -> str | int:
        """The form :meth:`parse` reads."""
        return self.fixed if self.basis is CountBasis.FIXED else self.basis.value

    def describe(self) -> str:
        """A short phrase for people: 'one each', 'its warheads', '2 each'."""
        if self.basis is CountBasis.ITEM:
            return "one each"
        if self.basis is CountBasis.WARHEADS:
            return "its warheads"
        return f"{self.fixed} each, whatever it carries"


@dataclass(frozen=True)
class CountingRule:
    """Items of these kinds in these statuses count toward a limit, ``each`` as given."""

    kinds: frozenset[str]
    statuses: frozenset[str]
    each: Each
    note: str = ""

    def __post_init__(self) -> None:
        if not self.kinds:
            raise ValueError("a counting rule needs at least one item kind")
        if not self.statuses:
            raise ValueError("a counting rule needs at least one status")

    def matches(self, kind: str, status: str) -> bool:
        """Whether an item of this kind and status counts under this rule."""
        return kind in self.kinds and status in self.statuses


@dataclass(frozen=True)
class Limit:
    """A central limit: a cap on a count, binding from ``effective`` until the treaty expires.

    ``cap`` applies to every party unless ``party_caps`` gives that party its own.
    """

    id: str
    name: str
    cap: int
    effective: dt.date
    counting: tuple[CountingRule, ...]
    party_caps: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.id):
            raise ValueError(f"a limit id must be lower_snake_case (a-z, 0-9, _), got {self.id!r}")
        if self.cap < 0:
            raise ValueError(f"a cap must be non-negative, got {self.cap}")
        for party, cap in self.party_caps.items():
            if cap < 0:
                raise ValueError(f"the cap for {party} must be non-negative, got {cap}")
        if not self.counting:
            raise ValueError("a limit needs at least one counting rule")
        seen: dict[tuple[str, str], int] = {}
        for i, rule in enumerate(self.counting):
            for kind in sorted(rule.kinds):
                for status in sorted(rule.statuses):
                    if (kind, status) in seen:
                        raise ValueError(
                            f"counting rules {seen[kind, status]} and {i} both count "
                            f"{kind} items with status {status}: each would be counted twice"
                        )
                    seen[kind, status] = i
        # Freeze the mapping so the dataclass is immutable all the way down.
        object.__setattr__(self, "party_caps", MappingProxyType(dict(self.party_caps)))

    def cap_for(self, party: str) -> int:
        """The cap that applies to ``party``."""
        return self.party_caps.get(party, self.cap)

    def rule_for(self, kind: str, status: str) -> CountingRule | None:
        """The one counting rule an item of this kind and status falls under, if any."""
        for rule in self.counting:
            if rule.matches(kind, status):
                return rule
        return None
