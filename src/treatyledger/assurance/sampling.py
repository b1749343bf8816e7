"""Attribute sampling of one stratum: the sample size for a target, and the detection it buys.

The exact model is the hypergeometric one of :mod:`.hypergeometric`: ``n`` of
``N`` items sampled without replacement, ``M`` of them defects, each sampled
defect recognised (or, with ``recognition`` below one, recognised
independently with that probability). The IAEA's approximation
``n = ceil(N (1 - beta^(1/M)))`` treats the sample as drawn with replacement;
it is never smaller than the exact size, and is reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from treatyledger.assurance.hypergeometric import _factor_log, _log_miss, log_non_detection
from treatyledger.assurance.inputs import PlanInputError, check_count, check_probability

__all__ = ["Detection", "SampleSize", "detect", "iaea_sample_size", "sample_size"]


@dataclass(frozen=True)
class SampleSize:
    """The smallest exact sample for a non-detection target, and the IAEA approximation."""

    population: int
    defects: int
    non_detection_target: float
    n: int
    """The smallest sample whose exact non-detection probability is at most the target."""
    n_iaea: int
    achieved_non_detection: float
    """The exact non-detection probability of a sample of ``n``."""

    def to_json(self) -> dict[str, Any]:
        """The figures under their documented JSON names."""
        return {
            "population": self.population,
            "defects": self.defects,
            "non_detection_target": self.non_detection_target,
            "n": self.n,
            "n_iaea": self.n_iaea,
            "achieved_non_detection": self.achieved_non_detection,
        }


@dataclass(frozen=True)
class Detection:
    """How likely one sample is to reveal at least one defect."""

    population: int
    defects: int
    sample: int
    recognition: float
    detection_probability: float
    non_detection: float

    def to_json(self) -> dict[str, Any]:
        """The figures under their documented JSON names."""
        return {
            "population": self.population,
            "defects": self.defects,
            "sample": self.sample,
            "recognition": self.recognition,
            "detection_probability": self.detection_probability,
            "non_detection": self.non_detection,
        }


def _check_target(population: int, defects: int, target: float) -> float:
    check_count(population, "population", minimum=1)
    check_count(defects, "defects")
    if defects == 0:
        raise PlanInputError("defects", "must be at least 1: no sample can detect zero defects")
    if defects > population:
        raise PlanInputError(
            "defects", f"{defects:,} defects cannot hide in a population of {population:,}"
        )
    return check_probability(target, "non-detection target")


def _iaea(population: int, defects: int, target: float) -> int:
    log_target = math.log(target)

    def holds(n: int) -> bool:  # (1 - n/N)^M <= beta in logs, with the exact formula's factor
        return n >= population or defects * _factor_log(population, n) <= log_target

    n = min(population, max(0, math.ceil(population * -math.expm1(log_target / defects))))
    # The formula in floating point can land one off at an exact tie; settle it in logs.
    while n > 0 and holds(n - 1):
        n -= 1
    while not holds(n):
        n += 1
    return n


def iaea_sample_size(population: int, defects: int, non_detection: float) -> int:
    """``ceil(N (1 - beta^(1/M)))``: the IAEA's sample size for non-detection ``beta``."""
    target = _check_target(population, defects, non_detection)
    return _iaea(population, defects, target)


def sample_size(population: int, defects: int, non_detection: float) -> SampleSize:
    """The smallest ``n`` whose exact non-detection probability is at most ``non_detection``.

    Raises :class:`PlanInputError` for a population below 1, no defects, more
    defects than items, or a target outside (0, 1).
    """
    target = _check_target(population, defects, non_detection)
    n_iaea = _iaea(population, defects, target)

    log_target = math.log(target)

    def holds(n: int) -> bool:
        return _log_miss(population, defects, n) <= log_target

    # Sampling N - M + 1 items always finds a defect; the IAEA size is enough by its bound.
    high = min(n_iaea, population - defects + 1)
    if not holds(high):  # only possible through rounding at an exact tie
        high = population - defects + 1
    # beta(n) >= ((N-M+1-n)/(N-M+1))^M, so no n below this bound can reach the target.
    bound = (population - defects + 1) * -math.expm1(log_target / defects)
    low = max(0, min(high, math.floor(bound) - 1))
    if holds(low):
        low = 0
    while low < high:  # holds(high) is true, and holds(low) is false unless low == 0
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return SampleSize(
        population=population,
        defects=defects,
        non_detection_target=target,
        n=high,
        n_iaea=n_iaea,
        # The comparison in logs showed it meets the target; exp() may round one ulp above it.
        achieved_non_detection=min(math.exp(_log_miss(population, defects, high)), target),
    )


def detect(population: int, defects: int, sample: int, recognition: float = 1.0) -> Detection:
    """The detection probability of one sample (see the module docstring for the model)."""
    log_miss = log_non_detection(population, defects, sample, recognition)
    return Detection(
        population=population,
        defects=defects,
        sample=sample,
        recognition=float(recognition),
        detection_probability=-math.expm1(log_miss),
        non_detection=math.exp(log_miss),
    )
