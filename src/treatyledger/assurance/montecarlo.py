"""Monte Carlo simulation of a year of quota inspections: the cross-check of the exact figures.

Each replication plays the year physically: it draws the year's tickets from
the urn (a uniform random permutation), places the cheat (the understated
missiles as a uniformly random subset, redrawn every replication), counts
``min(visits, D)`` missiles at each visited site and lets each inspection
recognise what it sees with the recognition probability. Nothing of the
exact computation is reused. The rate comes with its binomial standard error
and a Wilson score interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from treatyledger.assurance.cheat import Cheat
from treatyledger.assurance.inputs import PlanInputError, check_count, check_probability
from treatyledger.assurance.quota import check_inspections
from treatyledger.assurance.regime import QuotaRegime

__all__ = ["MAX_REPLICATIONS", "MonteCarloEstimate", "simulate_quota", "wilson_interval"]

MAX_REPLICATIONS: Final = 10**8
_Z95: Final = 1.959963984540054
_CELLS: Final = 2_000_000
"""Random numbers drawn per chunk of replications, to bound memory."""

Progress = Callable[[int], None]
"""Called with the number of replications just completed."""


def wilson_interval(successes: int, trials: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95% by default)."""
    if trials <= 0:
        raise PlanInputError("replications", "must be at least 1")
    p = successes / trials
    scale = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A simulated detection rate with its uncertainty."""

    replications: int
    detected: int
    seed: int
    confidence: float

    @property
    def rate(self) -> float:
        """The share of simulated years that caught the cheat."""
        return self.detected / self.replications

    @property
    def standard_error(self) -> float:
        """The binomial standard error of the rate."""
        p = self.rate
        return math.sqrt(p * (1 - p) / self.replications)

    @property
    def interval(self) -> tuple[float, float]:
        """The Wilson score interval of the rate at :attr:`confidence`."""
        return wilson_interval(self.detected, self.replications)

    def to_json(self) -> dict[str, Any]:
        """The estimate under its documented JSON names."""
        low, high = self.interval
        return {
            "replications": self.replications,
            "detected": self.detected,
            "rate": self.rate,
            "standard_error": self.standard_error,
            "confidence": self.confidence,
            "interval": [low, high],
            "seed": self.seed,
        }


def _chunk(
    rng: np.random.Generator,
    regime: QuotaRegime,
    cheat: Cheat,
    *,
    size: int,
    inspections: int,
    cap: int,
    recognition: float,
) -> int:
    sites = regime.sites
    count = len(sites)
    ticket_site = np.repeat(np.arange(count), cap)
    visits = np.zeros((size, count), dtype=np.int64)
    if inspections:
        keys = rng.random((size, len(ticket_site)))
        drawn = np.argpartition(keys, inspections - 1, axis=1)[:, :inspections]
        rows = np.repeat(np.arange(size), inspections)
        np.add.at(visits, (rows, ticket_site[drawn].ravel()), 1)
    caught = np.zeros(size, dtype=bool)
    index = {s.id: i for i, s in enumerate(sites)}
    for hidden in cheat.undeclared:
        seen = hidden.count * visits[:, index[hidden.site]]
        caught |= rng.binomial(seen, recognition) > 0
    if not regime.counts_reentry_vehicles:
        return int(caught.sum())
    held = np.array([s.missiles for s in sites], dtype=np.int64)
    counted = np.minimum(visits, held)  # distinct missiles counted at each site
    for part in cheat.understated:
        if part.site is None:
            # Missile j of site s sits at position offset[s] + j of the whole list.
            owner = np.repeat(np.arange(count), held)
            rank = np.arange(len(owner)) - np.repeat(np.cumsum(held) - held, held)
        else:
            owner = np.full(int(held[index[part.site]]), index[part.site])
            rank = np.arange(len(owner))
        keys = rng.random((size, len(owner)))
        cheated = np.argpartition(keys, part.missiles - 1, axis=1)[:, : part.missiles]
        cheated = cheated.astype(np.intp)
        # The counted missiles of a site are its first `counted` ones: the cheated
        # set is uniformly random, so which ones are counted does not matter.
        hit = rank[cheated] < np.take_along_axis(counted, owner[cheated], axis=1)
        caught |= rng.binomial(hit.sum(axis=1), recognition) > 0
    return int(caught.sum())


def simulate_quota(
    regime: QuotaRegime,
    cheat: Cheat,
    *,
    replications: int,
    seed: int,
    inspections: int | None = None,
    recognition: float = 1.0,
    progress: Progress | None = None,
) -> MonteCarloEstimate:
    """Simulate ``replications`` years and count those that catch ``cheat``.

    Deterministic for a given ``seed`` (NumPy's PCG64). ``progress`` is called
    after each chunk with the number of replications it ran.
    """
    q = check_inspections(regime, inspections)
    r = check_probability(recognition, "recognition", one=True)
    check_count(replications, "replications", minimum=1)
    if replications > MAX_REPLICATIONS:
        raise PlanInputError("replications", f"must be at most {MAX_REPLICATIONS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise PlanInputError("seed", f"must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    cap = regime.cap_for(q)
    rng = np.random.default_rng(seed)
    width = max(len(regime.sites) * cap, regime.missiles, 1)
    per_chunk = max(1, _CELLS // width)
    detected = 0
    done = 0
    while done < replications:
        size = min(per_chunk, replications - done)
        detected += _chunk(rng, regime, cheat, size=size, inspections=q, cap=cap, recognition=r)
        done += size
        if progress is not None:
            progress(size)
    return MonteCarloEstimate(
        replications=replications, detected=detected, seed=seed, confidence=0.95
    )
