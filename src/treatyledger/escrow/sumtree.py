"""A declaration in escrow: a salted, two-level Merkle sum tree over an inventory.

:func:`commit` builds one subtree per facility over its items' leaves, a facility
node per subtree, a top tree over the facility nodes and a root that binds the
context (treaty, party, as-of date) and the :class:`VectorLayout`. Every node
carries the vector of counted quantities, and each parent hashes both
children's hashes *and* both children's vectors, so a path verifier sees the
same split of a sum as every other verifier and no prover can move or hide
quantities. The public :class:`Commitment` is the root with the totals; a
:class:`TotalsProof` shows the totals are the root's; a
:class:`FacilityListOpening` shows the treaty partner every facility with its
totals (and that no facility id appears twice); openings of one facility or one
item are in :mod:`treatyledger.escrow.opening`.

Domain separation: every hash input starts with an ASCII tag
``treatyledger/escrow/v1/<name>\\x00``, never with the 0x00/0x01 bytes of the
transparency log's RFC 6962 hashing. Salts are HMAC-SHA256 under a 32-byte
per-declaration secret (:func:`~treatyledger.escrow.vector.new_secret` is the
one source of randomness), so the party can reopen later and two declarations
cannot be linked item by item.
Every byte is in ``docs/escrow.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import operator
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Final

from treatyledger.errors import InventoryError, NotFoundError, VerificationError
from treatyledger.escrow.vector import (
    ITEM_BOUND,
    MAX_STRING,
    NODE_BOUND,
    SECRET_SIZE,
    WARHEADS,
    Component,
    Context,
    PadTo,
    VectorLayout,
    Weight,
    _dump,
    _Reader,
    _Salts,
    encode_item,
    encode_str,
    padded_count,
)
from treatyledger.treaty.counting import Item, check_items
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "EMPTY_SUBTREE",
    "FACILITY_TAG",
    "HASH_SIZE",
    "HEAD_TAG",
    "LEAF_TAG",
    "MAX_FACILITIES",
    "NODE_TAG",
    "ROOT_TAG",
    "TOP_TAG",
    "Commitment",
    "Declaration",
    "FacilityNode",
    "Sibling",
    "commit",
    "commitment_to_json",
    "leaf_input",
    "parse_commitment",
]

HASH_SIZE: Final = 32
MAX_FACILITIES: Final = 65535
LEAF_TAG: Final = b"treatyledger/escrow/v1/leaf\x00"
NODE_TAG: Final = b"treatyledger/escrow/v1/node\x00"
FACILITY_TAG: Final = b"treatyledger/escrow/v1/facility\x00"
TOP_TAG: Final = b"treatyledger/escrow/v1/top\x00"
HEAD_TAG: Final = b"treatyledger/escrow/v1/facilities\x00"
ROOT_TAG: Final = b"treatyledger/escrow/v1/root\x00"
EMPTY_SUBTREE: Final = hashlib.sha256(b"treatyledger/escrow/v1/empty\x00").digest()
"""The subtree hash of a facility with no leaves (no items and no padding)."""

_U64_LIMIT = 2**64
_DIGEST = type(hashlib.sha256()).digest
_HEADER = struct.Struct(">HH")
_U32 = struct.Struct(">I")
_ROW = operator.attrgetter("facility", "uid", "kind", "type", "status", "warheads")
_FACILITY = operator.attrgetter("facility")
_GET_UID = operator.itemgetter(1)
_GET_COMBO = operator.itemgetter(2, 3, 4, 5)
_GET_CHECKED = operator.itemgetter(2, 4, 5)


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


# -- tree arithmetic ----------------------------------------------------------
# A node in flight is its *chunk* (hash ‖ encoded vector) and its packed vector.


def _fold(
    hashes: list[bytes], encoded: list[bytes], vecs: list[int], tag: bytes, width: int
) -> tuple[bytes, bytes, int]:
    """The root (hash, encoded vector, packed vector) of a non-empty level of nodes.

    Pairs left to right; a lone last node moves up unchanged: the RFC 6962
    shape (split at the largest power of two below n). Each level is computed
    with ``map``, so the per-node loop runs in C.
    """
    sha, add, join = hashlib.sha256, operator.add, b"".join
    while len(hashes) > 1:
        sums = list(map(add, vecs[0::2], vecs[1::2]))
        preimages = zip(repeat(tag), hashes[0::2], encoded[0::2], hashes[1::2], encoded[1::2])
        up_h = list(map(_DIGEST, map(sha, map(join, preimages))))
        up_e = list(map(operator.methodcaller("to_bytes", width, "big"), sums))
        if len(hashes) & 1:
            up_h.append(hashes[-1])
            up_e.append(encoded[-1])
            sums.append(vecs[-1])
        hashes, encoded, vecs = up_h, up_e, sums
    return hashes[0], encoded[0], vecs[0]


def _reduce(chunks: list[bytes], vecs: list[int], tag: bytes, width: int) -> tuple[bytes, int]:
    """:func:`_fold` over chunks (hash ‖ encoded vector); returns the root's chunk and vector."""
    hashes = [c[:HASH_SIZE] for c in chunks]
    digest, encoded, vec = _fold(hashes, [c[HASH_SIZE:] for c in chunks], vecs, tag, width)
    return digest + encoded, vec


def _path(
    chunks: list[bytes], vecs: list[int], index: int, tag: bytes, width: int
) -> list[tuple[bytes, int]]:
    """The RFC 9162 inclusion path of ``index``: siblings from the bottom up."""
    path: list[tuple[bytes, int]] = []
    lo, hi = 0, len(chunks)
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            path.append(_reduce(chunks[lo + k : hi], vecs[lo + k : hi], tag, width))
            hi = lo + k
        else:
            path.append(_reduce(chunks[lo : lo + k], vecs[lo : lo + k], tag, width))
            lo += k
    path.reverse()
    return path


def _siblings(path: list[tuple[bytes, int]], layout: VectorLayout) -> tuple[Sibling, ...]:
    return tuple(Sibling(chunk[:HASH_SIZE], layout.unpack(v)) for chunk, v in path)


def _bounded(vector: tuple[int, ...], layout: VectorLayout, what: str) -> int:
    """A vector from a proof, packed; VerificationError unless it fits the layout and bound."""
    if len(vector) != len(layout):
        raise VerificationError(
            f"{what} has {len(vector)} components; the layout has {len(layout)}"
        )
    for name, c in zip(layout.names, vector, strict=True):
        if c >= NODE_BOUND:
            raise VerificationError(f"{what}: component {name} is {c}, not below 2**48")
    return layout.pack(vector)


def _climb(
    start: tuple[bytes, int],
    position: tuple[int, int, Sequence[Sibling]],
    *,
    tag: bytes,
    layout: VectorLayout,
    where: str,
) -> tuple[bytes, int]:
    """From a node up to the root of a tree of ``count`` nodes (RFC 9162 §2.1.3.2).

    Left or right comes from ``(index, count)`` alone. Every sibling vector and
    every sum is checked against the bound, so no sum can wrap.
    """
    (chunk, vec), (index, count, path) = start, position
    if not 0 <= index < count:
        raise VerificationError(f"{where}: index {index} is outside a tree of {count}")
    fn, sn = index, count - 1
    width, high, sha = layout.width, layout.high_mask, hashlib.sha256
    for i, sibling in enumerate(path):
        if sn == 0:
            raise VerificationError(
                f"{where}: the path has {len(path)} siblings, too many for index {index} of {count}"
            )
        sv = _bounded(sibling.vector, layout, f"{where}: sibling {i} vector")
        total = sv + vec
        if total & high:
            raise VerificationError(
                f"{where}: the sum at sibling {i} reaches 2**48 in some component"
            )
        other = sibling.hash + sv.to_bytes(width, "big")
        if fn & 1 or fn == sn:
            digest = sha(tag + other + chunk).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            digest = sha(tag + chunk + other).digest()
        chunk, vec = digest + total.to_bytes(width, "big"), total
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"{where}: the path has {len(path)} siblings, too few for index {index} of {count}"
        )
    return chunk, vec


def leaf_input(layout: VectorLayout, salt: bytes, item: Item | None) -> bytes:
    """The bytes a leaf hashes: ``LEAF_TAG ‖ salt ‖ u16(len(e)) ‖ e ‖ vector``.

    ``e`` is :func:`~treatyledger.escrow.vector.encode_item` of the item, or
    empty with a zero vector for a padding leaf (None).
    """
    if item is None:
        return LEAF_TAG + salt + b"\x00\x00" + bytes(layout.width)
    encoded = encode_item(item)
    vec = layout.packed_item(item.kind, item.status, item.warheads, item.uid)
    return (
        LEAF_TAG
        + salt
        + len(encoded).to_bytes(2, "big")
        + encoded
        + vec.to_bytes(layout.width, "big")
    )


def _facility_chunk(node: FacilityNode, layout: VectorLayout) -> bytes:
    vec = layout.encode(node.subtree_vector)
    head = FACILITY_TAG + node.salt + encode_str(node.facility) + _U32.pack(node.leaves)
    return hashlib.sha256(head + node.subtree_hash + vec).digest() + vec


def _head(top_chunk: bytes, facilities: int) -> bytes:
    """The hash under the root: binds the number of facilities to the top tree's root."""
    return hashlib.sha256(HEAD_TAG + _U32.pack(facilities) + top_chunk[:HASH_SIZE]).digest()


def _root(context: Context, layout: VectorLayout, head: bytes, vector: bytes) -> bytes:
    preimage = ROOT_TAG + context.encode() + layout.digest + head + vector
    return hashlib.sha256(preimage).digest()


def _top(nodes: Sequence[FacilityNode], layout: VectorLayout) -> tuple[list[bytes], list[int]]:
    return [_facility_chunk(n, layout) for n in nodes], [
        layout.pack(n.subtree_vector) for n in nodes
    ]


# -- committing ---------------------------------------------------------------


_Row = tuple[str, str, str, str, str, int | None]  # facility, uid, kind, type, status, warheads


def _item(row: _Row) -> Item:
    facility, uid, kind, type_, status, warheads = row
    return Item(uid, kind, type_, status, facility, warheads)


def _leaves(
    layout: VectorLayout, salts: _Salts, facility: str, rows: list[_Row], leaves: int
) -> tuple[list[bytes], list[bytes], list[int]]:
    """Hashes, encoded and packed vectors of one facility's leaves, by leaf hash (the hot path).

    Computes exactly :func:`leaf_input` for every item (given as a row of its
    fields), with everything but the uid and salt encoded once per combination
    of the other fields, and the per-item work done by ``map`` in C.
    """
    width, add = layout.width, operator.add
    try:
        uids = list(map(str.encode, map(_GET_UID, rows)))
    except UnicodeEncodeError:
        for row in rows:
            encode_item(_item(row))  # raises the InventoryError that says which and why
        raise
    lengths = list(map(len, uids))
    if lengths and max(lengths) > MAX_STRING:
        encode_item(_item(rows[lengths.index(max(lengths))]))
    combos = list(map(_GET_COMBO, rows))
    index: dict[tuple[str, str, str, int | None], int] = {}
    tails: list[bytes] = []  # per combination, like the next three; the last one is padding
    encoded: list[bytes] = []
    vecs: list[int] = []
    fixed: list[int] = []
    for combo, row in dict(zip(combos, rows, strict=True)).items():
        item = _item(row)
        index[combo] = len(tails)
        tail = encode_item(item)[2 + len(item.uid.encode("utf-8")) :]
        vec = layout.packed_item(item.kind, item.status, item.warheads, item.uid)
        encoded.append(vec.to_bytes(width, "big"))
        tails.append(tail + encoded[-1])
        vecs.append(vec)
        fixed.append(len(tail) + 2)
    which = list(map(index.__getitem__, combos))
    heads = map(_HEADER.pack, map(add, lengths, map(fixed.__getitem__, which)), lengths)
    parts = zip(repeat(LEAF_TAG), salts.items(uids), heads, uids, map(tails.__getitem__, which))
    hashes = list(map(_DIGEST, map(hashlib.sha256, map(b"".join, parts))))
    encoded.append(bytes(width))
    vecs.append(0)
    for i in range(leaves - len(rows)):
        hashes.append(hashlib.sha256(leaf_input(layout, salts.padding(facility, i), None)).digest())
        which.append(len(vecs) - 1)
    position = dict(zip(hashes, which, strict=True))
    hashes.sort()
    which = list(map(position.__getitem__, hashes))
    return hashes, list(map(encoded.__getitem__, which)), list(map(vecs.__getitem__, which))


def _checked(spec: TreatySpec, items: Iterable[Item]) -> tuple[list[Item], list[_Row]]:
    """The inventory and its rows, after :func:`check_items` on one item per combination.

    Every check of :func:`check_items` but the uids' depends only on (kind,
    status, warheads), so it runs on one item per combination; the uids are
    checked for duplicates over the rows (each item's fields read once).
    """
    inventory = list(items)
    if not set(map(type, inventory)) <= {Item}:
        raise TypeError("an inventory is a sequence of Item values")
    rows: list[_Row] = list(map(_ROW, inventory))
    check_items(spec, dict(zip(map(_GET_CHECKED, rows), inventory, strict=True)).values())
    if len(set(map(_GET_UID, rows))) != len(rows):
        check_items(spec, inventory)  # raises for the uid declared twice
    return inventory, rows


def commit(
    spec: TreatySpec,
    party: str,
    as_of: dt.date,
    items: Iterable[Item],
    facilities: Iterable[str],
    *,
    secret: bytes,
    pad_to: PadTo = None,
) -> Declaration:
    """Commit ``party``'s inventory as of ``as_of``; every facility id must be listed.

    Facilities without items are allowed (their subtree is empty, or all
    padding). Raises :class:`~treatyledger.errors.InventoryError` for an item
    the specification or the escrow bounds refuse, an item at an unlisted
    facility, a facility listed twice, or totals reaching 2**48;
    :class:`~treatyledger.errors.NotFoundError` for an unknown party.
    ``secret`` must be fresh for every declaration (:func:`new_secret`).
    """
    if spec.party(party) is None:
        raise NotFoundError(f"{party!r} is not a party to {spec.id}")
    if len(secret) != SECRET_SIZE:
        raise ValueError(f"the secret is {SECRET_SIZE} bytes, got {len(secret)}")
    padded_count(0, pad_to)
    inventory, rows = _checked(spec, items)
    layout = VectorLayout.from_spec(spec)
    context = Context(spec.id, party, as_of)
    ids = sorted(facilities)
    if not 1 <= len(ids) <= MAX_FACILITIES or len(set(ids)) != len(ids):
        raise InventoryError(
            item="(declaration)",
            field="facilities",
            problem=f"1 to {MAX_FACILITIES} distinct ids are needed",
        )
    for facility in ids:
        try:
            if not facility or not encode_str(facility, "the id"):
                raise ValueError("the id is empty")
        except ValueError as exc:
            raise InventoryError(
                item="(declaration)", field="facilities", problem=f"{facility!r}: {exc}"
            ) from None
    groups: dict[str, list[_Row]] = {f: [] for f in ids}
    try:
        for row in rows:
            groups[row[0]].append(row)
    except KeyError:
        raise InventoryError(
            item=row[1], field="facility", problem=f"{row[0]!r} is not a listed facility"
        ) from None
    salts, width, nodes = _Salts(secret), layout.width, []
    for facility in ids:
        group = groups[facility]
        leaves = _leaves(layout, salts, facility, group, padded_count(len(group), pad_to))
        subtree, _, vec = _fold(*leaves, NODE_TAG, width) if leaves[0] else (EMPTY_SUBTREE, b"", 0)
        salt = salts.facility(facility)
        count = len(leaves[0])
        nodes.append(FacilityNode(facility, salt, count, subtree, layout.unpack(vec)))
    top_chunks, top_vecs = _top(nodes, layout)
    top_chunk, top_vec = _reduce(top_chunks, top_vecs, TOP_TAG, width)
    totals = layout.unpack(top_vec)
    for name, total in zip(layout.names, totals, strict=True):
        if total >= NODE_BOUND:  # every node's component is at most the total's
            raise InventoryError(
                item="(declaration)", field="totals", problem=f"{name} reaches 2**48"
            )
    root = _root(context, layout, _head(top_chunk, len(nodes)), top_chunk[HASH_SIZE:])
    commitment = Commitment(context, layout, root, totals)
    return Declaration(commitment, tuple(nodes), secret, tuple(inventory), pad_to)


def _check_root(commitment: Commitment, head: bytes, top_vec: int) -> None:
    layout = commitment.layout
    for name, got, claimed in zip(
        layout.names, layout.unpack(top_vec), commitment.totals, strict=True
    ):
        if got != claimed:
            raise VerificationError(
                f"the total of {name} is {got} under the root, but {claimed} is claimed"
            )
    root = _root(commitment.context, layout, head, top_vec.to_bytes(layout.width, "big"))
    if not hmac.compare_digest(root, commitment.root):
        raise VerificationError("the recomputed root does not match the committed root")


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
