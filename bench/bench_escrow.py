"""Benchmarks of the escrow sum tree against a bare hashlib loop.

Run:

    python bench/bench_escrow.py [--quick]

Every figure is measured in this run. Targets (escrow issue): committing
10^6 items (spread over 50 facilities) within 3 times a bare ``hashlib`` loop
that hashes the same leaf inputs (``sha256(leaf_input)`` per item, inputs
prepared beforehand), the two timed in alternating rounds; opening and
verifying a facility of 500 items, timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import random
import sys
import time
from collections.abc import Callable

from treatyledger.escrow.opening import (
    open_facility,
    verify_facility_opening,
)
from treatyledger.escrow.opening_json import (
    facility_opening_to_json,
    parse_facility_opening,
)
from treatyledger.escrow.sumtree import commit, leaf_input
from treatyledger.escrow.vector import VectorLayout, salt_stream, split_salts
from treatyledger.treaty import Item, TreatySpec, load_builtin

AS_OF = dt.date(2020, 9, 1)
_KINDS = (
    ("icbm", "minuteman_iii", "deployed"),
    ("icbm_launcher", "minuteman_iii", "deployed"),
    ("slbm", "trident_ii", "deployed"),
    ("slbm_launcher", "trident_ii", "non_deployed"),
    ("heavy_bomber", "b_52h", "deployed"),
    ("icbm", "minuteman_iii", "non_deployed"),
)


def synthetic_items(count: int, facilities: int, seed: int) -> list[Item]:
    """``count`` valid New START items of the United States over ``facilities`` facilities."""
    rng = random.Random(seed)
    items = []
    for i in range(count):
        kind, type_, status = _KINDS[rng.randrange(len(_KINDS))]
        warheads = rng.randint(1, 4) if kind in {"icbm", "slbm"} else None
        facility = f"facility_{rng.randrange(facilities):03d}"
        items.append(Item(f"US-{kind.upper()}-{i:08d}", kind, type_, status, facility, warheads))
    return items


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_commit(spec: TreatySpec, count: int, facilities: int) -> None:
    items = synthetic_items(count, facilities, 1)
    ids = sorted({item.facility for item in items})
    secret = bytes(range(32))
    layout = VectorLayout.from_spec(spec)
    by_uid = sorted(items, key=lambda item: item.uid)  # item salt i: the i-th uid
    salts = split_salts(salt_stream(secret, "item", 0, len(by_uid)))
    inputs = [leaf_input(layout, salt, item) for item, salt in zip(by_uid, salts, strict=True)]

    def bare() -> None:
        sha = hashlib.sha256
        for data in inputs:
            sha(data).digest()

    def ours() -> None:
        commit(spec, "US", AS_OF, items, ids, secret=secret)

    # Alternate the two, so that both see the machine in the same states.
    rounds = [(_timed(bare), _timed(ours)) for _ in range(3)]
    bare_s, ours_s = min(b for b, _ in rounds), min(o for _, o in rounds)
    size = sum(map(len, inputs)) / len(inputs)
    print(f"commit {count:,} items over {len(ids)} facilities (leaf input {size:.0f} B)")
    print(f"  ours (checks, salts, leaves, sort, sum tree, root): {ours_s:8.3f} s (best of 3)")
    print(f"  bare sha256 loop over the same leaf inputs:         {bare_s:8.3f} s (best of 3)")
    each = ", ".join(f"{o:.2f}/{b:.2f} s" for b, o in rounds)
    print(f"  rounds (ours/bare): {each}")
    print(f"  ratio ours / bare: {ours_s / bare_s:.2f}  (target <= 3)")


def bench_facility(spec: TreatySpec, size: int, facilities: int, rounds: int) -> None:
    items = synthetic_items(size * facilities, facilities, 2)
    ids = sorted({item.facility for item in items})
    decl = commit(spec, "US", AS_OF, items, ids, secret=bytes(32), pad_to="pow2")
    target = max(ids, key=lambda f: sum(item.facility == f for item in items))
    n = sum(item.facility == target for item in items)
    opening = open_facility(decl, target)
    text = facility_opening_to_json(opening)
    open_s = _timed(lambda: [open_facility(decl, target) for _ in range(rounds)]) / rounds
    verify_s = (
        _timed(lambda: [verify_facility_opening(opening, decl.commitment) for _ in range(rounds)])
        / rounds
    )
    parse_s = _timed(lambda: [parse_facility_opening(text) for _ in range(rounds)]) / rounds
    print(f"facility of {n} items (padded to a power of two; {len(ids)} facilities in all)")
    print(f"  open:   {open_s * 1e3:8.2f} ms (scans the whole inventory of {len(items):,})")
    print(f"  verify: {verify_s * 1e3:8.2f} ms")
    print(f"  parse JSON ({len(text) / 1024:.0f} KiB): {parse_s * 1e3:8.2f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, as a smoke test")
    args = parser.parse_args(argv)
    spec = load_builtin("new-start")
    bench_commit(spec, 20_000 if args.quick else 1_000_000, 50)
    bench_facility(spec, 500, 50, 3 if args.quick else 20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
