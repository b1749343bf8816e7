"""Cheating hypotheses against a quota regime, written as short specifications.

::

    SPEC := PART ("+" PART)*
    PART := "undeclared:" N "@" SITE   N undeclared deployed missiles kept at SITE
          | "warheads:" W "@" SITE     W missiles at SITE carry one warhead more than declared
          | "warheads:" W              W such missiles spread at random over all eligible sites

``undeclared:6@malmstrom+warheads:40`` combines both. An inspection of a site
recognises each undeclared item there, and the reentry-vehicle count of a
designated missile recognises an understated one, with the recognition
probability (1 unless stated). Parts must be consistent: one part per site
and kind, at most one spread part (never beside a ``warheads`` part at a
site), and no more understated missiles than a site (or all sites) holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from treatyledger.assurance.inputs import PlanInputError
from treatyledger.assurance.regime import QuotaRegime

__all__ = ["Cheat", "Undeclared", "Understated", "parse_cheat"]

_PART = re.compile(r"(undeclared|warheads):([1-9][0-9]{0,8})(?:@(\S+))?")


@dataclass(frozen=True)
class Undeclared:
    """``count`` undeclared items kept at ``site``."""

    site: str
    count: int


@dataclass(frozen=True)
class Understated:
    """``missiles`` deployed missiles carrying one warhead more than declared.

    At ``site``, or spread uniformly at random over every eligible missile when None.
    """

    missiles: int
    site: str | None


@dataclass(frozen=True)
class Cheat:
    """A cheating hypothesis: its text and its parts."""

    text: str
    undeclared: tuple[Undeclared, ...]
    understated: tuple[Understated, ...]

    @property
    def spread(self) -> Understated | None:
        """The part spread over all sites, if there is one."""
        return next((u for u in self.understated if u.site is None), None)


def parse_cheat(text: str, regime: QuotaRegime) -> Cheat:
    """Read a cheat specification against ``regime``; PlanInputError says what is wrong."""
    where = f"cheat {text!r}"
    if not isinstance(text, str) or not text:
        raise PlanInputError("cheat", "is empty; e.g. undeclared:5@SITE or warheads:30")
    undeclared: list[Undeclared] = []
    understated: list[Understated] = []
    for part in text.split("+"):
        match = _PART.fullmatch(part)
        if match is None:
            raise PlanInputError(
                where,
                f"{part!r} is not undeclared:N@SITE, warheads:W@SITE or warheads:W "
                "(N, W whole numbers from 1)",
            )
        kind, number, site_id = match.group(1), int(match.group(2)), match.group(3)
        if site_id is not None and regime.site(site_id) is None:
            known = ", ".join(s.id for s in regime.sites)
            raise PlanInputError(
                where,
                f"{site_id!r} is not a site of {regime.party} that {regime.inspection_name} "
                f"inspections visit ({known})",
            )
        if kind == "undeclared":
            if site_id is None:
                raise PlanInputError(where, f"{part!r}: say where: undeclared:{number}@SITE")
            if any(u.site == site_id for u in undeclared):
                raise PlanInputError(where, f"two undeclared parts at {site_id}; add them up")
            undeclared.append(Undeclared(site=site_id, count=number))
        else:
            understated.append(Understated(missiles=number, site=site_id))
    _check_understated(understated, regime, where)
    return Cheat(text=text, undeclared=tuple(undeclared), understated=tuple(understated))


def _check_understated(parts: list[Understated], regime: QuotaRegime, where: str) -> None:
    spread = [p for p in parts if p.site is None]
    if len(spread) > 1 or (spread and len(parts) > 1):
        raise PlanInputError(where, "a spread warheads:W part cannot be combined with another")
    sites = [p.site for p in parts]
    for site_id in sites:
        if sites.count(site_id) > 1:
            raise PlanInputError(where, f"two warheads parts at {site_id}; add them up")
    for part in parts:
        held = regime.missiles if part.site is None else _missiles(regime, part.site)
        place = "all eligible sites" if part.site is None else part.site
        if part.missiles > held:
            raise PlanInputError(
                where,
                f"{part.missiles} understated missiles, but {place} hold(s) only {held} "
                "deployed missiles with counted warheads",
            )


def _missiles(regime: QuotaRegime, site_id: str) -> int:
    site = regime.site(site_id)
    assert site is not None  # checked when parsed
    return site.missiles
