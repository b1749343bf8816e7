"""The exercise's scenarios: what the red team does during the treaty year.

A scenario names its misconduct, never its outcome: whether the misconduct is
caught comes from the inspections actually drawn and the compliance engine's
reading of the logs (:mod:`treatyledger.exercise.year`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from treatyledger.errors import InputError

__all__ = ["SCENARIOS", "Misconduct", "Scenario", "scenario"]


class Misconduct(enum.Enum):
    """The kinds of misconduct the red team can play."""

    NONE = "none"
    HIDDEN_LAUNCHERS = "hidden-launchers"
    UNDERSTATED_WARHEADS = "understated-warheads"
    LATE_NOTIFICATION = "late-notification"
    REFUSED_INSPECTION = "refused-inspection"
    EQUIVOCATING_LOG = "equivocating-log"
    SUSPENSION = "suspension"


@dataclass(frozen=True)
class Scenario:
    """A named scenario: its misconduct and a sentence saying what the red team does."""

    name: str
    misconduct: Misconduct
    summary: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("clean", Misconduct.NONE, "Every party keeps every obligation all year."),
    Scenario(
        "hidden-launchers",
        Misconduct.HIDDEN_LAUNCHERS,
        "The red team keeps 6 deployed ICBMs in their launchers, undeclared, at one of its "
        "ICBM bases; an inspection of that base sees them.",
    ),
    Scenario(
        "understated-warheads",
        Misconduct.UNDERSTATED_WARHEADS,
        "The red team loads one warhead more than declared on 40 deployed missiles spread "
        "over its bases; a reentry-vehicle count of one of them shows it.",
    ),
    Scenario(
        "late-notification",
        Misconduct.LATE_NOTIFICATION,
        "The red team sends one change notification nine days after the change, four days "
        "after its deadline.",
    ),
    Scenario(
        "refused-inspection",
        Misconduct.REFUSED_INSPECTION,
        "The red team refuses one Type One inspection within its quota.",
    ),
    Scenario(
        "equivocating-log",
        Misconduct.EQUIVOCATING_LOG,
        "Near the end of the year the red team signs a rewritten history of its log (its last "
        "entry replaced) and shows it to the other parties' witnesses, which have cosigned the "
        "original. Needs the nodes.",
    ),
    Scenario(
        "suspension",
        Misconduct.SUSPENSION,
        "The red team suspends data exchanges, notifications, inspections and the commission "
        "in mid-year, as Russia did in 2023.",
    ),
)


def scenario(name: str) -> Scenario:
    """The scenario called ``name``; InputError listing the known ones otherwise."""
    for known in SCENARIOS:
        if known.name == name:
            return known
    names = ", ".join(s.name for s in SCENARIOS)
    raise InputError(f"no scenario {name!r}; the scenarios are: {names}")
