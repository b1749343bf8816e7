"""Repeated inspections over a period: Dresher's game.

Over ``n`` periods the inspectee may violate once; the inspector has ``m``
inspections, each covering one period and detecting a violation in it. Each
side knows what has happened so far, nothing of the other's future moves. An
undetected violation gains the inspectee 1, a detected one costs it 1, legal
behaviour 0. The value of this zero-sum game is

    C(n - 1, m) / sum_{i=0}^{m} C(n, i)

(M. Dresher, 1962; Avenhaus, von Stengel and Zamir 2002, section 3.1): with
two periods and one inspection, 1/3.
"""

from __future__ import annotations

from fractions import Fraction
from math import comb

from treatyledger.assurance.inputs import PlanInputError, check_count

__all__ = ["dresher_value"]


def dresher_value(periods: int, inspections: int) -> Fraction:
    """The exact value of Dresher's game for ``periods`` and ``inspections`` (see above)."""
    check_count(periods, "periods", minimum=1)
    check_count(inspections, "inspections")
    if periods > 10_000:
        raise PlanInputError("periods", f"must be at most 10,000, got {periods:,}")
    return Fraction(
        comb(periods - 1, inspections),
        sum(comb(periods, i) for i in range(min(inspections, periods) + 1)),
    )
