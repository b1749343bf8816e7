"""The verifiable draw: the documented test vector, an independent reimplementation, uniformity."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.assurance import DrawPurpose, PlanInputError, draw_sites
from treatyledger.assurance.draw import (
    draw_context,
    draw_stream,
    parse_hex32,
    seed_hash,
    uniform_indices,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "assurance.md"


def documented_vector() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"### Test vector\n.*?```text\n(.*?)\n```", text, flags=re.DOTALL)
    assert block is not None, "docs/assurance.md has no test vector block"
    return dict(line.split(": ", 1) for line in block.group(1).splitlines())


def purpose_of(v: dict[str, str]) -> DrawPurpose:
    return DrawPurpose(
        treaty=v["treaty"],
        inspected_party=v["inspected_party"],
        inspection_type=v["inspection_type"],
        quota_year=dt.date.fromisoformat(v["quota_year"]),
        size=int(v["size"]),
        cap=int(v["cap"]),
        origin=v["origin"],
        tree_size=int(v["tree_size"]),
        root_hash=bytes.fromhex(v["root_hash"]),
    )


def reference_words(seed: bytes, context: bytes) -> Iterator[int]:
    """The documented stream, written again from the text with hashlib only."""
    for counter in itertools.count():
        block = hmac.new(seed, context + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for offset in range(0, 32, 8):
            yield int.from_bytes(block[offset : offset + 8], "big")


def reference_draw(
    seed: bytes, lines: list[str], sites: list[str], *, cap: int, size: int
) -> list[str]:
    """The documented construction, written again from the text."""
    words = reference_words(seed, "".join(line + "\n" for line in lines).encode())
    tickets = [s for s in sorted(sites) for _ in range(cap)]
    for i in range(size):
        n = len(tickets) - i
        w = next(words)
        while w >= 2**64 - (2**64 % n):
            w = next(words)
        j = i + w % n
        tickets[i], tickets[j] = tickets[j], tickets[i]
    return tickets[:size]


def test_the_documented_vector() -> None:
    v = documented_vector()
    seed = bytes.fromhex(v["seed"])
    purpose = purpose_of(v)
    assert seed_hash(seed).hex() == v["seed_sha256"]
    context = draw_context(purpose)
    first = hmac.new(seed, context + bytes(8), hashlib.sha256).hexdigest()
    assert first == v["block_0"]
    stream = draw_stream(seed, context)
    assert [next(stream) for _ in range(4)] == [int(w) for w in v["words"].split()]
    assert list(draw_sites(seed, purpose, v["sites"].split())) == v["designations"].split()


def test_context_is_one_value_per_line() -> None:
    v = documented_vector()
    lines = draw_context(purpose_of(v)).decode().split("\n")
    assert lines == [
        "treatyledger/draw/v1",
        "new-start",
        "US",
        "type_one",
        "2021-02-05",
        "10",
        "2",
        "example.org/us/log",
        "2",
        v["root_hash"],
        "",
    ]


site_ids = st.lists(
    st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True), min_size=1, max_size=9, unique=True
)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    root=st.binary(min_size=32, max_size=32),
    sites=site_ids,
    cap=st.integers(1, 3),
    data=st.data(),
)
def test_an_independent_implementation_agrees(
    seed: bytes, root: bytes, sites: list[str], cap: int, data: st.DataObject
) -> None:
    size = data.draw(st.integers(0, cap * len(sites)), label="size")
    purpose = DrawPurpose(
        treaty="new-start",
        inspected_party="US",
        inspection_type="type_one",
        quota_year=dt.date(2021, 2, 5),
        size=size,
        cap=cap,
        origin="example.org/us/log",
        tree_size=7,
        root_hash=root,
    )
    lines = [
        "treatyledger/draw/v1",
        "new-start",
        "US",
        "type_one",
        "2021-02-05",
        str(size),
        str(cap),
        "example.org/us/log",
        "7",
        root.hex(),
    ]
    drawn = draw_sites(seed, purpose, list(reversed(sites)))
    assert list(drawn) == reference_draw(seed, lines, sites, cap=cap, size=size)
    counts = Counter(drawn)
    assert all(counts[s] <= cap for s in counts)
    assert set(counts) <= set(sites)


def test_each_input_changes_the_draw() -> None:
    v = documented_vector()
    seed, purpose, sites = bytes.fromhex(v["seed"]), purpose_of(v), v["sites"].split()
    base = draw_sites(seed, purpose, sites)
    changed = [
        draw_sites(bytes(32), purpose, sites),
        draw_sites(seed, replace(purpose, tree_size=3), sites),
        draw_sites(seed, replace(purpose, root_hash=bytes(32)), sites),
        draw_sites(seed, replace(purpose, inspected_party="RU"), sites),
    ]
    assert all(other != base for other in changed)


def test_draws_are_uniform() -> None:
    """Over many seeds, each site is equally likely at each position (chi-square, 0.1%)."""
    v = documented_vector()
    purpose = purpose_of(v)
    sites = v["sites"].split()
    runs = 4000
    first: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for n in range(runs):
        seed = hashlib.sha256(n.to_bytes(4, "big")).digest()
        drawn = draw_sites(seed, purpose, sites)
        first[drawn[0]] += 1
        pairs[drawn[0], drawn[1]] += 1
    expected = runs / len(sites)
    chi2 = sum((first[s] - expected) ** 2 / expected for s in sites)
    assert chi2 < 24.32  # chi-square, 7 degrees of freedom, p = 0.001
    # Without replacement from 16 tickets: the second ticket repeats the first site 1/15 times.
    same = sum(c for (a, b), c in pairs.items() if a == b)
    p = 1 / 15
    assert abs(same / runs - p) <= 4 * math.sqrt(p * (1 - p) / runs)


def test_rejection_sampling_skips_the_biased_top() -> None:
    n = 3
    limit = 2**64 - 2**64 % n  # words from here up would favour index 0
    words = iter([limit, limit + 1, 2**64 - 1, 7, limit - 1])
    assert uniform_indices(words, [n, n]) == [7 % n, (limit - 1) % n]


def test_bad_inputs() -> None:
    v = documented_vector()
    purpose = purpose_of(v)
    with pytest.raises(PlanInputError, match="32 bytes"):
        draw_sites(b"short", purpose, v["sites"].split())
    with pytest.raises(PlanInputError, match="cannot be drawn"):
        draw_sites(bytes(32), purpose, ["a", "b"])  # 10 designations from 4 tickets
    with pytest.raises(PlanInputError, match="twice"):
        draw_sites(bytes(32), purpose, ["a", "a"])
    with pytest.raises(PlanInputError, match="one non-empty line"):
        replace(purpose, origin="a\nb")
    with pytest.raises(PlanInputError, match="lowercase hex"):
        parse_hex32("AB" * 32, "seed")
    with pytest.raises(PlanInputError, match="lowercase hex"):
        parse_hex32("ab" * 31, "seed")
