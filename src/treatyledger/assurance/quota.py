"""The exact probability that a year of quota inspections catches a cheat.

The model is :mod:`.regime`'s: ``q`` tickets drawn without replacement from
an urn of ``cap`` tickets per eligible site, so the visits ``c_s`` to each
site follow the multivariate hypergeometric law
``prod_s C(cap, c_s) / C(S cap, q)``. Given the visits, a cheat escapes

* at a site with ``N`` undeclared items: ``(1 - r)^(N c_s)``;
* at a site with ``W`` of its ``D`` missiles understated, where ``min(c_s, D)``
  distinct missiles are counted: ``E[(1 - r)^X]``, ``X`` hypergeometric
  (``D``, ``W``, ``min(c_s, D)``);
* spread over all ``D`` missiles: ``E[(1 - r)^X]`` with ``X`` hypergeometric
  (``D``, ``W``, ``u``), ``u = sum_s min(c_s, D_s)`` the missiles counted in the year.

with ``r`` the recognition probability. The expectation over the visits is
taken exactly by a dynamic programme over the sites, carrying the number of
inspections placed and (for a spread cheat) the missiles counted; each site's
conditional law is a ratio of exact integer binomials.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from treatyledger.assurance.cheat import Cheat
from treatyledger.assurance.hypergeometric import non_detection
from treatyledger.assurance.inputs import PlanInputError, check_count, check_probability
from treatyledger.assurance.regime import QuotaRegime, QuotaSite

__all__ = [
    "QuotaCurve",
    "QuotaReport",
    "check_inspections",
    "quota_curve",
    "quota_non_detection",
    "quota_report",
]


def check_inspections(regime: QuotaRegime, inspections: int | None) -> int:
    """``inspections`` (default: the quota), checked against what the urn allows."""
    count = regime.quota if inspections is None else inspections
    check_count(count, "inspections")
    most = regime.max_inspections
    if most is not None and count > most:
        raise PlanInputError(
            "inspections",
            f"{count} a year is more than {len(regime.sites)} sites allow "
            f"at {regime.per_site_cap} each ({most})",
        )
    return count


def _site_factors(
    site: QuotaSite, cheat: Cheat, regime: QuotaRegime, *, cap: int, recognition: float
) -> list[float]:
    """The probability that the cheat at ``site`` escapes ``k`` visits, for k = 0..cap."""
    factors = [1.0] * (cap + 1)
    for part in cheat.undeclared:
        if part.site == site.id:
            escape = (1.0 - recognition) ** part.count
            factors = [f * escape**k for k, f in enumerate(factors)]
    if regime.counts_reentry_vehicles:
        for under in cheat.understated:
            if under.site == site.id:
                factors = [
                    f
                    * non_detection(
                        site.missiles, under.missiles, min(k, site.missiles), recognition
                    )
                    for k, f in enumerate(factors)
                ]
    return factors


def quota_non_detection(
    regime: QuotaRegime,
    cheat: Cheat,
    *,
    inspections: int | None = None,
    recognition: float = 1.0,
) -> float:
    """The exact probability that ``inspections`` (default: the quota) miss ``cheat`` all year."""
    q = check_inspections(regime, inspections)
    r = check_probability(recognition, "recognition", one=True)
    cap = regime.cap_for(q)
    spread = cheat.spread if regime.counts_reentry_vehicles else None
    width = min(q, regime.missiles) + 1 if spread is not None else 1
    dp = np.zeros((q + 1, width))
    dp[0, 0] = 1.0
    count = len(regime.sites)
    for position, site in enumerate(regime.sites):
        left = (count - position) * cap  # tickets of this site and the ones after it
        factors = _site_factors(site, cheat, regime, cap=cap, recognition=r)
        new = np.zeros_like(dp)
        for placed in range(q + 1):
            row = dp[placed]
            if not row.any():
                continue
            still = q - placed
            ways = math.comb(left, still)
            for k in range(min(cap, still) + 1):
                # P(k of the remaining draws hit this site | `still` left among `left` tickets)
                weight = math.comb(cap, k) * math.comb(left - cap, still - k) / ways
                if weight == 0.0:
                    continue
                shift = min(k, site.missiles) if spread is not None else 0
                new[placed + k, shift:] += (weight * factors[k]) * row[: width - shift]
        dp = new
    final = dp[q]
    if spread is None:
        return float(final.sum())
    escapes = [
        non_detection(regime.missiles, spread.missiles, counted, r) for counted in range(width)
    ]
    return float(np.dot(final, escapes))


@dataclass(frozen=True)
class QuotaCurve:
    """Detection probability against the number of inspections a year, for several cheats."""

    regime: QuotaRegime
    recognition: float
    inspections: tuple[int, ...]
    cheats: tuple[Cheat, ...]
    detection: tuple[tuple[float, ...], ...]
    """``detection[i][k]``: cheat ``i`` against ``inspections[k]`` inspections."""

    def to_json(self) -> dict[str, Any]:
        """The curve's data: one series per cheat."""
        return {
            "treaty": self.regime.treaty,
            "party": self.regime.party,
            "inspection_type": self.regime.inspection_type,
            "quota": self.regime.quota,
            "recognition": self.recognition,
            "inspections": list(self.inspections),
            "series": [
                {"cheat": c.text, "detection_probability": list(d)}
                for c, d in zip(self.cheats, self.detection, strict=True)
            ],
        }


def quota_curve(
    regime: QuotaRegime,
    cheats: Sequence[Cheat],
    *,
    max_inspections: int | None = None,
    recognition: float = 1.0,
) -> QuotaCurve:
    """Exact detection for 0..``max_inspections`` inspections a year for every cheat.

    The default range ends where the per-site cap stops it, or at twice the
    quota without a cap.
    """
    if not cheats:
        raise PlanInputError("cheat", "give at least one cheat to draw")
    default = regime.max_inspections or 2 * max(1, regime.quota)
    top = check_inspections(regime, default if max_inspections is None else max_inspections)
    if top < 1:
        raise PlanInputError("max inspections", "must be at least 1")
    counts = tuple(range(top + 1))
    rows = tuple(
        tuple(
            1.0 - quota_non_detection(regime, cheat, inspections=k, recognition=recognition)
            for k in counts
        )
        for cheat in cheats
    )
    return QuotaCurve(
        regime=regime,
        recognition=float(recognition),
        inspections=counts,
        cheats=tuple(cheats),
        detection=rows,
    )


@dataclass(frozen=True)
class QuotaReport:
    """The answer of ``treaty plan quota``: the regime, the cheat and the exact figure."""

    regime: QuotaRegime
    cheat: Cheat
    inspections: int
    recognition: float
    non_detection: float

    def to_json(self) -> dict[str, Any]:
        """The report under its documented JSON names (``monte_carlo`` is added by the caller)."""
        return {
            "treaty": self.regime.treaty,
            "party": self.regime.party,
            "inspection_type": self.regime.inspection_type,
            "quota": self.regime.quota,
            "inspections": self.inspections,
            "per_site_cap": self.regime.per_site_cap,
            "sites": [
                {"id": s.id, "kind": s.kind, "missiles": s.missiles} for s in self.regime.sites
            ],
            "cheat": self.cheat.text,
            "recognition": self.recognition,
            "detection_probability": 1.0 - self.non_detection,
            "non_detection": self.non_detection,
        }


def quota_report(
    regime: QuotaRegime,
    cheat: Cheat,
    *,
    inspections: int | None = None,
    recognition: float = 1.0,
) -> QuotaReport:
    """:func:`quota_non_detection` with everything needed to report it."""
    count = check_inspections(regime, inspections)
    return QuotaReport(
        regime=regime,
        cheat=cheat,
        inspections=count,
        recognition=float(recognition),
        non_detection=quota_non_detection(
            regime, cheat, inspections=count, recognition=recognition
        ),
    )
