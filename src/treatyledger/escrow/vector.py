"""The primitives of escrow: the vector layout, the encodings, the salts.

Every node of an escrow sum tree carries a vector of counted quantities. A
:class:`VectorLayout` says what each component of the vector counts: one
component per central limit of the treaty (an item contributes what the
limit's counting rule says: 1, its warheads, or a fixed number) and one per
(item kind, status) pair (1 for an item of that kind and status). The layout
is data, not code: each :class:`Component` lists, per (kind, status) pair,
what an item contributes, so a verifier computes an opened item's vector from
the commitment alone, and the layout's :attr:`~VectorLayout.digest` (bound in
the root) changes whenever a counting rule does.

Vectors are encoded as big-endian ``uint64`` components. Every component of an
item's vector is at most :data:`ITEM_BOUND` and every component of a node's
vector is below :data:`NODE_BOUND`, so sums are exact and never wrap; both
bounds are checked by the prover and by the verifier. Internally a vector is
also handled as one Python integer with a 64-bit lane per component
(:meth:`VectorLayout.pack`): while every lane stays below ``2**64``, adding two
packed integers adds the vectors component by component, exactly.

The same module holds the byte encodings (:func:`encode_str`,
:func:`encode_item`, :class:`Context`), the padding rule
(:func:`padded_count`), the salts (ChaCha20 keystreams under a per-declaration
secret from :func:`new_secret`, the one source of randomness: one cipher call
gives the salts of every item, :func:`salt_stream`) and the strict reading of
canonical JSON. The byte format is in ``docs/escrow.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NoReturn, TypeVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from treatyledger.errors import FormatError, InventoryError
from treatyledger.treaty.counting import Item
from treatyledger.treaty.limits import CountBasis
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "ITEM_BOUND",
    "LAYOUT_TAG",
    "MAX_COMPONENTS",
    "MAX_SALTS",
    "MAX_STRING",
    "NODE_BOUND",
    "NO_WARHEADS",
    "SALT_FAMILIES",
    "SALT_SIZE",
    "SECRET_SIZE",
    "WARHEADS",
    "Component",
    "Context",
    "PadTo",
    "VectorLayout",
    "Weight",
    "encode_item",
    "encode_str",
    "new_secret",
    "padded_count",
    "salt_nonce",
    "salt_stream",
    "split_salts",
]

ITEM_BOUND: Final = 2**16
"""The largest value any component of one item's vector may take (inclusive)."""
NODE_BOUND: Final = 2**48
"""Every component of every node's vector is below this."""
MAX_STRING: Final = 1024
"""The longest string (in UTF-8 bytes) an encoding accepts: ids, uids, names."""
MAX_COMPONENTS: Final = 4096
"""The most components a layout may have."""
WARHEADS: Final = "warheads"
"""The weight of a term that contributes the item's declared warheads."""
NO_WARHEADS: Final = 0xFFFFFFFF
"""The ``uint32`` encoding of "no warheads declared" (and of the weight :data:`WARHEADS`)."""
LAYOUT_TAG: Final = b"treatyledger/escrow/v1/layout\x00"
SECRET_SIZE: Final = 32
"""The size of a declaration's secret, from which every salt is derived."""

Weight = int | Literal["warheads"]
"""What one item contributes to a component: a fixed number, or its warheads."""

_NAME = re.compile(r"[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*")
_IDENT = re.compile(r"[a-z][a-z0-9_]*")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_T = TypeVar("_T")


def encode_str(value: str, what: str = "string") -> bytes:
    """``u16`` length ‖ UTF-8 bytes; raises ValueError for text that cannot be encoded.

    The string must be valid Unicode (no lone surrogates) and at most
    :data:`MAX_STRING` bytes long once encoded; the empty string is allowed.
    """
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} is not valid Unicode text: {exc.reason}") from None
    if len(raw) > MAX_STRING:
        raise ValueError(f"{what} is {len(raw)} bytes of UTF-8, more than {MAX_STRING}")
    return _U16.pack(len(raw)) + raw


def encode_item(item: Item) -> bytes:
    """The canonical encoding of one item (without its outer ``u16`` length).

    ``str16(uid) ‖ str16(kind) ‖ str16(type) ‖ str16(status) ‖ str16(facility) ‖
    u32(warheads)``, with :data:`NO_WARHEADS` for "none". It is never empty.
    Raises :class:`~treatyledger.errors.InventoryError` for an item it cannot
    encode (a string too long or not valid Unicode, warheads above
    :data:`ITEM_BOUND`).
    """
    parts = []
    for name in ("uid", "kind", "type", "status", "facility"):
        try:
            parts.append(encode_str(getattr(item, name), name))
        except ValueError as exc:
            raise InventoryError(item=item.uid, field=name, problem=str(exc)) from None
    if item.warheads is not None and item.warheads > ITEM_BOUND:
        raise InventoryError(
            item=item.uid,
            field="warheads",
            problem=f"{item.warheads} is above the escrow bound of {ITEM_BOUND}",
        )
    parts.append(_U32.pack(NO_WARHEADS if item.warheads is None else item.warheads))
    return b"".join(parts)


PadTo = None | Literal["pow2"] | int
"""Padding of a facility's leaves: None, ``"pow2"`` or a bucket size (:func:`padded_count`)."""


def new_secret() -> bytes:
    """32 fresh random bytes from the operating system: a new declaration's secret."""
    return os.urandom(SECRET_SIZE)


def padded_count(items: int, pad_to: PadTo) -> int:
    """How many leaves a facility of ``items`` items gets.

    None: exactly ``items``. ``"pow2"``: the smallest power of two ≥ ``items``
    and ≥ 1. An int ``b`` ≥ 1: the smallest multiple of ``b`` ≥ ``items`` and ≥ ``b``
    (a ``b`` above every facility's size gives every facility ``b`` leaves).
    """
    if pad_to is None:
        return items
    if pad_to == "pow2":
        return 1 << max(items - 1, 0).bit_length()
    if isinstance(pad_to, bool) or not isinstance(pad_to, int) or not 1 <= pad_to <= 2**24:
        raise ValueError(f"pad_to is None, 'pow2' or a bucket size from 1 to 2**24, got {pad_to!r}")
    return max(-(-items // pad_to), 1) * pad_to


SALT_SIZE: Final = 32
"""The size of every salt (item, facility, padding leaf)."""
SALT_FAMILIES: Final = ("item", "facility", "padding")
"""The salt families; each has its own ChaCha20 keystream under the secret."""
MAX_SALTS: Final = 2**37
"""The most salts of one family: 2**32 ChaCha20 blocks of 64 bytes, two salts each."""


def salt_nonce(family: str) -> bytes:
    """The 12-byte ChaCha20 nonce of a salt family: ``H(TAG(salt/<family>))[:12]``."""
    if family not in SALT_FAMILIES:
        raise ValueError(f"a salt family is one of {SALT_FAMILIES}, got {family!r}")
    return hashlib.sha256(f"treatyledger/escrow/v1/salt/{family}\x00".encode()).digest()[:12]


_NONCES: Final = {family: salt_nonce(family) for family in SALT_FAMILIES}
_SALT_SPLIT = re.compile(b"(?s).{%d}" % SALT_SIZE)


def salt_stream(secret: bytes, family: str, first: int, count: int) -> bytes:
    """Salts ``first`` to ``first + count - 1`` of a family, concatenated (``32 * count`` bytes).

    Salt ``i`` of a family is bytes ``[32 i, 32 i + 32)`` of the ChaCha20
    keystream (RFC 8439: key = the secret, block counter from 0, the family's
    :func:`salt_nonce`). One cipher call produces any run of salts: the run
    starts at block ``first // 2``.
    """
    if len(secret) != SECRET_SIZE:
        raise ValueError(f"the secret is {SECRET_SIZE} bytes, got {len(secret)}")
    if family not in _NONCES:
        raise ValueError(f"a salt family is one of {SALT_FAMILIES}, got {family!r}")
    if not 0 <= first <= first + count <= MAX_SALTS or count < 0:
        raise ValueError(f"salts {first} .. {first + count - 1} are outside 0 .. 2**37 - 1")
    if count == 0:
        return b""
    block, skip = divmod(first, 2)
    nonce = block.to_bytes(4, "little") + _NONCES[family]  # OpenSSL: counter ‖ nonce
    stream = Cipher(algorithms.ChaCha20(secret, nonce), mode=None).encryptor()
    return stream.update(bytes(SALT_SIZE * (skip + count)))[SALT_SIZE * skip :]


def split_salts(stream: bytes) -> list[bytes]:
    """A run of salts from :func:`salt_stream` as a list of 32-byte salts (split in C)."""
    return _SALT_SPLIT.findall(stream)


def _check_weight(weight: object) -> None:
    if weight == WARHEADS:
        return
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise ValueError(f"a weight is a whole number or {WARHEADS!r}, got {weight!r}")
    if not 0 <= weight <= ITEM_BOUND:
        raise ValueError(f"a weight must be between 0 and {ITEM_BOUND}, got {weight}")


@dataclass(frozen=True)
class Component:
    """One component of the vector and what each item contributes to it.

    ``terms`` lists ``(kind, status, weight)`` in strictly increasing
    ``(kind, status)`` order, so each pair appears once; an item whose pair is
    not listed contributes 0. ``weight`` is a number from 0 to
    :data:`ITEM_BOUND` or :data:`WARHEADS`. Checked when built.
    """

    name: str
    terms: tuple[tuple[str, str, Weight], ...]

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or len(self.name) > 255:
            raise ValueError(
                f"a component name is lower_snake_case words joined by '/', got {self.name!r}"
            )
        previous: tuple[str, str] | None = None
        for kind, status, weight in self.terms:
            if not (_IDENT.fullmatch(kind) and _IDENT.fullmatch(status)):
                raise ValueError(
                    f"component {self.name}: bad kind or status in ({kind!r}, {status!r})"
                )
            if previous is not None and (kind, status) <= previous:
                raise ValueError(
                    f"component {self.name}: terms are not in increasing (kind, status) order"
                )
            _check_weight(weight)
            previous = (kind, status)

    def encode(self) -> bytes:
        """``str16(name) ‖ u16(n) ‖ n times (str16(kind) ‖ str16(status) ‖ u32(weight))``."""
        parts = [encode_str(self.name), _U16.pack(len(self.terms))]
        for kind, status, weight in self.terms:
            parts += (encode_str(kind), encode_str(status))
            parts.append(_U32.pack(NO_WARHEADS if weight == WARHEADS else int(weight)))
        return b"".join(parts)


@dataclass(frozen=True)
class VectorLayout:
    """The components of the vector, in order; identified by :attr:`digest`.

    Promises: at least one and at most :data:`MAX_COMPONENTS` components with
    distinct names; ``digest`` is ``SHA-256(LAYOUT_TAG ‖ u16(count) ‖
    component encodings)`` and so changes with any name, pair or weight.
    """

    components: tuple[Component, ...]
    digest: bytes = field(init=False)
    _templates: dict[tuple[str, str], tuple[int, int]] = field(
        init=False, repr=False, compare=False
    )
    _high: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= len(self.components) <= MAX_COMPONENTS:
            raise ValueError(f"a layout has 1 to {MAX_COMPONENTS} components")
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError("a layout names each component once")
        encoded = b"".join(c.encode() for c in self.components)
        digest = hashlib.sha256(LAYOUT_TAG + _U16.pack(len(self.components)) + encoded).digest()
        object.__setattr__(self, "digest", digest)
        # Per (kind, status): the packed vector of an item without warheads, and
        # the packed vector one warhead adds.
        templates: dict[tuple[str, str], list[int]] = {}
        last = len(self.components) - 1
        for i, component in enumerate(self.components):
            shift = 64 * (last - i)
            for kind, status, weight in component.terms:
                slot = templates.setdefault((kind, status), [0, 0])
                if weight == WARHEADS:
                    slot[1] += 1 << shift
                else:
                    slot[0] += int(weight) << shift
        frozen = {pair: (base, each) for pair, (base, each) in templates.items()}
        object.__setattr__(self, "_templates", frozen)
        lane = (1 << 64) - NODE_BOUND
        object.__setattr__(self, "_high", sum(lane << (64 * i) for i in range(last + 1)))

    @classmethod
    def from_spec(cls, spec: TreatySpec) -> VectorLayout:
        """The layout of a treaty: ``limit/<id>`` per limit, then ``count/<kind>/<status>``.

        Limits come in specification order, then every (kind, status) pair,
        kinds in specification order and, within a kind, statuses in
        specification order.
        """
        components = []
        for limit in spec.limits:
            terms: list[tuple[str, str, Weight]] = []
            for rule in limit.counting:
                weight: Weight
                if rule.each.basis is CountBasis.WARHEADS:
                    weight = WARHEADS
                elif rule.each.basis is CountBasis.ITEM:
                    weight = 1
                else:
                    weight = rule.each.fixed
                terms += [(k, s, weight) for k in rule.kinds for s in rule.statuses]
            components.append(Component(f"limit/{limit.id}", tuple(sorted(terms))))
        for kind in spec.item_kinds:
            for status in spec.statuses:
                components.append(
                    Component(f"count/{kind.id}/{status.id}", ((kind.id, status.id, 1),))
                )
        return cls(tuple(components))

    def __len__(self) -> int:
        return len(self.components)

    @property
    def names(self) -> tuple[str, ...]:
        """The component names, in order."""
        return tuple(c.name for c in self.components)

    @property
    def width(self) -> int:
        """The size in bytes of an encoded vector: 8 per component."""
        return 8 * len(self.components)

    @property
    def high_mask(self) -> int:
        """The bits of a packed vector that are set iff some component is ≥ :data:`NODE_BOUND`."""
        return self._high

    def packed_item(self, kind: str, status: str, warheads: int | None, uid: str = "?") -> int:
        """The packed vector of an item; :class:`InventoryError` if it cannot be counted.

        Refused: a (kind, status) pair the layout does not know, warheads
        missing where a term counts them, warheads above :data:`ITEM_BOUND`.
        """
        template = self._templates.get((kind, status))
        if template is None:
            raise InventoryError(
                item=uid,
                field="kind",
                problem=f"the layout does not count {kind} items with status {status}",
            )
        base, each = template
        if warheads is not None and not 0 <= warheads <= ITEM_BOUND:
            raise InventoryError(
                item=uid, field="warheads", problem=f"{warheads} is outside 0..{ITEM_BOUND}"
            )
        if each:
            if warheads is None:
                raise InventoryError(
                    item=uid,
                    field="warheads",
                    problem=f"a {status} {kind} counts its warheads, but none are declared",
                )
            base += warheads * each
        # Each lane holds one term's weight or the warheads: at most ITEM_BOUND.
        return base

    def vector(self, item: Item) -> tuple[int, ...]:
        """The vector one item contributes (raises :class:`InventoryError` if it cannot)."""
        return self.unpack(self.packed_item(item.kind, item.status, item.warheads, item.uid))

    def pack(self, vector: tuple[int, ...]) -> int:
        """A vector as one integer with a 64-bit lane per component (each 0 ≤ c < 2**64)."""
        return int.from_bytes(self.encode(vector), "big")

    def encode(self, vector: tuple[int, ...]) -> bytes:
        """The wire form of a vector: big-endian ``uint64`` per component."""
        if len(vector) != len(self.components):
            raise ValueError(
                f"a vector of this layout has {len(self)} components, got {len(vector)}"
            )
        return struct.pack(f">{len(vector)}Q", *vector)

    def unpack(self, packed: int) -> tuple[int, ...]:
        """The inverse of :meth:`pack`."""
        return struct.unpack(f">{len(self.components)}Q", packed.to_bytes(self.width, "big"))

    def named(self, vector: tuple[int, ...]) -> dict[str, int]:
        """The vector as ``{component name: value}``, in layout order."""
        if len(vector) != len(self.components):
            raise ValueError(
                f"a vector of this layout has {len(self)} components, got {len(vector)}"
            )
        return dict(zip(self.names, vector, strict=True))


@dataclass(frozen=True)
class Context:
    """What a declaration is about: treaty id, party, as-of date. Encodable when built."""

    treaty: str
    party: str
    as_of: dt.date

    def __post_init__(self) -> None:
        if not (self.treaty and self.party):
            raise ValueError("the treaty and party of a declaration are non-empty")
        if isinstance(self.as_of, dt.datetime) or not isinstance(self.as_of, dt.date):
            raise ValueError(f"as_of must be a date, got {self.as_of!r}")
        self.encode()

    def encode(self) -> bytes:
        """``str16(treaty) ‖ str16(party) ‖ as_of as 10 ASCII bytes YYYY-MM-DD``."""
        return (
            encode_str(self.treaty, "treaty")
            + encode_str(self.party, "party")
            + self.as_of.isoformat().encode("ascii")
        )


# -- canonical JSON primitives (used by sumtree and opening) ------------------


def _dump(obj: object) -> str:
    """Canonical JSON: sorted keys, no spaces, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


class _Reader:
    """Strict reading of one canonical JSON document; every problem is a FormatError."""

    def __init__(self, what: str) -> None:
        self.what = what

    def fail(self, problem: str) -> NoReturn:
        raise FormatError(what=self.what, problem=problem)

    def load(self, text: str | bytes, form: str, keys: set[str]) -> dict[str, Any]:
        """The document's top object: canonical, exactly ``keys`` and ``format``."""
        try:
            raw = text.decode("utf-8") if isinstance(text, bytes) else text
            value = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            self.fail(f"not JSON: {exc}")
        doc = self.obj(value, keys | {"format"}, "the document")
        if _dump(doc) != raw:
            self.fail("not in canonical form (sorted keys, no spaces, ASCII only)")
        if doc["format"] != f"treatyledger/escrow/v1/{form}":
            self.fail(f"format is {doc['format']!r}, not 'treatyledger/escrow/v1/{form}'")
        return doc

    def obj(self, value: object, keys: set[str], where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(f"{where} is not an object")
        if value.keys() != keys:
            unknown, missing = sorted(value.keys() - keys), sorted(keys - value.keys())
            self.fail(f"{where}: unknown keys {unknown}, missing keys {missing}")
        return value

    def integer(self, value: object, where: str, top: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < top:
            self.fail(f"{where} is not an integer from 0 to {top - 1}")
        return value

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            self.fail(f"{where} is not a string")
        return value

    def array(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(f"{where} is not a list")
        return value

    def hex32(self, value: object, where: str) -> bytes:
        text = self.text(value, where)
        if len(text) != 64 or text.strip("0123456789abcdef"):
            self.fail(f"{where} is not 32 bytes of lower-case hex")
        return bytes.fromhex(text)

    def vector(self, value: object, where: str) -> tuple[int, ...]:
        items = self.array(value, where)
        return tuple(self.integer(c, f"{where}[{i}]", 2**64) for i, c in enumerate(items))

    def build(self, make: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``make(...)``, with its ValueError or InventoryError as a FormatError."""
        try:
            return make(*args, **kwargs)
        except (ValueError, InventoryError) as exc:
            self.fail(str(exc))
