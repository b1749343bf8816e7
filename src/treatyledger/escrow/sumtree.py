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
transparency log's RFC 6962 hashing. Salts are cut from ChaCha20 keystreams
under a 32-byte per-declaration secret
(:func:`~treatyledger.escrow.vector.new_secret` is the one source of
randomness), item ``i`` in uid order taking the ``i``-th salt, so the party can
reopen later and two declarations cannot be linked item by item.
Every byte is in ``docs/escrow.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import operator
import struct
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Final

from treatyledger.errors import InventoryError, NotFoundError, VerificationError
from treatyledger.escrow.commitment import (
    HASH_SIZE,
    MAX_FACILITIES,
    Commitment,
    Declaration,
    FacilityNode,
    Sibling,
    commitment_to_json,
    parse_commitment,
)
from treatyledger.escrow.vector import (
    MAX_SALTS,
    MAX_STRING,
    NODE_BOUND,
    SALT_SIZE,
    SECRET_SIZE,
    Context,
    PadTo,
    VectorLayout,
    encode_item,
    encode_str,
    padded_count,
    salt_stream,
    split_salts,
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
_FACILITY = operator.attrgetter("facility")
_UID = operator.attrgetter("uid")
_COMBO = operator.attrgetter("kind", "type", "status", "facility", "warheads")


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


class _Vectors(dict[tuple[int, int], int]):
    """Vectors by id, and the id of the sum of two ids (a cache: few distinct sums low down).

    Leaf vectors come from a few (kind, status, warheads) combinations, so the
    nodes of the lowest levels have few distinct vectors: their sums are looked
    up by ``(left id, right id)`` in C, and only a new pair is added up in
    Python (:meth:`__missing__`). Id 0 is the zero vector.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.ints: list[int] = [0]
        self.encoded: list[bytes] = [bytes(width)]
        self.ids: dict[bytes, int] = {self.encoded[0]: 0}

    def add(self, vec: int) -> int:
        """The id of a packed vector (a new id for a new vector)."""
        # Keyed by the encoding: the hashes of packed ints collide (2**64 is 8 mod 2**61 - 1).
        encoded = vec.to_bytes(self.width, "big")
        vid = self.ids.get(encoded)
        if vid is None:
            vid = self.ids[encoded] = len(self.ints)
            self.ints.append(vec)
            self.encoded.append(encoded)
        return vid

    def __missing__(self, pair: tuple[int, int]) -> int:
        vid = self[pair] = self.add(self.ints[pair[0]] + self.ints[pair[1]])
        return vid


def _fold_ids(
    hashes: list[bytes], vids: list[int], tag: bytes, vectors: _Vectors
) -> tuple[bytes, bytes, int]:
    """:func:`_fold` over vector ids: the root's hash, encoded and packed vector.

    While most sums of a level are already known (the lowest levels), a sum
    is one dict lookup; once more than a tenth of a level's sums are new, the
    rest of the tree is folded on packed integers by :func:`_fold`. The nodes,
    hashes and sums are the same either way.
    """
    sha, join, encoded = hashlib.sha256, b"".join, vectors.encoded
    get_enc = encoded.__getitem__
    while len(hashes) > 1:
        known = len(vectors.ints)
        lefts, rights = vids[0::2], vids[1::2]
        preimages = zip(
            repeat(tag), hashes[0::2], map(get_enc, lefts), hashes[1::2], map(get_enc, rights)
        )
        up_h = list(map(_DIGEST, map(sha, map(join, preimages))))
        up_v = list(map(vectors.__getitem__, zip(lefts, rights, strict=False)))
        if len(hashes) & 1:
            up_h.append(hashes[-1])
            up_v.append(vids[-1])
        hashes, vids = up_h, up_v
        if 10 * (len(vectors.ints) - known) > len(up_v):  # many new sums: stop caching
            ints = vectors.ints
            return _fold(
                hashes,
                list(map(get_enc, vids)),
                list(map(ints.__getitem__, vids)),
                tag,
                vectors.width,
            )
    return hashes[0], encoded[vids[0]], vectors.ints[vids[0]]


class _Combos(dict[tuple[str, str, str, str, int | None], int]):
    """The (kind, type, status, facility, warheads) combinations of the items.

    Everything of a leaf's input but the salt and the uid depends only on the
    item's combination, so it is encoded (and checked against the
    specification, the layout and the facility list) once per combination,
    by :meth:`__missing__`; every other item is a dict lookup in C.
    """

    def __init__(
        self, spec: TreatySpec, layout: VectorLayout, ids: list[str], vectors: _Vectors
    ) -> None:
        super().__init__()
        self.spec, self.layout, self.vectors = spec, layout, vectors
        self.rank = {facility: i for i, facility in enumerate(ids)}
        self.tails: list[bytes] = []  # the encoding after str16(uid) ‖ the encoded vector
        self.fixed: list[int] = []  # len(encoding) - len(uid)
        self.vids: list[int] = []
        self.facilities: list[int] = []  # the rank of the facility id

    def __missing__(self, combo: tuple[str, str, str, str, int | None]) -> int:
        kind, type_, status, facility, warheads = combo
        item = Item("-", kind, type_, status, facility, warheads)
        check_items(self.spec, [item])
        if facility not in self.rank:
            raise InventoryError(item="-", field="facility", problem="not a listed facility")
        encoded = encode_item(item)[3:]  # after str16("-")
        vid = self.vectors.add(self.layout.packed_item(kind, status, warheads))
        index = self[combo] = len(self.tails)
        self.tails.append(encoded + self.vectors.encoded[vid])
        self.fixed.append(len(encoded) + 2)
        self.vids.append(vid)
        self.facilities.append(self.rank[facility])
        return index


def _leaf_hashes(
    inventory: list[Item], secret: bytes, combos: _Combos, explain: Callable[[], None]
) -> tuple[list[bytes], list[int]]:
    """Every item's leaf hash and combination, in input order (the hot path).

    Computes exactly :func:`leaf_input` with item salt ``i`` for the item of
    rank ``i`` in uid order (code point order is UTF-8 byte order). Items are
    read once, in input order; the per-item work runs in ``map`` in C.
    ``explain`` raises the InventoryError of a refused item.
    """
    try:
        which = list(map(combos.__getitem__, map(_COMBO, inventory)))
    except InventoryError:
        explain()
        raise
    uids = list(map(_UID, inventory))
    try:
        encoded = list(map(str.encode, uids))
    except UnicodeEncodeError:
        explain()
        raise
    if encoded and max(map(len, encoded)) > MAX_STRING:
        explain()
    ranks = dict(zip(sorted(uids), range(len(uids)), strict=True))  # code points sort as UTF-8
    if len(ranks) != len(uids):
        explain()  # a uid declared twice
    rank = list(map(ranks.__getitem__, uids))
    del ranks
    stream, size = salt_stream(secret, "item", 0, len(rank)), SALT_SIZE
    starts = list(map(operator.mul, rank, repeat(size)))
    del rank
    salts = map(stream.__getitem__, map(slice, starts, map(operator.add, starts, repeat(size))))
    lengths = list(map(len, encoded))
    fixed = map(combos.fixed.__getitem__, which)
    heads = map(_HEADER.pack, map(operator.add, lengths, fixed), lengths)
    parts = zip(repeat(LEAF_TAG), salts, heads, encoded, map(combos.tails.__getitem__, which))
    return list(map(_DIGEST, map(hashlib.sha256, map(b"".join, parts)))), which


def _subtree(
    hashes: list[bytes], vids: list[int], padding: list[bytes], vectors: _Vectors
) -> tuple[bytes, bytes, int, int]:
    """One facility's subtree from its items' leaf hashes and vector ids and its padding salts.

    Returns the subtree hash, its encoded and packed vector and its leaf count.
    """
    pad_tail = vectors.encoded[0]
    pads = map(b"".join, zip(repeat(LEAF_TAG), padding, repeat(b"\x00\x00"), repeat(pad_tail)))
    leaves = hashes + list(map(_DIGEST, map(hashlib.sha256, pads)))
    if not leaves:
        return EMPTY_SUBTREE, pad_tail, 0, 0
    position = dict(zip(hashes, vids, strict=True))
    position.update(zip(leaves[len(hashes) :], repeat(0)))
    leaves.sort()
    digest, encoded, vec = _fold_ids(
        leaves, list(map(position.__getitem__, leaves)), NODE_TAG, vectors
    )
    return digest, encoded, vec, len(leaves)


def _explain(spec: TreatySpec, layout: VectorLayout, inventory: list[Item], ids: list[str]) -> None:
    """Raise the InventoryError of the first refused item, in input order (the slow path)."""
    check_items(spec, inventory)
    listed = set(ids)
    for item in inventory:
        encode_item(item)
        layout.packed_item(item.kind, item.status, item.warheads, item.uid)
        if item.facility not in listed:
            raise InventoryError(
                item=item.uid,
                field="facility",
                problem=f"{item.facility!r} is not a listed facility",
            )


def _facility_ids(facilities: Iterable[str]) -> list[str]:
    """The facility ids in increasing order; InventoryError unless 1 to 65535 distinct ids."""
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
    return ids


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
    inventory = list(items)
    if not set(map(type, inventory)) <= {Item}:
        raise TypeError("an inventory is a sequence of Item values")
    layout = VectorLayout.from_spec(spec)
    context = Context(spec.id, party, as_of)
    ids = _facility_ids(facilities)
    vectors = _Vectors(layout.width)
    combos = _Combos(spec, layout, ids, vectors)
    hashes, which = _leaf_hashes(
        inventory, secret, combos, lambda: _explain(spec, layout, inventory, ids)
    )
    # Group the leaf hashes and vector ids by facility (one pass in input order).
    groups: list[list[bytes]] = [[] for _ in ids]
    group_vids: list[list[int]] = [[] for _ in ids]
    add_hash = [groups[f].append for f in combos.facilities]
    add_vid = [group_vids[f].append for f in combos.facilities]
    for digest, combo, vid in zip(hashes, which, map(combos.vids.__getitem__, which), strict=True):
        add_hash[combo](digest)
        add_vid[combo](vid)
    del hashes, which, add_hash, add_vid
    pads = [padded_count(len(g), pad_to) - len(g) for g in groups]
    if sum(pads) > MAX_SALTS:
        raise InventoryError(
            item="(declaration)", field="pad_to", problem="more than 2**37 padding leaves"
        )
    facility_salts = split_salts(salt_stream(secret, "facility", 0, len(ids)))
    width, nodes, offset = layout.width, [], 0
    for facility, salt, group, vids, pad in zip(
        ids, facility_salts, groups, group_vids, pads, strict=True
    ):
        padding = split_salts(salt_stream(secret, "padding", offset, pad))
        offset += pad
        subtree, _, vec, count = _subtree(group, vids, padding, vectors)
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
