"""The one error of the statistics, and the checks every computation runs on its arguments."""

from __future__ import annotations

import math
from typing import Final

from treatyledger.errors import InputError

__all__ = ["MAX_POPULATION", "PlanInputError", "check_count", "check_probability"]

MAX_POPULATION: Final = 10**9
"""The largest population (or count) the computations accept; exact figures stay fast to 10^7."""


class PlanInputError(InputError):
    """An argument of a statistical computation is invalid; nothing was computed.

    ``argument`` names the quantity (``population``, ``non-detection target``,
    ``sites.csv, row 3, value``), ``problem`` says what is wrong with it.
    """

    def __init__(self, argument: str, problem: str) -> None:
        self.argument = argument
        self.problem = problem
        super().__init__(f"{argument}: {problem}")


def check_count(value: object, argument: str, *, minimum: int = 0) -> int:
    """``value`` as a whole number from ``minimum`` to :data:`MAX_POPULATION`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanInputError(argument, f"must be a whole number, got {value!r}")
    if value < minimum:
        raise PlanInputError(argument, f"must be at least {minimum}, got {value}")
    if value > MAX_POPULATION:
        raise PlanInputError(argument, f"must be at most {MAX_POPULATION:,}, got {value:,}")
    return value


def check_probability(
    value: object, argument: str, *, zero: bool = False, one: bool = False
) -> float:
    """``value`` as a probability; 0 and 1 are accepted only when ``zero`` / ``one`` say so."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlanInputError(argument, f"must be a number, got {value!r}")
    low = "[0" if zero else "(0"
    high = "1]" if one else "1)"
    if value < 0 or value > 1 or (value == 0 and not zero) or (value == 1 and not one):
        raise PlanInputError(argument, f"must lie in {low}, {high}, got {value:g}")
    return float(value)
