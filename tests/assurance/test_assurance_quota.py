"""A treaty's quota against a cheat: exact figures against enumeration, scipy and simulation."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from scipy.stats import hypergeom

from treatyledger.assurance import (
    PlanInputError,
    QuotaRegime,
    dresher_value,
    parse_cheat,
    quota_curve,
    quota_non_detection,
    quota_regime,
    quota_report,
    simulate_quota,
)
from treatyledger.assurance.cheat import Cheat
from treatyledger.assurance.figure import plot_curve
from treatyledger.assurance.montecarlo import wilson_interval
from treatyledger.assurance.regime import QuotaSite
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory import Inventory
from treatyledger.treaty import TreatySpec


@pytest.fixture(scope="module")
def us(new_start: TreatySpec) -> QuotaRegime:
    return quota_regime(new_start, us_inventory_2020_09_01(new_start))


def tiny(cap: int | None = 2, quota: int = 3) -> QuotaRegime:
    return QuotaRegime(
        treaty="test",
        party="XX",
        inspection_type="type_one",
        inspection_name="Type One",
        quota=quota,
        per_site_cap=cap,
        counts_reentry_vehicles=True,
        sites=(
            QuotaSite("a", "icbm_base", 2),
            QuotaSite("b", "icbm_base", 3),
            QuotaSite("c", "air_base", 0),
        ),
    )


def brute_force(regime: QuotaRegime, cheat: Cheat, inspections: int, r: Fraction) -> Fraction:
    """P(no detection), by enumerating every draw, counted set and placement (exact fractions)."""
    cap = regime.cap_for(inspections)
    tickets = [s.id for s in regime.sites for _ in range(cap)]
    held = {s.id: s.missiles for s in regime.sites}
    missiles = [(s.id, j) for s in regime.sites for j in range(s.missiles)]
    escape = 1 - r

    @cache
    def given_visits(visits: tuple[tuple[str, int], ...]) -> Fraction:
        c = dict(visits)
        total = Fraction(1)
        for part in cheat.undeclared:
            total *= escape ** (part.count * c.get(part.site, 0))
        # Every combination of counted subsets per site, equally likely.
        choices = [
            [
                frozenset((site, j) for j in combo)
                for combo in itertools.combinations(range(n), min(c.get(site, 0), n))
            ]
            for site, n in held.items()
        ]
        outcomes = Fraction(0)
        count = 0
        for pick in itertools.product(*choices):
            counted = frozenset().union(*pick)
            inner = Fraction(1)
            for part in cheat.understated:
                pool = missiles if part.site is None else [m for m in missiles if m[0] == part.site]
                placements = list(itertools.combinations(pool, part.missiles))
                inner *= sum(
                    (escape ** len(counted & set(place)) for place in placements), Fraction(0)
                ) / len(placements)
            outcomes += inner
            count += 1
        return total * outcomes / count

    result = Fraction(0)
    draws = list(itertools.permutations(range(len(tickets)), inspections))
    for draw in draws:
        visits: dict[str, int] = {}
        for t in draw:
            visits[tickets[t]] = visits.get(tickets[t], 0) + 1
        result += given_visits(tuple(sorted(visits.items())))
    return result / len(draws)


@pytest.mark.parametrize(
    "text",
    [
        "undeclared:1@a",
        "undeclared:2@c",
        "warheads:1@b",
        "warheads:2@a",
        "warheads:2",
        "warheads:4",
        "undeclared:1@c+warheads:1@a+warheads:2@b",
        "undeclared:1@a+warheads:3",
    ],
)
@pytest.mark.parametrize("recognition", [Fraction(1), Fraction(1, 2)])
@pytest.mark.parametrize(("cap", "inspections"), [(2, 3), (2, 6), (None, 2), (1, 2)])
def test_exact_figure_is_the_enumerated_one(
    text: str, recognition: Fraction, cap: int | None, inspections: int
) -> None:
    regime = tiny(cap)
    cheat = parse_cheat(text, regime)
    exact = brute_force(regime, cheat, inspections, recognition)
    ours = quota_non_detection(
        regime, cheat, inspections=inspections, recognition=float(recognition)
    )
    assert ours == pytest.approx(float(exact), rel=1e-12, abs=1e-15)


def test_one_site_is_hypergeometric(us: QuotaRegime) -> None:
    # 8 sites x 2 tickets, 10 drawn: the site is missed with C(14,10)/C(16,10).
    miss = quota_non_detection(us, parse_cheat("undeclared:5@malmstrom", us))
    assert miss == pytest.approx(float(hypergeom(16, 2, 10).pmf(0)), rel=1e-12)
    assert 1 - miss == pytest.approx(0.875, rel=1e-15)


def test_us_regime_comes_from_the_inventory(us: QuotaRegime, new_start: TreatySpec) -> None:
    inventory = us_inventory_2020_09_01(new_start)
    assert [s.id for s in us.sites] == sorted(
        f.id for f in inventory.facilities if f.kind in ("icbm_base", "submarine_base", "air_base")
    )
    deployed_missiles = [
        i for i in inventory.items if i.kind in ("icbm", "slbm") and i.status == "deployed"
    ]
    assert us.missiles == len(deployed_missiles) == 627
    assert (us.quota, us.per_site_cap, us.inspection_type) == (10, 2, "type_one")
    whiteman = us.site("whiteman")
    assert whiteman is not None
    assert whiteman.missiles == 0


@pytest.mark.parametrize(
    ("text", "recognition", "seed"),
    [
        ("undeclared:5@malmstrom", 1.0, 1),
        ("undeclared:2@bangor", 0.3, 2),
        ("warheads:30", 1.0, 3),
        ("warheads:30@bangor", 0.5, 4),
        ("warheads:200", 0.8, 5),
        ("undeclared:1@whiteman+warheads:50", 1.0, 6),
    ],
)
def test_exact_figure_agrees_with_simulation(
    us: QuotaRegime, text: str, recognition: float, seed: int
) -> None:
    cheat = parse_cheat(text, us)
    exact = 1 - quota_non_detection(us, cheat, recognition=recognition)
    seen: list[int] = []
    estimate = simulate_quota(
        us, cheat, replications=20_000, seed=seed, recognition=recognition, progress=seen.append
    )
    assert sum(seen) == 20_000
    se = math.sqrt(exact * (1 - exact) / estimate.replications)
    assert abs(estimate.rate - exact) <= 4 * se
    assert estimate.standard_error == pytest.approx(se, rel=0.05)
    low, high = estimate.interval
    assert low < estimate.rate < high


def test_simulation_is_repeatable(us: QuotaRegime) -> None:
    cheat = parse_cheat("warheads:20", us)
    first = simulate_quota(us, cheat, replications=3000, seed=42)
    assert first == simulate_quota(us, cheat, replications=3000, seed=42)
    assert first.to_json()["seed"] == 42
    assert set(first.to_json()) == {
        "replications",
        "detected",
        "rate",
        "standard_error",
        "confidence",
        "interval",
        "seed",
    }


def test_wilson_interval() -> None:
    low, high = wilson_interval(0, 100)
    assert low == pytest.approx(0.0, abs=1e-15)
    assert high == pytest.approx(0.03699, abs=1e-5)
    low, high = wilson_interval(50, 100)
    assert (low, high) == (pytest.approx(0.40383, abs=1e-5), pytest.approx(0.59617, abs=1e-5))


def test_report_json(us: QuotaRegime) -> None:
    doc = quota_report(us, parse_cheat("warheads:30", us)).to_json()
    assert doc["inspections"] == 10
    assert doc["cheat"] == "warheads:30"
    assert doc["detection_probability"] + doc["non_detection"] == pytest.approx(1.0)
    assert {s["id"] for s in doc["sites"]} == {s.id for s in us.sites}


def test_more_inspections_find_more(us: QuotaRegime) -> None:
    cheats = [parse_cheat(t, us) for t in ("undeclared:1@fe_warren", "warheads:40")]
    curve = quota_curve(us, cheats)
    assert curve.inspections == tuple(range(17))
    for series in curve.detection:
        assert series[0] == 0.0
        assert all(a <= b + 1e-15 for a, b in itertools.pairwise(series))
    assert curve.detection[0][16] == pytest.approx(1.0)  # every site twice: all seen
    assert curve.to_json()["series"][1]["cheat"] == "warheads:40"


def test_figure(us: QuotaRegime, tmp_path: Path) -> None:
    curve = quota_curve(us, [parse_cheat("warheads:40", us)], max_inspections=12)
    out = plot_curve(curve, tmp_path / "curve.png")
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(PlanInputError, match=r"\.png"):
        plot_curve(curve, tmp_path / "curve.gif")
    with pytest.raises(PlanInputError, match="does not exist"):
        plot_curve(curve, tmp_path / "missing" / "curve.png")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("hidden:5@malmstrom", "is not undeclared"),
        ("undeclared:0@malmstrom", "is not undeclared"),
        ("undeclared:-1@malmstrom", "is not undeclared"),
        ("undeclared:5", "say where"),
        ("undeclared:5@vandenberg", "not a site of US"),
        ("undeclared:5@malmstrom+undeclared:1@malmstrom", "add them up"),
        ("warheads:700", "only 627"),
        ("warheads:200@whiteman", "only 0"),
        ("warheads:5+warheads:3@bangor", "cannot be combined"),
        ("warheads:5@bangor+warheads:3@bangor", "add them up"),
        ("warheads:5@bangor++warheads:3", "is not undeclared"),
    ],
)
def test_bad_cheats(us: QuotaRegime, text: str, problem: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        parse_cheat(text, us)
    assert problem in caught.value.problem


def test_bad_quota_arguments(us: QuotaRegime, new_start: TreatySpec) -> None:
    cheat = parse_cheat("warheads:5", us)
    with pytest.raises(PlanInputError, match="17 a year is more than 8 sites allow"):
        quota_non_detection(us, cheat, inspections=17)
    with pytest.raises(PlanInputError) as caught:
        quota_non_detection(us, cheat, recognition=0.0)
    assert caught.value.argument == "recognition"
    with pytest.raises(PlanInputError) as caught:
        simulate_quota(us, cheat, replications=0, seed=1)
    assert caught.value.argument == "replications"
    with pytest.raises(PlanInputError) as caught:
        simulate_quota(us, cheat, replications=10, seed=-1)
    assert caught.value.argument == "seed"
    with pytest.raises(PlanInputError, match="type_three"):
        quota_regime(new_start, us_inventory_2020_09_01(new_start), inspection_type="type_three")
    with pytest.raises(PlanInputError, match="no facility"):
        quota_regime(new_start, Inventory(party="US", facilities=(), items=()))


# -- Dresher's game ------------------------------------------------------------------------------


def _game(periods: int, inspections: int) -> Fraction:
    """Solve the game period by period: Dresher's recursion of 2x2 games."""
    if inspections >= periods:
        return Fraction(0)  # every period inspected: the inspectee stays legal
    if inspections == 0:
        return Fraction(1)  # it violates undisturbed
    # Rows: violate now / wait. Columns: inspect now / not. Entries: the inspectee's payoff.
    a, b = _game(periods - 1, inspections - 1), _game(periods - 1, inspections)
    matrix = ((Fraction(-1), Fraction(1)), (a, b))
    # No saddle point here (-1 < a, b < 1): the mixed value of a 2x2 game.
    (p, q), (r, s) = matrix
    return (p * s - q * r) / (p + s - q - r)


@pytest.mark.parametrize(
    ("n", "m", "value"),
    [
        (2, 1, Fraction(1, 3)),
        (3, 1, Fraction(1, 2)),
        (3, 2, Fraction(1, 7)),
        (1, 0, Fraction(1)),
        (4, 4, Fraction(0)),
    ],
)
def test_dresher_small_cases_by_hand(n: int, m: int, value: Fraction) -> None:
    assert dresher_value(n, m) == value


def test_dresher_closed_form_solves_the_game() -> None:
    for n in range(1, 12):
        for m in range(0, n + 2):
            assert dresher_value(n, m) == _game(n, m), (n, m)
    with pytest.raises(PlanInputError):
        dresher_value(0, 1)
