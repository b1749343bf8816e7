"""Exact hypergeometric probabilities of attribute sampling, computed in log space.

A population of ``N`` items holds ``M`` defects (falsified or undeclared
items); ``n`` items are sampled uniformly without replacement. The number of
defects in the sample, ``X``, is hypergeometric. Every figure here is exact up
to floating-point rounding, for populations up to 10^9:

* ``P(X = 0) = C(N-M, n) / C(N, n) = prod_{j<k} (1 - K/(N-j))`` with
  ``k = min(M, n)`` and ``K = max(M, n)``, summed as logarithms, so nothing
  overflows and the relative error stays near ``k`` units in the last place
  (each factor is taken as ``log1p(-K/(N-j))`` when it is near one and as
  ``log((N-j-K)/(N-j))`` with an exact numerator otherwise);
* with imperfect recognition (each sampled defect is recognised independently
  with probability ``q``), the non-detection probability is ``E[(1-q)^X]``,
  summed from the first term of the support by the ratio of consecutive
  terms, ``P(x+1)/P(x) = (M-x)(n-x) / ((x+1)(N-M-n+x+1))``, again as
  logarithms, until the terms no longer matter.

No lgamma differences are used: at ``N = 10^7`` they lose eight digits.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from treatyledger.assurance.inputs import PlanInputError, check_count, check_probability

__all__ = [
    "detection_probability",
    "log_miss_probability",
    "log_non_detection",
    "non_detection",
]

_SMALL: Final = 64
"""Up to this many factors, sum exactly in Python (math.fsum); beyond, with NumPy in chunks."""
_CHUNK: Final = 1 << 16
_NEGLIGIBLE: Final = 64.0
"""A term more than e^64 below the largest cannot change a double-precision sum."""


def _factor_log(rest: float, big: float) -> float:
    x = big / rest
    return math.log1p(-x) if x < 0.5 else math.log((rest - big) / rest)


def _log_miss(population: int, marked: int, sample: int) -> float:
    if marked + sample > population:
        return -math.inf
    k, big = min(marked, sample), max(marked, sample)
    if k == 0:
        return 0.0
    if k <= _SMALL:
        return math.fsum(_factor_log(population - j, big) for j in range(k))
    parts: list[float] = []
    for start in range(0, k, _CHUNK):
        rest = population - np.arange(start, min(k, start + _CHUNK), dtype=np.float64)
        x = big / rest
        terms = np.where(x < 0.5, np.log1p(-x), np.log((rest - big) / rest))
        parts.append(float(terms.sum()))  # NumPy sums pairwise
    return math.fsum(parts)


def log_miss_probability(population: int, marked: int, sample: int) -> float:
    """``log P(X = 0)``: the log probability that a sample holds none of the marked items.

    ``-inf`` when the sample cannot miss them all (``marked + sample > population``).
    """
    _check(population, marked, sample)
    return _log_miss(population, marked, sample)


def _check(population: int, defects: int, sample: int) -> None:
    check_count(population, "population", minimum=1)
    check_count(defects, "defects")
    check_count(sample, "sample")
    if defects > population:
        raise PlanInputError(
            "defects", f"{defects:,} defects cannot hide in a population of {population:,}"
        )
    if sample > population:
        raise PlanInputError(
            "sample", f"a sample of {sample:,} is larger than the population of {population:,}"
        )


def _log_series(
    population: int, defects: int, sample: int, *, low: int, high: int, log_escape: float
) -> float:
    """``log sum_{x=low..high} P(x)/P(low) * (1-q)^(x-low)``, stopping once the terms vanish."""
    top, total = 0.0, 1.0  # the running maximum and sum of exp(w - top); w(low) = 0
    last = 0.0
    gap = population - defects - sample
    for start in range(low, high, _CHUNK):
        x = np.arange(start, min(high, start + _CHUNK), dtype=np.float64)
        ratio = ((defects - x) * (sample - x)) / ((x + 1.0) * (gap + x + 1.0))
        w = last + np.cumsum(np.log(ratio) + log_escape)
        peak = float(w.max())
        if peak > top:
            total *= math.exp(top - peak)
            top = peak
        total += float(np.exp(w - top).sum())
        last = float(w[-1])
        # The terms are log-concave in x: once falling and far below the peak, they stay so.
        if last < top - _NEGLIGIBLE and (len(w) < 2 or w[-1] < w[-2]):
            break
    return top + math.log(total)


def log_non_detection(
    population: int, defects: int, sample: int, recognition: float = 1.0
) -> float:
    """``log`` of the probability that the sample reveals no defect.

    ``recognition`` is the probability that a sampled defect is recognised
    (1: always). Arguments are checked (:class:`PlanInputError` names the bad one).
    """
    _check(population, defects, sample)
    q = check_probability(recognition, "recognition", one=True)
    if q == 1.0:
        return _log_miss(population, defects, sample)
    log_escape = math.log1p(-q)
    low = max(0, sample - (population - defects))
    high = min(defects, sample)
    # P(X = low): no defect sampled, or (when the sample must hold some) every good item sampled.
    first = (
        _log_miss(population, defects, sample)
        if low == 0
        else _log_miss(population, population - defects, population - sample)
    )
    return (
        first
        + low * log_escape
        + _log_series(population, defects, sample, low=low, high=high, log_escape=log_escape)
    )


def non_detection(population: int, defects: int, sample: int, recognition: float = 1.0) -> float:
    """The probability that a sample of ``sample`` items reveals none of ``defects`` defects."""
    return math.exp(log_non_detection(population, defects, sample, recognition))


def detection_probability(
    population: int, defects: int, sample: int, recognition: float = 1.0
) -> float:
    """``1 - non_detection``, computed without cancellation when detection is unlikely."""
    return -math.expm1(log_non_detection(population, defects, sample, recognition))
