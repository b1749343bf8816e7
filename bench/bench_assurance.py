"""Benchmarks of the statistical assurance figures against scipy.stats.hypergeom.

Run:

    python bench/bench_assurance.py [--quick]

Every figure is measured in this run. Targets (issue 6): the exact sample size
for N = 10^6 in under 10 ms; an allocation over 1,000 sites in under 1 s.
Beside them, the same sample sizes found by bisection on
``scipy.stats.hypergeom(N, M, n).pmf(0)`` (the peer, same search bounds), and
the ratio; and, for reference, the exact quota figure and the Monte Carlo
throughput on the US inventory of 2020.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import time
from collections.abc import Callable

from scipy.stats import hypergeom

from treatyledger.assurance import (
    InspectionSite,
    allocate_detection,
    allocate_deterrence,
    parse_cheat,
    quota_non_detection,
    quota_regime,
    sample_size,
    simulate_quota,
)
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.treaty import load_builtin

CASES = ((1, 0.05), (10, 0.05), (100, 0.05), (1000, 0.05), (5000, 0.01))


def _best(fn: Callable[[], object], rounds: int) -> float:
    """The best wall time of ``rounds`` runs, in seconds."""
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def scipy_sample_size(population: int, defects: int, target: float) -> int:
    """The peer: the smallest n with hypergeom.pmf(0) <= target, by bisection in the same
    window as ours (from the lower bound to the IAEA size)."""
    shrink = -math.expm1(math.log(target) / defects)
    low = max(0, math.floor((population - defects + 1) * shrink) - 1)
    high = min(population - defects + 1, math.ceil(population * shrink))
    while low < high:
        middle = (low + high) // 2
        if hypergeom(population, defects, middle).pmf(0) <= target:
            high = middle
        else:
            low = middle + 1
    return high


def bench_sample_size(population: int, rounds: int) -> None:
    print(f"sample size, N = {population:,} (best of {rounds})")
    header = ("M", "beta", "n", "n_iaea", "ours", "scipy", "ratio")
    print("  {:>6} {:>6} {:>10} {:>10} {:>10} {:>10} {:>7}".format(*header))
    for defects, target in CASES:
        ours = sample_size(population, defects, target)
        peer = scipy_sample_size(population, defects, target)
        mine = _best(lambda d=defects, t=target: sample_size(population, d, t), rounds)
        theirs = _best(lambda d=defects, t=target: scipy_sample_size(population, d, t), 3)
        same = "" if peer == ours.n else f"  (scipy says {peer})"
        print(
            f"  {defects:>6} {target:>6} {ours.n:>10,} {ours.n_iaea:>10,} "
            f"{mine * 1e3:>8.3f}ms {theirs * 1e3:>8.1f}ms {theirs / mine:>7.0f}{same}"
        )


def bench_allocation(count: int, rounds: int) -> None:
    rng = random.Random(6)
    sites = [
        InspectionSite(
            id=f"site_{i:05d}",
            items=rng.randint(1, 200),
            value=rng.uniform(1, 100),
            non_detection=rng.uniform(0, 0.5),
            gain=rng.uniform(0.5, 3),
            sanction=rng.uniform(1, 10),
        )
        for i in range(count)
    ]
    k = count // 4
    zero_sum = _best(lambda: allocate_detection(sites, k), rounds)
    deterrence = _best(lambda: allocate_deterrence(sites, k), rounds)
    print(
        f"allocation over {count:,} sites, K = {k}: zero-sum {zero_sum * 1e3:.1f} ms, "
        f"deterrence {deterrence * 1e3:.1f} ms (target < 1 s)"
    )


def bench_quota(replications: int) -> None:
    spec = load_builtin("new-start")
    regime = quota_regime(spec, us_inventory_2020_09_01(spec))
    for text in ("undeclared:5@malmstrom", "warheads:30"):
        cheat = parse_cheat(text, regime)
        exact_time = _best(lambda c=cheat: quota_non_detection(regime, c), 5)
        exact = 1 - quota_non_detection(regime, cheat)
        start = time.perf_counter()
        estimate = simulate_quota(regime, cheat, replications=replications, seed=1)
        elapsed = time.perf_counter() - start
        z = (estimate.rate - exact) / max(estimate.standard_error, 1e-300)
        print(
            f"quota, US 2020, {text}: exact {exact:.5f} in {exact_time * 1e3:.2f} ms; "
            f"Monte Carlo {estimate.rate:.5f} ({z:+.2f} SE) over {replications:,} years "
            f"in {elapsed:.2f} s ({replications / elapsed:,.0f} years/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a smoke test")
    args = parser.parse_args()
    rounds = 3 if args.quick else 20
    bench_sample_size(10**6, rounds)
    bench_sample_size(10**7, rounds)
    bench_allocation(100 if args.quick else 1000, rounds)
    bench_quota(10_000 if args.quick else 200_000)
    worst = max(_best(lambda d=d, t=t: sample_size(10**6, d, t), rounds) for d, t in CASES)
    print(f"worst sample size at N = 10^6: {worst * 1e3:.3f} ms (target < 10 ms)")


if __name__ == "__main__":
    main()
