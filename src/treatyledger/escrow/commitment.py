"""The public and private values of a declaration in escrow, and the commitment's JSON.

:class:`Commitment` is what a party publishes (root, totals, layout, context);
:class:`Declaration` adds what the party keeps to open it later (facility
nodes, the secret, the items). :class:`Sibling` and :class:`FacilityNode` are
the pieces proofs are made of. Computation lives in
:mod:`treatyledger.escrow.sumtree`, proofs in :mod:`treatyledger.escrow.opening`;
every byte is in ``docs/escrow.md``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from treatyledger.escrow.vector import (
    ITEM_BOUND,
    SECRET_SIZE,
    WARHEADS,
    Component,
    Context,
    PadTo,
    VectorLayout,
    Weight,
    _dump,
    _Reader,
    encode_str,
    padded_count,
)
from treatyledger.treaty.counting import Item

__all__ = [
    "HASH_SIZE",
    "MAX_FACILITIES",
    "Commitment",
    "Declaration",
    "FacilityNode",
    "Sibling",
    "commitment_to_json",
    "parse_commitment",
]

HASH_SIZE: Final = 32
MAX_FACILITIES: Final = 65535
_U64_LIMIT: Final = 1 << 64
_FACILITY = operator.attrgetter("facility")


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")


def _check_vector(vector: tuple[int, ...], what: str) -> None:
    for c in vector:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < _U64_LIMIT:
            raise ValueError(f"{what} components are integers from 0 to 2**64 - 1, got {c!r}")


@dataclass(frozen=True)
class Sibling:
    """One step of a path: the other child's hash and vector (encodable when built)."""

    hash: bytes
    vector: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_hash(self.hash, "a sibling hash")
        _check_vector(self.vector, "a sibling vector's")


@dataclass(frozen=True)
class FacilityNode:
    """The preimage of one facility node: id, salt, leaf count, subtree hash and vector."""

    facility: str
    salt: bytes = field(repr=False)
    leaves: int
    subtree_hash: bytes
    subtree_vector: tuple[int, ...]

    def __post_init__(self) -> None:
        encode_str(self.facility, "a facility id")
        if not self.facility:
            raise ValueError("a facility id is non-empty")
        if isinstance(self.leaves, bool) or not 0 <= self.leaves < 2**32:
            raise ValueError(f"a leaf count is from 0 to 2**32 - 1, got {self.leaves!r}")
        _check_hash(self.salt, "a facility salt")
        _check_hash(self.subtree_hash, "a subtree hash")
        _check_vector(self.subtree_vector, "a subtree vector's")


@dataclass(frozen=True)
class Commitment:
    """The public part of a declaration: context, layout, root and claimed totals.

    Promises only that it is well-formed (a 32-byte root, one encodable total
    per component); :func:`verify_totals` proves the totals are the root's.
    """

    context: Context
    layout: VectorLayout
    root: bytes
    totals: tuple[int, ...]

    def __post_init__(self) -> None:
        _check_hash(self.root, "a root")
        _check_vector(self.totals, "the totals'")
        if len(self.totals) != len(self.layout):
            raise ValueError(
                f"the layout has {len(self.layout)} components, the totals {len(self.totals)}"
            )

    def totals_by_limit(self) -> dict[str, int]:
        """``{limit id: total}`` for every ``limit/<id>`` component."""
        return {
            name.removeprefix("limit/"): total
            for name, total in zip(self.layout.names, self.totals, strict=True)
            if name.startswith("limit/")
        }

    def totals_by_kind_status(self) -> dict[tuple[str, str], int]:
        """``{(kind, status): number of items}`` for every ``count/<kind>/<status>`` component."""
        out: dict[tuple[str, str], int] = {}
        for name, total in zip(self.layout.names, self.totals, strict=True):
            parts = name.split("/")
            if len(parts) == 3 and parts[0] == "count":
                out[parts[1], parts[2]] = total
        return out


def _check_facilities(nodes: Sequence[FacilityNode]) -> None:
    if not 1 <= len(nodes) <= MAX_FACILITIES:
        raise ValueError(f"a declaration has 1 to {MAX_FACILITIES} facilities")
    if not all(isinstance(n, FacilityNode) for n in nodes):
        raise ValueError("facilities are FacilityNode values")
    if any(a.facility >= b.facility for a, b in itertools.pairwise(nodes)):
        raise ValueError("facilities are listed once each, in increasing id order")


@dataclass(frozen=True)
class Declaration:
    """A committed declaration with the private parts needed to open it later.

    ``facilities`` holds every facility node in increasing id order; ``secret``
    (never shown by repr) and ``items`` let the party reopen any facility or
    item. Built by :func:`commit`; checked for consistency when built.
    """

    commitment: Commitment
    facilities: tuple[FacilityNode, ...]
    secret: bytes = field(repr=False)
    items: tuple[Item, ...] = field(repr=False)
    pad_to: PadTo = None

    def __post_init__(self) -> None:
        _check_facilities(self.facilities)
        if len(self.secret) != SECRET_SIZE:
            raise ValueError(f"a declaration secret is {SECRET_SIZE} bytes")
        padded_count(0, self.pad_to)
        undeclared = set(map(_FACILITY, self.items)) - {f.facility for f in self.facilities}
        if undeclared:
            raise ValueError(f"items are at undeclared facilities {sorted(undeclared)}")

    def facility_vectors(self) -> dict[str, tuple[int, ...]]:
        """``{facility id: its vector}`` in id order (what the treaty partner sees)."""
        return {f.facility: f.subtree_vector for f in self.facilities}


# -- canonical JSON -----------------------------------------------------------


def commitment_to_json(commitment: Commitment) -> str:
    """The canonical JSON of a commitment (format in ``docs/escrow.md``)."""
    ctx, layout = commitment.context, commitment.layout
    return _dump(
        {
            "format": "treatyledger/escrow/v1/commitment",
            "treaty": ctx.treaty,
            "party": ctx.party,
            "as_of": ctx.as_of.isoformat(),
            "layout": [
                {"name": c.name, "terms": [list(t) for t in c.terms]} for c in layout.components
            ],
            "root": commitment.root.hex(),
            "totals": list(commitment.totals),
        }
    )


def _parse_component(r: _Reader, raw: object, where: str) -> Component:
    comp = r.obj(raw, {"name", "terms"}, where)
    terms: list[tuple[str, str, Weight]] = []
    for j, term in enumerate(r.array(comp["terms"], f"{where}.terms")):
        at = f"{where}.terms[{j}]"
        if not isinstance(term, list) or len(term) != 3:
            r.fail(f"{at} is not [kind, status, weight]")
        weight = term[2] if term[2] == WARHEADS else r.integer(term[2], at, ITEM_BOUND + 1)
        terms.append((r.text(term[0], at), r.text(term[1], at), weight))
    return r.build(Component, r.text(comp["name"], f"{where}.name"), tuple(terms))


def parse_commitment(text: str | bytes) -> Commitment:
    """Read :func:`commitment_to_json`'s output; FormatError for anything else."""
    r = _Reader("escrow commitment")
    doc = r.load(text, "commitment", {"as_of", "layout", "party", "root", "totals", "treaty"})
    raw_layout = r.array(doc["layout"], "layout")
    components = tuple(_parse_component(r, c, f"layout[{i}]") for i, c in enumerate(raw_layout))
    day = r.text(doc["as_of"], "as_of")
    try:
        as_of = dt.date.fromisoformat(day)
    except ValueError:
        r.fail("as_of is not a YYYY-MM-DD date")
    if as_of.isoformat() != day:
        r.fail("as_of is not a YYYY-MM-DD date")
    treaty, party = r.text(doc["treaty"], "treaty"), r.text(doc["party"], "party")
    return r.build(
        Commitment,
        r.build(Context, treaty, party, as_of),
        r.build(VectorLayout, components),
        r.hex32(doc["root"], "root"),
        r.vector(doc["totals"], "totals"),
    )
