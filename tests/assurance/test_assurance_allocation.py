"""Allocating inspections: water-filling against a linear programme, deterrence, the sites file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from treatyledger.assurance import (
    InspectionSite,
    PlanInputError,
    allocate_detection,
    allocate_deterrence,
    deters,
    parse_sites_csv,
)
from treatyledger.assurance.sites_csv import load_sites_csv


def site(ident: str, value: float, beta: float, **more: float) -> InspectionSite:
    return InspectionSite(id=ident, items=10, value=value, non_detection=beta, **more)


def lp_value(values: list[float], betas: list[float], k: int) -> float:
    """min V s.t. v_i (1 - p_i (1 - b_i)) <= V, sum p <= k, 0 <= p <= 1, solved by HiGHS."""
    n = len(values)
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    rows = np.zeros((n + 1, n + 1))
    for i, (v, b) in enumerate(zip(values, betas, strict=True)):
        rows[i, i] = -v * (1 - b)
        rows[i, -1] = -1.0
    rows[n, :n] = 1.0  # at most k inspections
    limits = np.concatenate([-np.array(values), [k]])
    result = linprog(
        cost, A_ub=rows, b_ub=limits, bounds=[(0.0, 1.0)] * n + [(0.0, None)], method="highs"
    )
    assert result.status == 0
    return float(result.fun)


sites_strategy = st.lists(
    st.tuples(st.floats(0.1, 100.0), st.floats(0.0, 0.95)), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(pairs=sites_strategy, k=st.integers(0, 14))
def test_water_filling_is_the_linear_programme_optimum(
    pairs: list[tuple[float, float]], k: int
) -> None:
    sites = [site(f"s{i}", v, b) for i, (v, b) in enumerate(pairs)]
    plan = allocate_detection(sites, k)
    values = [v for v, _ in pairs]
    betas = [b for _, b in pairs]
    # HiGHS solves to about 1e-9 of the values (up to 100).
    assert plan.value == pytest.approx(lp_value(values, betas, k), rel=1e-7, abs=1e-7)
    p = np.array([s.probability for s in plan.shares])
    assert np.all(p >= 0)
    assert np.all(p <= 1)
    assert p.sum() + plan.unused == pytest.approx(k, abs=1e-9)
    gains = [s.expected_gain for s in plan.shares]
    assert max(gains) == pytest.approx(plan.value, rel=1e-9, abs=1e-12)
    # Equalised: the partly inspected sites share one expected gain per level, the
    # first level being V; a site left out is worth no more than its level.
    levels = {round(s.expected_gain, 9) for s in plan.shares if 0 < s.probability < 1}
    assert all(level <= plan.value + 1e-9 for level in levels)
    for share in plan.shares:
        if share.probability == 0 and share.site.non_detection < 1:
            assert share.site.value <= max(levels | {plan.value}) * (1 + 1e-9)


def test_reference_formula_when_no_site_is_capped() -> None:
    pairs = [(5.0, 0.1), (3.0, 0.2), (2.0, 0.05), (1.0, 0.5)]
    plan = allocate_detection([site(f"s{i}", v, b) for i, (v, b) in enumerate(pairs)], 2)
    covered = [(v, b) for v, b in pairs if v > plan.value]
    assert len(covered) == 3
    expected = (sum(1 / (1 - b) for _, b in covered) - 2) / sum(
        1 / (v * (1 - b)) for v, b in covered
    )
    assert plan.value == pytest.approx(expected, rel=1e-12)
    for share in plan.shares:
        v, b = share.site.value, share.site.non_detection
        wanted = max(0.0, (1 - plan.value / v) / (1 - b))
        assert share.probability == pytest.approx(wanted, abs=1e-12)


def test_equal_values_give_equal_detection() -> None:
    sites = [site("a", 1, 0.0), site("b", 1, 0.5), site("c", 1, 0.2)]
    plan = allocate_detection(sites, 1)
    detections = {s.site.id: s.detection for s in plan.shares}
    assert detections["a"] == pytest.approx(detections["b"]) == pytest.approx(detections["c"])
    assert plan.guaranteed_detection == pytest.approx(detections["a"])
    # d (1/1 + 1/0.5 + 1/0.8) = 1
    assert plan.guaranteed_detection == pytest.approx(1 / (1 + 2 + 1.25), rel=1e-12)


def test_a_site_is_capped_at_certainty() -> None:
    # One very valuable site with a weak inspection, and two cheap ones.
    plan = allocate_detection([site("big", 100, 0.5), site("x", 1, 0), site("y", 1, 0)], 2)
    shares = {s.site.id: s for s in plan.shares}
    assert shares["big"].probability == 1.0
    assert plan.value == pytest.approx(50.0)  # the cheater takes big and keeps half
    # The second inspection cannot lower the value; it goes to the other two sites.
    assert shares["x"].probability == shares["y"].probability == pytest.approx(0.5)
    assert plan.unused == 0


def test_more_inspections_than_sites_leave_some_unused() -> None:
    plan = allocate_detection([site("a", 4, 0.25), site("b", 1, 0.0), site("c", 2, 1.0)], 5)
    assert [s.probability for s in plan.shares] == [1.0, 1.0, 0.0]
    assert plan.value == 2.0  # c cannot be covered: an inspection there finds nothing
    assert plan.unused == pytest.approx(3.0)


def test_no_inspections() -> None:
    plan = allocate_detection([site("a", 4, 0.25), site("b", 1, 0.0)], 0)
    assert plan.value == 4.0
    assert plan.guaranteed_detection == 0.0
    assert all(s.probability == 0 for s in plan.shares)


def test_json_names() -> None:
    doc = allocate_detection([site("a", 4, 0.25), site("b", 1, 0.0)], 1).to_json()
    assert set(doc) == {
        "objective",
        "inspections",
        "value",
        "guaranteed_detection",
        "unused",
        "sites",
    }
    assert set(doc["sites"][0]) == {
        "id",
        "items",
        "value",
        "non_detection",
        "probability",
        "detection",
        "expected_gain",
    }


def test_detection_agrees_with_simulated_inspections() -> None:
    sites = [site("a", 5, 0.1), site("b", 3, 0.2), site("c", 2, 0.05)]
    plan = allocate_detection(sites, 2)
    rng = np.random.default_rng(11)
    runs = 100_000
    for share in plan.shares:
        inspected = rng.random(runs) < share.probability
        caught = inspected & (rng.random(runs) >= share.site.non_detection)
        se = math.sqrt(share.detection * (1 - share.detection) / runs)
        assert abs(float(caught.mean()) - share.detection) <= 4 * se + 1e-12


# -- deterrence -------------------------------------------------------------------------------


def test_deterrence_budget_is_the_reference_sum() -> None:
    sites = [
        site("a", 1, 0.1, gain=1, sanction=4),
        site("b", 1, 0.2, gain=1, sanction=2),
        site("c", 1, 0.05, gain=2, sanction=1),
    ]
    plan = allocate_deterrence(sites, 10)
    expected = sum(
        s.gain / ((s.gain + s.sanction) * (1 - s.non_detection))  # type: ignore[operator]
        for s in sites
    )
    assert plan.budget == pytest.approx(expected, rel=1e-12)
    assert plan.deterred == ("a", "b", "c")
    assert plan.unused == pytest.approx(10 - expected)


def test_the_cheapest_sites_are_deterred_first() -> None:
    sites = [
        site("costly", 1, 0.05, gain=2, sanction=1),  # needs 0.70
        site("cheap", 1, 0.1, gain=1, sanction=4),  # needs 0.22
        site("middle", 1, 0.2, gain=1, sanction=2),  # needs 0.42
    ]
    plan = allocate_deterrence(sites, 1, margin=1e-9)
    assert plan.deterred == ("cheap", "middle")
    shares = {s.site.id: s for s in plan.shares}
    assert shares["costly"].probability == 0.0
    assert not shares["costly"].deterred
    for s in plan.shares:
        if s.deterred:
            assert s.probability * (1 - s.site.non_detection) == pytest.approx(s.threshold)
            # At the threshold itself the cheater is indifferent: the margin tips it.
            assert deters(
                s.probability,
                non_detection=s.site.non_detection,
                gain=s.site.gain or 0,
                sanction=s.site.sanction or 0,
            )


def test_margin_and_undeterrable_sites() -> None:
    sites = [site("a", 1, 0.5, gain=1, sanction=1), site("b", 1, 0.0, gain=1, sanction=3)]
    plan = allocate_deterrence(sites, 2, margin=0.05)
    shares = {s.site.id: s for s in plan.shares}
    assert shares["a"].needed is None  # 0.55 detection needed, 0.5 at most
    assert plan.undeterrable == ("a",)
    assert plan.budget is None
    assert shares["b"].threshold == pytest.approx(0.30)
    assert plan.deterrable_budget == pytest.approx(0.30)
    assert plan.to_json()["not_deterred"] == ["a"]


def test_deterrence_needs_gain_and_sanction() -> None:
    with pytest.raises(PlanInputError, match="gain and sanction"):
        allocate_deterrence([site("a", 1, 0.5)], 1)


def test_deters_with_false_alarms_is_the_reference_condition() -> None:
    # p = 1: deterred iff beta <= (b - h alpha) / (b + d).
    for beta in np.linspace(0, 1, 41):
        for alpha in (0.0, 0.05, 0.2):
            d, b, h = 2.0, 6.0, 10.0
            expected = beta <= (b - h * alpha) / (b + d) + 1e-12
            got = deters(
                1.0, non_detection=beta, gain=d, sanction=b, false_alarm=alpha, alarm_cost=h
            )
            assert got == expected


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: site("a", 0, 0.1), "site a: value"),
        (lambda: site("a", -1, 0.1), "site a: value"),
        (lambda: site("a", 1, 1.5), "site a: non_detection"),
        (lambda: site("a b", 1, 0.5), "site id"),
        (lambda: site("a", 1, 0.5, gain=0, sanction=1), "site a: gain"),
        (lambda: site("a", 1, 0.5, gain=1, sanction=-1), "site a: sanction"),
    ],
)
def test_bad_sites(make: object, argument: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        make()  # type: ignore[operator]
    assert caught.value.argument == argument


def test_bad_allocations() -> None:
    with pytest.raises(PlanInputError, match="no sites"):
        allocate_detection([], 1)
    with pytest.raises(PlanInputError, match="twice"):
        allocate_detection([site("a", 1, 0.1), site("a", 2, 0.1)], 1)
    with pytest.raises(PlanInputError) as caught:
        allocate_detection([site("a", 1, 0.1)], -1)
    assert caught.value.argument == "inspections"
    with pytest.raises(PlanInputError) as caught:
        allocate_deterrence([site("a", 1, 0.1, gain=1, sanction=1)], 1, margin=1.0)
    assert caught.value.argument == "margin"


# -- the sites file ------------------------------------------------------------------------------


GOOD = (
    "id,items,value,non_detection,gain,sanction\n"
    "fe_warren,150,150,0.1,1,4\n"
    "bangor,160,520,0.2,3,4\n"
)


def test_sites_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    sites = load_sites_csv(path)
    assert [s.id for s in sites] == ["fe_warren", "bangor"]
    assert sites[1] == InspectionSite(
        id="bangor", items=160, value=520.0, non_detection=0.2, gain=3.0, sanction=4.0
    )
    reordered = parse_sites_csv("value,id,non_detection,items\n2.5,x,1e-2,3\n", source="s.csv")
    assert reordered[0] == InspectionSite(id="x", items=3, value=2.5, non_detection=0.01)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("", "f.csv", "empty"),
        ("id,items,value\n", "f.csv, row 1", "non_detection"),
        ("id,items,value,non_detection,colour\n", "f.csv, row 1", "unknown column 'colour'"),
        ("id,id,items,value,non_detection\n", "f.csv, row 1", "twice"),
        ("id,items,value,non_detection,gain\n", "f.csv, row 1", "both gain and sanction"),
        ("id,items,value,non_detection\n", "f.csv", "lists no site"),
        ("id,items,value,non_detection\na,1,2,0.1\n\nb,1,2,0.1\n", "f.csv, row 3", "blank row"),
        ("id,items,value,non_detection\na,1,2\n", "f.csv, row 2", "expected 4 values"),
        ("id,items,value,non_detection\na,1.5,2,0.1\n", "f.csv, row 2, items", "whole number"),
        ("id,items,value,non_detection\na,1,-2,0.1\n", "f.csv, row 2, value", "non-negative"),
        ("id,items,value,non_detection\na,1,0,0.1\n", "f.csv, row 2, value", "positive"),
        ("id,items,value,non_detection\na,1,2,1.1\n", "f.csv, row 2, non_detection", "[0, 1]"),
        ("id,items,value,non_detection\na,1,2,x\n", "f.csv, row 2, non_detection", "decimal"),
        ("id,items,value,non_detection\na,1,2, 0.1\n", "f.csv, row 2, non_detection", "spaces"),
        ("id,items,value,non_detection\na,1,2,\n", "f.csv, row 2, non_detection", "filled"),
        ("id,items,value,non_detection\na,1,2,0.1\na,1,2,0.1\n", "f.csv, row 3, id", "row 2"),
    ],
)
def test_sites_file_errors_name_the_place(text: str, where: str, problem: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        parse_sites_csv(text, source="f.csv")
    assert caught.value.argument == where
    assert problem in caught.value.problem


def test_sites_file_must_be_readable(tmp_path: Path) -> None:
    with pytest.raises(PlanInputError, match="cannot read"):
        load_sites_csv(tmp_path / "missing.csv")
    (tmp_path / "latin1.csv").write_bytes(b"id,items,value,non_detection\n\xe9,1,1,0\n")
    with pytest.raises(PlanInputError, match="UTF-8"):
        load_sites_csv(tmp_path / "latin1.csv")
