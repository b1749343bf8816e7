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

:func:`commit` reads the items once into NumPy arrays and computes every
facility's subtree at once (:mod:`treatyledger.escrow.forest`); the
node-by-node helpers here (:func:`leaf_input`, ``_reduce``, ``_path``,
``_climb``) serve the openings and their verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import operator
import struct
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Final, NoReturn

import numpy as np

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
from treatyledger.escrow.forest import Grove, Indices, roots
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

_DIGEST = type(hashlib.sha256()).digest
_U32 = struct.Struct(">I")
_UID = operator.attrgetter("uid")
_COMBO = operator.attrgetter("kind", "type", "status", "facility", "warheads")
_SHORT_UID = 64
"""UIDs up to this many bytes (ASCII, without NUL) are ranked by NumPy as fixed-width strings."""


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


class _Combos(dict[tuple[str, str, str, str, int | None], int]):
    """The (kind, type, status, facility, warheads) combinations of the items.

    Everything of a leaf's input but the salt and the uid depends only on the
    item's combination, so it is encoded (and checked against the
    specification, the layout and the facility list) once per combination,
    by :meth:`__missing__`; every other item is a dict lookup in C.
    """

    def __init__(self, spec: TreatySpec, layout: VectorLayout, ids: list[str]) -> None:
        super().__init__()
        self.spec, self.layout = spec, layout
        self.rank = {facility: i for i, facility in enumerate(ids)}
        # (len(encoding) - len(uid), the encoding after str16(uid) ‖ the encoded vector)
        self.tails: list[tuple[int, bytes]] = []
        self.facilities: list[int] = []  # the rank of the facility id

    def __missing__(self, combo: tuple[str, str, str, str, int | None]) -> int:
        kind, type_, status, facility, warheads = combo
        item = Item("-", kind, type_, status, facility, warheads)
        check_items(self.spec, [item])
        if facility not in self.rank:
            raise InventoryError(item="-", field="facility", problem="not a listed facility")
        encoded = encode_item(item)[3:]  # after str16("-")
        vector = self.layout.packed_item(kind, status, warheads).to_bytes(self.layout.width, "big")
        index = self[combo] = len(self.tails)
        self.tails.append((len(encoded) + 2, encoded + vector))
        self.facilities.append(self.rank[facility])
        return index


def _uids(uids: list[str], explain: Callable[[], NoReturn]) -> tuple[bytes, Indices, Indices]:
    """The UTF-8 uids concatenated, each one's length in bytes and each one's rank in uid order.

    ``explain`` for a uid it refuses: not valid Unicode, too long, declared
    twice. Code point order is UTF-8 byte order.
    """
    count, text = len(uids), "".join(uids)
    ascii_only = text.isascii()  # then one byte per character
    if ascii_only:
        encoded, lengths = text.encode("ascii"), np.fromiter(map(len, uids), np.intp, count)
    else:
        try:
            parts = list(map(str.encode, uids))
        except UnicodeEncodeError:
            explain()
        encoded, lengths = b"".join(parts), np.fromiter(map(len, parts), np.intp, count)
    longest = int(lengths.max(initial=1))
    if longest > MAX_STRING:
        explain()
    if ascii_only and "\x00" not in text and longest <= _SHORT_UID:
        # As NUL-padded fixed-width byte strings (exact, as no uid holds a NUL), compared
        # as big-endian 64-bit words, the most significant last for lexsort.
        size = -(-longest // 8) * 8
        words = np.array(uids, dtype=f"S{size}").view(">u8").reshape(count, size // 8)
        order = np.lexsort(words.T[::-1])
        ordered = words[order]
        twice = bool(np.any(np.all(ordered[1:] == ordered[:-1], axis=1)))
    else:
        order = np.fromiter(sorted(range(count), key=uids.__getitem__), np.intp, count)
        twice = len(set(uids)) != count
    if twice:
        explain()
    ranks = np.empty(count, np.intp)
    ranks[order] = np.arange(count)
    return encoded, lengths, ranks


def _grove(
    inventory: list[Item],
    secret: bytes,
    pad_to: PadTo,
    combos: _Combos,
    explain: Callable[[], NoReturn],
) -> Grove:
    """The leaves of every facility's subtree, as arrays (the hot path).

    Item salt ``i`` goes to the item of rank ``i`` in uid order; padding
    salts go facility after facility, in id order. Items are read once each,
    in input order (the order they lie in memory), by ``map`` in C; the rest
    works on NumPy arrays. ``explain`` raises the InventoryError of a refused
    item.
    """
    count = len(inventory)
    try:
        which = np.fromiter(map(combos.__getitem__, map(_COMBO, inventory)), np.intp, count)
    except InventoryError:
        explain()
    encoded, lengths, ranks = _uids(list(map(_UID, inventory)), explain)
    salts = np.frombuffer(salt_stream(secret, "item", 0, count), np.uint8)
    trees = np.array(combos.facilities, np.intp)[which]
    per_facility = np.bincount(trees, minlength=len(combos.rank))
    sizes = np.array([padded_count(k, pad_to) for k in per_facility.tolist()], np.intp)
    padding = int(sizes.sum()) - count
    if padding > MAX_SALTS:
        raise InventoryError(
            item="(declaration)", field="pad_to", problem="more than 2**37 padding leaves"
        )
    pad_salts = np.frombuffer(salt_stream(secret, "padding", 0, padding), np.uint8)
    return Grove(
        leaf_tag=LEAF_TAG,
        node_tag=NODE_TAG,
        width=combos.layout.width,
        tails=tuple(combos.tails),
        sizes=sizes,
        trees=trees,
        salts=salts.reshape(count, SALT_SIZE),
        ranks=ranks,
        uids=encoded,
        lengths=lengths,
        combos=which,
        padding=pad_salts.reshape(padding, SALT_SIZE),
    )


def _facility_nodes(
    secret: bytes, ids: list[str], layout: VectorLayout, grove: Grove
) -> list[FacilityNode]:
    """Each facility's node, from its subtree's root (:func:`roots`) and its salt."""
    subtrees = iter(roots(grove))
    facility_salts = split_salts(salt_stream(secret, "facility", 0, len(ids)))
    zero = (0,) * len(layout)
    nodes = []
    for facility, salt, size in zip(ids, facility_salts, grove.sizes.tolist(), strict=True):
        if size == 0:
            nodes.append(FacilityNode(facility, salt, 0, EMPTY_SUBTREE, zero))
            continue
        subtree = next(subtrees).tobytes()
        vector = layout.unpack(int.from_bytes(subtree[HASH_SIZE:], "big"))
        nodes.append(FacilityNode(facility, salt, size, subtree[:HASH_SIZE], vector))
    return nodes


def _explain(
    spec: TreatySpec, layout: VectorLayout, inventory: list[Item], ids: list[str]
) -> NoReturn:
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
    raise AssertionError("the fast path refused an inventory that every check accepts")


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
    combos = _Combos(spec, layout, ids)
    grove = _grove(
        inventory, secret, pad_to, combos, lambda: _explain(spec, layout, inventory, ids)
    )
    nodes = _facility_nodes(secret, ids, layout, grove)
    top_chunks, top_vecs = _top(nodes, layout)
    top_chunk, top_vec = _reduce(top_chunks, top_vecs, TOP_TAG, layout.width)
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
