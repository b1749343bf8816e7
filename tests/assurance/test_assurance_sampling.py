"""Attribute sampling: exact hypergeometric figures against scipy, exact decimals and simulation."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from treatyledger.assurance import PlanInputError, detect, non_detection, sample_size
from treatyledger.assurance.hypergeometric import detection_probability, log_miss_probability
from treatyledger.assurance.sampling import iaea_sample_size

getcontext().prec = 60


def exact_miss(population: int, defects: int, sample: int) -> Decimal:
    """C(N-M, n)/C(N, n) in 60-digit decimals: prod_{j<M} (N-n-j)/(N-j)."""
    result = Decimal(1)
    for j in range(defects):
        result *= Decimal(population - sample - j) / Decimal(population - j)
    return result


def relative(a: float, b: float | Decimal) -> float:
    return float(abs(Decimal(a) - Decimal(b)) / abs(Decimal(b)))


# -- the reference's checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "defects", "n_iaea", "n", "achieved"),
    [(100, 10, 26, 25, 0.0479), (1000, 5, 451, 450, 0.0499), (50, 2, 39, 39, 0.0449)],
)
def test_reference_checks(
    population: int, defects: int, n_iaea: int, n: int, achieved: float
) -> None:
    result = sample_size(population, defects, 0.05)
    assert (result.n, result.n_iaea) == (n, n_iaea)
    assert round(result.achieved_non_detection, 4) == achieved
    assert non_detection(population, defects, n - 1) > 0.05 >= non_detection(population, defects, n)


def test_json_names() -> None:
    assert sample_size(100, 10, 0.05).to_json() == {
        "population": 100,
        "defects": 10,
        "non_detection_target": 0.05,
        "n": 25,
        "n_iaea": 26,
        "achieved_non_detection": pytest.approx(0.047886556184390486, rel=1e-15),
    }
    doc = detect(100, 10, 25).to_json()
    assert set(doc) == {
        "population",
        "defects",
        "sample",
        "recognition",
        "detection_probability",
        "non_detection",
    }
    assert doc["detection_probability"] + doc["non_detection"] == pytest.approx(1.0, abs=1e-15)


# -- against scipy and exact decimals ------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(data=st.data(), population=st.integers(1, 10**6))
def test_miss_probability_agrees_with_scipy(data: st.DataObject, population: int) -> None:
    defects = data.draw(st.integers(0, min(population, 5000)), label="defects")
    sample = data.draw(st.integers(0, population), label="sample")
    ours = non_detection(population, defects, sample)
    theirs = float(hypergeom(population, defects, sample).pmf(0))
    if theirs < 1e-290:  # both underflow toward zero
        assert ours < 1e-280
    else:
        assert relative(ours, theirs) < 1e-9


@settings(max_examples=60, deadline=None)
@given(data=st.data(), population=st.integers(10**6, 10**7))
def test_miss_probability_is_exact_at_ten_million(data: st.DataObject, population: int) -> None:
    defects = data.draw(st.integers(1, 3000), label="defects")
    # A sample where the answer is neither 1 nor vanishing: beta from about 1e-6 to 1.
    top = math.ceil(population * -math.expm1(math.log(1e-6) / defects))
    sample = data.draw(st.integers(0, min(top, population - defects)), label="sample")
    ours = non_detection(population, defects, sample)
    assert relative(ours, exact_miss(population, defects, sample)) < 1e-12
    # scipy itself is off by up to ~3e-9 here (its hypergeometric pmf at N = 10^7).
    assert relative(ours, float(hypergeom(population, defects, sample).pmf(0))) < 1e-8


def test_large_population_is_exact_where_lgamma_would_not_be() -> None:
    population, defects, sample = 10**7, 2626, 2572
    ours = non_detection(population, defects, sample)
    assert relative(ours, exact_miss(population, defects, sample)) < 1e-13
    lgamma = math.exp(
        math.lgamma(population - defects + 1)
        - math.lgamma(population - defects - sample + 1)
        - math.lgamma(population + 1)
        + math.lgamma(population - sample + 1)
    )
    assert relative(lgamma, exact_miss(population, defects, sample)) > 1e-10


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    population=st.integers(1, 20_000),
    recognition=st.floats(0.01, 1.0),
)
def test_imperfect_recognition_agrees_with_scipy(
    data: st.DataObject, population: int, recognition: float
) -> None:
    defects = data.draw(st.integers(0, population), label="defects")
    sample = data.draw(st.integers(0, population), label="sample")
    x = np.arange(0, min(defects, sample) + 1)
    theirs = float(np.sum(hypergeom(population, defects, sample).pmf(x) * (1 - recognition) ** x))
    ours = non_detection(population, defects, sample, recognition)
    if theirs < 1e-250:
        assert ours < 1e-240
    else:
        assert relative(ours, theirs) < 1e-9


def test_recognition_when_the_sample_must_hold_defects() -> None:
    # N - M < n: at least 15 defects are in every sample; the series starts there.
    population, defects, sample, q = 100, 90, 25, 0.2
    x = np.arange(15, 26)
    theirs = float(np.sum(hypergeom(population, defects, sample).pmf(x) * (1 - q) ** x))
    assert relative(non_detection(population, defects, sample, q), theirs) < 1e-12
    assert non_detection(population, defects, sample) == 0.0
    assert log_miss_probability(population, defects, sample) == -math.inf


def test_detection_probability_keeps_its_digits_when_small() -> None:
    p = detection_probability(10**7, 1, 3)
    assert relative(p, Decimal(3) / Decimal(10**7)) < 1e-14


# -- sample sizes ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    population=st.integers(1, 10**6),
    target=st.floats(1e-6, 0.999, exclude_max=True),
)
def test_sample_size_is_the_smallest_and_never_above_iaea(
    data: st.DataObject, population: int, target: float
) -> None:
    defects = data.draw(st.integers(1, population), label="defects")
    result = sample_size(population, defects, target)
    assert result.n <= result.n_iaea
    assert result.achieved_non_detection <= target
    assert non_detection(population, defects, result.n) <= target * (1 + 1e-12)
    if result.n > 0:
        assert non_detection(population, defects, result.n - 1) > target * (1 - 1e-12)
    # The IAEA formula, in exact decimals: ceil(N (1 - beta^(1/M))).
    iaea = population * (1 - Decimal(target) ** (Decimal(1) / Decimal(defects)))
    assert abs(result.n_iaea - math.ceil(iaea)) <= (1 if abs(iaea - round(iaea)) < 1e-6 else 0)


def test_sample_size_for_ten_million_items() -> None:
    result = sample_size(10**7, 1000, 0.05)
    assert (result.n, result.n_iaea) == (29912, 29913)
    assert float(exact_miss(10**7, 1000, 29912)) <= 0.05 < float(exact_miss(10**7, 1000, 29911))
    assert iaea_sample_size(10**7, 1000, 0.05) == 29913


def test_one_defect_needs_exactly_the_share_of_the_target() -> None:
    # beta(n) = (N - n)/N: the tie at n = 0.95 N is met exactly.
    result = sample_size(10**7, 1, 0.05)
    assert result.n == result.n_iaea == 9_500_000
    assert result.achieved_non_detection == 0.05


def test_every_defect_found_when_all_are_defects() -> None:
    assert sample_size(10, 10, 0.5).n == 1
    assert sample_size(1, 1, 0.01).n == 1


# -- simulation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "defects", "sample", "recognition"),
    [(100, 10, 25, 1.0), (1000, 5, 450, 1.0), (500, 40, 30, 0.6), (50, 2, 39, 0.5)],
)
def test_detection_agrees_with_simulated_sampling(
    population: int, defects: int, sample: int, recognition: float
) -> None:
    rng = np.random.default_rng(20260205)
    runs = 40_000
    keys = rng.random((runs, population))
    drawn = np.argpartition(keys, sample - 1, axis=1)[:, :sample]
    found = (drawn < defects).sum(axis=1)  # items 0..M-1 are the defects
    recognised = rng.binomial(found, recognition) > 0
    rate = float(recognised.mean())
    exact = detect(population, defects, sample, recognition).detection_probability
    se = math.sqrt(exact * (1 - exact) / runs)
    assert abs(rate - exact) <= 4 * se


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ((10, 11, 0.05), "defects"),
        ((10, 0, 0.05), "defects"),
        ((10, 2, 0.0), "non-detection target"),
        ((10, 2, 1.0), "non-detection target"),
        ((10, 2, 1.5), "non-detection target"),
        ((10, 2, -0.1), "non-detection target"),
        ((10, 2, math.nan), "non-detection target"),
        ((-5, 2, 0.05), "population"),
        ((0, 0, 0.05), "population"),
        ((10, -1, 0.05), "defects"),
        ((10**10, 1, 0.05), "population"),
    ],
)
def test_sample_size_refuses_bad_arguments(args: tuple[int, int, float], argument: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        sample_size(*args)
    assert caught.value.argument == argument


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ((10, 11, 5, 1.0), "defects"),
        ((10, 2, 11, 1.0), "sample"),
        ((10, 2, -1, 1.0), "sample"),
        ((10, -2, 1, 1.0), "defects"),
        ((-10, 2, 1, 1.0), "population"),
        ((10, 2, 5, 0.0), "recognition"),
        ((10, 2, 5, 1.2), "recognition"),
    ],
)
def test_detect_refuses_bad_arguments(args: tuple[int, int, int, float], argument: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        detect(*args)
    assert caught.value.argument == argument


def test_whole_numbers_only() -> None:
    with pytest.raises(PlanInputError, match="whole number"):
        detect(10.5, 2, 3)  # type: ignore[arg-type]
    with pytest.raises(PlanInputError, match="whole number"):
        detect(True, 1, 1)  # type: ignore[arg-type]
