"""Allocating a fixed number of inspections across sites: worst-case detection and deterrence.

Site ``i`` is worth ``v_i`` to a cheater and an inspection there misses a
violation with probability ``beta_i``. The inspector inspects site ``i`` with
probability ``p_i``, ``0 <= p_i <= 1``, ``sum p_i = K``.

* **Zero-sum** (:func:`allocate_detection`): the cheater picks the site with
  the largest expected undetected gain ``v_i (1 - p_i (1 - beta_i))``; the
  inspector makes that largest gain, the game value ``V``, as small as
  possible by equalising it over the sites it covers (water-filling):
  ``p_i = (1 - V/v_i) / (1 - beta_i)``, none for sites with ``v_i <= V``, capped at
  one. The total is piecewise linear in ``V``, so ``V`` is found exactly on
  the right segment. Inspections the value does not need go, the same way,
  to the sites that do not bind it.
* **Deterrence** (:func:`allocate_deterrence`, inspector leadership): a site is
  deterred when ``p_i (1 - beta_i) >= d_i / (d_i + b_i)`` (gain ``d_i`` if
  undetected, sanction ``b_i`` if caught), plus an optional margin, since at
  the threshold the cheater is exactly indifferent. Full deterrence costs
  ``sum_i d_i / ((d_i + b_i)(1 - beta_i))`` inspections; with fewer, the
  sites needing the least are deterred first, which deters the most sites.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from treatyledger.assurance.inputs import PlanInputError, check_count, check_probability

__all__ = [
    "DetectionPlan",
    "DetectionShare",
    "DeterrencePlan",
    "DeterrenceShare",
    "InspectionSite",
    "allocate_detection",
    "allocate_deterrence",
    "deters",
]

_ID: Final = re.compile(r"\S+")
_SLACK: Final = 1e-12
"""Relative slack when adding up probabilities, so rounding never leaves a site undeterred."""


def _positive(value: float | None, what: str, *, zero: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlanInputError(what, f"must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not zero):
        raise PlanInputError(what, f"must be {'at least 0' if zero else 'positive'}, got {value:g}")


@dataclass(frozen=True)
class InspectionSite:
    """One site (or stratum) that inspections can be sent to.

    ``items`` is the number of declared items there (reported, not used by the
    allocation); ``value`` what a violation there is worth to the cheater;
    ``non_detection`` the probability that one inspection misses a violation;
    ``gain`` and ``sanction`` (deterrence only) what an undetected violation
    gains and what a detected one costs.
    """

    id: str
    items: int
    value: float
    non_detection: float
    gain: float | None = None
    sanction: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise PlanInputError("site id", f"must be non-empty, without spaces, got {self.id!r}")
        where = f"site {self.id}"
        check_count(self.items, f"{where}: items")
        _positive(self.value, f"{where}: value")
        check_probability(self.non_detection, f"{where}: non_detection", zero=True, one=True)
        _positive(self.gain, f"{where}: gain")
        _positive(self.sanction, f"{where}: sanction", zero=True)

    def json(self) -> dict[str, Any]:
        """The site's inputs under the column names of the sites file."""
        out: dict[str, Any] = {
            "id": self.id,
            "items": self.items,
            "value": self.value,
            "non_detection": self.non_detection,
        }
        if self.gain is not None:
            out["gain"] = self.gain
        if self.sanction is not None:
            out["sanction"] = self.sanction
        return out


def _check_sites(sites: Sequence[InspectionSite], inspections: int) -> None:
    if not sites:
        raise PlanInputError("sites", "there are no sites to allocate inspections to")
    seen: set[str] = set()
    for site in sites:
        if site.id in seen:
            raise PlanInputError("sites", f"site {site.id!r} is listed twice")
        seen.add(site.id)
    check_count(inspections, "inspections")


# -- zero-sum ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetectionShare:
    """One site's share of a zero-sum plan."""

    site: InspectionSite
    probability: float
    """The probability that the site is inspected."""
    detection: float
    """The probability that a violation there is detected, ``p (1 - beta)``."""
    expected_gain: float
    """The cheater's expected undetected gain there, ``v (1 - detection)``."""


@dataclass(frozen=True)
class DetectionPlan:
    """The inspection probabilities that minimise the cheater's best expected gain."""

    inspections: int
    value: float
    """The game value: the cheater's largest expected undetected gain over all sites."""
    guaranteed_detection: float
    """``1 - value / max v``: the share of the most valuable site's worth the cheater loses
    in expectation, whatever it does; with equal values, the detection probability at
    every covered site."""
    unused: float
    """Inspections left over once every site that can be inspected is, with certainty."""
    shares: tuple[DetectionShare, ...]

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON: totals, then one object per site in input order."""
        return {
            "objective": "detection",
            "inspections": self.inspections,
            "value": self.value,
            "guaranteed_detection": self.guaranteed_detection,
            "unused": self.unused,
            "sites": [
                {
                    **s.site.json(),
                    "probability": s.probability,
                    "detection": s.detection,
                    "expected_gain": s.expected_gain,
                }
                for s in self.shares
            ],
        }


def _probabilities(value: float, v: np.ndarray, e: np.ndarray) -> np.ndarray:
    out = np.zeros_like(v)
    live = e > 0
    out[live] = np.clip((1.0 - value / v[live]) / e[live], 0.0, 1.0)
    return out


def _game_value(v: np.ndarray, e: np.ndarray, inspections: float) -> float:
    """The smallest largest expected gain ``inspections`` can achieve over these sites."""
    floor = float(np.max(v * (1.0 - e)))  # with every site inspected for certain

    def total(value: float) -> float:
        return float(_probabilities(value, v, e).sum())

    if inspections <= 0:
        return float(v.max())
    if total(floor) <= inspections:
        return floor
    # total() is linear between consecutive break points (a site starts or stops
    # taking more): find the segment where it crosses K, then solve on it exactly.
    live = e > 0
    points = np.unique(np.concatenate([v[live], (v * (1.0 - e))[live], [floor]]))
    points = points[points >= floor]
    low, high = 0, len(points) - 1  # total(points[low]) > K >= total(points[high])
    while high - low > 1:
        middle = (low + high) // 2
        if total(float(points[middle])) > inspections:
            low = middle
        else:
            high = middle
    p = _probabilities(float((points[low] + points[high]) / 2.0), v, e)
    active = (p > 0.0) & (p < 1.0)
    full = int(np.count_nonzero(p >= 1.0))
    slope = float(np.sum(1.0 / (v[active] * e[active])))
    value = (float(np.sum(1.0 / e[active])) + full - inspections) / slope
    return min(max(value, float(points[low])), float(points[high]))


def allocate_detection(sites: Sequence[InspectionSite], inspections: int) -> DetectionPlan:
    """The zero-sum allocation of ``inspections`` over ``sites`` (see the module docstring).

    When the sites that bound the game value are inspected for certain and
    inspections are left, they go to the other sites the same way (the
    value does not change; the other sites' expected gains fall), until
    every site is inspected for certain; what is then left is ``unused``.
    """
    _check_sites(sites, inspections)
    v = np.array([s.value for s in sites], dtype=np.float64)
    e = 1.0 - np.array([s.non_detection for s in sites], dtype=np.float64)
    p = np.zeros_like(v)
    open_ = np.ones(len(sites), dtype=bool)
    left = float(inspections)
    value = _game_value(v, e, left)
    level = value
    while True:
        p[open_] = _probabilities(level, v[open_], e[open_])
        spare = left - float(p[open_].sum())
        if spare <= 1e-12 * max(1.0, inspections) or not open_.any():
            break
        # The sites that set this level are inspected for certain (or cannot be helped).
        binding = open_ & (v * (1.0 - e) >= level * (1.0 - 1e-12))
        left -= float(p[binding].sum())
        open_ &= ~binding
        if not open_.any():
            break
        level = _game_value(v[open_], e[open_], left)
    unused = max(0.0, inspections - float(p.sum()))
    detection = p * e
    return DetectionPlan(
        inspections=inspections,
        value=value,
        guaranteed_detection=1.0 - value / float(v.max()),
        unused=unused if unused > 1e-9 else 0.0,
        shares=tuple(
            DetectionShare(
                site=site,
                probability=float(p[i]),
                detection=float(detection[i]),
                expected_gain=float(v[i] * (1.0 - detection[i])),
            )
            for i, site in enumerate(sites)
        ),
    )


# -- deterrence -------------------------------------------------------------------------------


def deters(
    probability: float,
    *,
    non_detection: float,
    gain: float,
    sanction: float,
    false_alarm: float = 0.0,
    alarm_cost: float = 0.0,
) -> bool:
    """Whether inspecting with ``probability`` deters a violation at one site.

    Legal behaviour gains nothing and costs ``alarm_cost`` after a false
    alarm; a violation gains ``gain`` undetected and loses ``sanction`` when
    caught. The violation is deterred when its expected payoff is below the
    legal one. With no false alarms this is ``p (1 - beta) > d / (d + b)``; with
    ``p = 1`` and false alarms it is the reference's ``beta <= (b - h alpha) / (b + d)``.
    """
    check_probability(probability, "probability", zero=True, one=True)
    beta = check_probability(non_detection, "non_detection", zero=True, one=True)
    _positive(gain, "gain")
    _positive(sanction, "sanction", zero=True)
    alpha = check_probability(false_alarm, "false_alarm", zero=True, one=True)
    _positive(alarm_cost, "alarm_cost", zero=True)
    caught = probability * (1.0 - beta)
    legal = -probability * alpha * alarm_cost
    violation = (1.0 - caught) * gain - caught * sanction
    return violation <= legal  # at equality the cheater is indifferent: the reference's >=


@dataclass(frozen=True)
class DeterrenceShare:
    """One site under a deterrence plan."""

    site: InspectionSite
    threshold: float
    """The detection probability that deters: ``d / (d + b)`` plus the margin."""
    needed: float | None
    """The inspection probability that reaches the threshold; None if even 1 does not."""
    probability: float
    deterred: bool


@dataclass(frozen=True)
class DeterrencePlan:
    """Which sites ``K`` inspections deter, and what deterring all of them would cost."""

    inspections: int
    margin: float
    budget: float | None
    """Inspections needed to deter every site; None when some site cannot be deterred."""
    deterrable_budget: float
    """Inspections needed to deter every site that can be deterred."""
    unused: float
    shares: tuple[DeterrenceShare, ...]

    @property
    def deterred(self) -> tuple[str, ...]:
        """The ids of the sites deterred with the plan's inspections."""
        return tuple(s.site.id for s in self.shares if s.deterred)

    @property
    def undeterrable(self) -> tuple[str, ...]:
        """The ids of the sites no inspection probability deters."""
        return tuple(s.site.id for s in self.shares if s.needed is None)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON: totals and lists of ids, then one object per site in input order."""
        return {
            "objective": "deterrence",
            "inspections": self.inspections,
            "margin": self.margin,
            "budget": self.budget,
            "deterrable_budget": self.deterrable_budget,
            "deterred": list(self.deterred),
            "not_deterred": [s.site.id for s in self.shares if not s.deterred],
            "undeterrable": list(self.undeterrable),
            "unused": self.unused,
            "sites": [
                {
                    **s.site.json(),
                    "threshold": s.threshold,
                    "needed": s.needed,
                    "probability": s.probability,
                    "deterred": s.deterred,
                }
                for s in self.shares
            ],
        }


def allocate_deterrence(
    sites: Sequence[InspectionSite], inspections: int, *, margin: float = 0.0
) -> DeterrencePlan:
    """Deter as many sites as ``inspections`` allow (see the module docstring).

    Every site needs ``gain`` and ``sanction``. ``margin`` (from 0 to below 1) is
    added to each threshold so that a deterred cheater strictly prefers to comply.
    """
    _check_sites(sites, inspections)
    margin = check_probability(margin, "margin", zero=True)
    thresholds: list[float] = []
    needs: list[float | None] = []
    for site in sites:
        if site.gain is None or site.sanction is None:
            raise PlanInputError(f"site {site.id}", "deterrence needs its gain and sanction")
        threshold = site.gain / (site.gain + site.sanction) + margin
        effect = 1.0 - site.non_detection
        need = threshold / effect if effect > 0 else math.inf
        thresholds.append(threshold)
        needs.append(min(need, 1.0) if need <= 1.0 + _SLACK else None)
    order = sorted(
        ((need, i) for i, need in enumerate(needs) if need is not None),
        key=lambda pair: (pair[0], -sites[pair[1]].value, sites[pair[1]].id),
    )
    chosen: set[int] = set()
    spent = 0.0
    for need, i in order:
        if spent + need > inspections * (1.0 + _SLACK):
            break
        chosen.add(i)
        spent += need
    deterrable = math.fsum(n for n in needs if n is not None)
    return DeterrencePlan(
        inspections=inspections,
        margin=margin,
        budget=None if any(n is None for n in needs) else deterrable,
        deterrable_budget=deterrable,
        unused=max(0.0, inspections - spent),
        shares=tuple(
            DeterrenceShare(
                site=site,
                threshold=thresholds[i],
                needed=needs[i],
                probability=(needs[i] or 0.0) if i in chosen else 0.0,
                deterred=i in chosen,
            )
            for i, site in enumerate(sites)
        ),
    )
