"""Declared inventories: one party's facilities and items, checked against a treaty.

An :class:`Inventory` is what a party puts into escrow. It is only ever built
through :func:`build_inventory` (or a reader that calls it: CSV in
:mod:`treatyledger.escrow.inventory_csv`, JSON in
:mod:`treatyledger.escrow.inventory_json`), which checks it against a treaty
specification and raises :class:`InventoryError` on the first problem; nothing
is returned, so nothing is imported, unless every entry is good. Errors from the
readers name the file, the row (or JSON path) and the problem.

The rules, beyond "every identifier is one the specification declares":

- ``party`` is a party to the treaty.
- Facility ids and item UIDs are unique; every item's facility is declared.
- ``type``: when the specification lists at least one item type for the item's
  kind and the party, the type must be one of those ids. The specification's
  list is not exhaustive, so a kind with no listed type for the party takes any
  type name.
- ``warheads``: empty (None) for a kind that carries no warheads. For a kind
  that carries warheads, required (a whole number from 0 to
  :data:`MAX_WARHEADS_PER_MISSILE`) in a status whose warheads some limit counts
  (``each = "warheads"``: a deployed ICBM or SLBM in New START); in any other
  status no limit counts them, so it must be empty or 0.
- Text values are non-empty, without surrounding spaces, control characters or
  line breaks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from treatyledger.errors import InventoryError
from treatyledger.treaty.counting import Item
from treatyledger.treaty.limits import CountBasis
from treatyledger.treaty.spec import ItemKind, TreatySpec

__all__ = [
    "FACILITY_COLUMNS",
    "ITEM_COLUMNS",
    "MAX_WARHEADS_PER_MISSILE",
    "Facility",
    "Inventory",
    "build_inventory",
]

MAX_WARHEADS_PER_MISSILE: Final = 32
"""A sanity bound, not treaty data: more reentry vehicles on one missile is a typing error."""

ITEM_COLUMNS: Final = ("uid", "kind", "type", "status", "facility", "warheads")
FACILITY_COLUMNS: Final = ("id", "kind", "name", "location")


def _text_problem(value: object) -> str | None:
    """Why ``value`` is not an acceptable text value, or None if it is."""
    if not isinstance(value, str):
        return f"must be text, got {value!r}"
    if not value:
        return "must not be empty"
    if value.strip() != value:
        return f"must not start or end with spaces, got {value!r}"
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        return f"must not contain control characters or line breaks, got {value!r}"
    return None


@dataclass(frozen=True)
class Facility:
    """A declared facility: an ICBM base, a submarine base, an air base, a storage site.

    ``kind`` is one of the treaty's facility kinds (checked by :func:`build_inventory`).
    """

    id: str
    kind: str
    name: str
    location: str

    def __post_init__(self) -> None:
        for column in FACILITY_COLUMNS:
            problem = _text_problem(getattr(self, column))
            if problem is not None:
                raise InventoryError(item=f"facility {self.id!r}", field=column, problem=problem)


@dataclass(frozen=True)
class Inventory:
    """One party's declared facilities and items, in declaration order.

    Build it with :func:`build_inventory`, which checks it against a treaty
    specification; the constructor itself checks only what needs no
    specification (unique ids and UIDs, every item at a declared facility).
    """

    party: str
    facilities: tuple[Facility, ...]
    items: tuple[Item, ...]

    def __post_init__(self) -> None:
        ids = {f.id for f in self.facilities}
        if len(ids) != len(self.facilities):
            raise InventoryError(item="inventory", field="facilities", problem="an id repeats")
        if len({i.uid for i in self.items}) != len(self.items):
            raise InventoryError(item="inventory", field="items", problem="a uid repeats")
        for item in self.items:
            if item.facility not in ids:
                raise InventoryError(
                    item=item.uid, field="facility", problem=f"{item.facility!r} is not declared"
                )

    def facility(self, facility_id: str) -> Facility | None:
        """The facility with this id, if it is declared."""
        return next((f for f in self.facilities if f.id == facility_id), None)

    def items_at(self, facility_id: str) -> tuple[Item, ...]:
        """The items declared at one facility, in declaration order."""
        return tuple(i for i in self.items if i.facility == facility_id)


# ---------------------------------------------------------------------------
# Validation against a specification.


@dataclass(frozen=True)
class _Origin:
    """Where rows came from, so that an error can name the file and the row."""

    source: str | None
    position: Callable[[int], str]
    """The row (``row 5``) or path (``items[3]``) of the i-th entry."""

    def label(self, index: int, noun: str, ident: object) -> str:
        where = self.position(index)
        if self.source is not None:
            where = f"{self.source}, {where}"
        return where if _text_problem(ident) is not None else f"{where} ({noun} {ident})"


def build_inventory(
    spec: TreatySpec, party: str, facilities: Iterable[Facility], items: Iterable[Item]
) -> Inventory:
    """Check a party's facilities and items against ``spec`` and return the inventory.

    Raises :class:`InventoryError` on the first problem (see the module docstring
    for the rules), naming the entry by its index and id.
    """
    return _build(
        spec,
        party,
        list(facilities),
        list(items),
        facilities_origin=_Origin(None, lambda i: f"facilities[{i}]"),
        items_origin=_Origin(None, lambda i: f"items[{i}]"),
        party_origin="inventory",
    )


def _build(
    spec: TreatySpec,
    party: str,
    facilities: Sequence[Facility],
    items: Sequence[Item],
    *,
    facilities_origin: _Origin,
    items_origin: _Origin,
    party_origin: str,
) -> Inventory:
    if not isinstance(party, str) or spec.party(party) is None:
        known = ", ".join(p.id for p in spec.parties)
        raise InventoryError(
            item=party_origin,
            field="party",
            problem=f"{party!r} is not a party to {spec.id} (parties: {known})",
        )
    facility_kinds = [k.id for k in spec.facility_kinds]
    declared: dict[str, int] = {}
    for i, facility in enumerate(facilities):
        where = facilities_origin.label(i, "id", facility.id)
        if facility.id in declared:
            first = facilities_origin.position(declared[facility.id])
            raise InventoryError(
                item=where, field="id", problem=f"declared twice (first at {first})"
            )
        if facility.kind not in facility_kinds:
            raise InventoryError(
                item=where,
                field="kind",
                problem=f"unknown facility kind {facility.kind!r} "
                f"(known: {', '.join(facility_kinds)})",
            )
        declared[facility.id] = i
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        where = items_origin.label(i, "uid", item.uid)
        if item.uid in seen:
            first = items_origin.position(seen[item.uid])
            raise InventoryError(
                item=where, field="uid", problem=f"declared twice (first at {first})"
            )
        problem = _item_problem(spec, party, item, declared)
        if problem is not None:
            raise InventoryError(item=where, field=problem[0], problem=problem[1])
        seen[item.uid] = i
    return Inventory(party=party, facilities=tuple(facilities), items=tuple(items))


def _item_problem(
    spec: TreatySpec, party: str, item: Item, facilities: Mapping[str, int]
) -> tuple[str, str] | None:
    """The first (field, problem) of one item, or None."""
    problem = _text_problem(item.uid)
    if problem is not None:
        return "uid", problem
    kind = spec.item_kind(item.kind)
    if kind is None:
        known = ", ".join(k.id for k in spec.item_kinds)
        return "kind", f"unknown item kind {item.kind!r} (known: {known})"
    statuses = [s.id for s in spec.statuses]
    if item.status not in statuses:
        return "status", f"unknown status {item.status!r} (known: {', '.join(statuses)})"
    problem = _text_problem(item.type)
    if problem is not None:
        return "type", problem
    types = [t.id for t in spec.item_types if kind.id in t.kinds and party in t.parties]
    if types and item.type not in types:
        return "type", (
            f"unknown type {item.type!r} for a {party} {kind.id} (known: {', '.join(types)})"
        )
    if item.facility not in facilities:
        known = ", ".join(facilities) or "none declared"
        return "facility", f"facility {item.facility!r} is not declared (known: {known})"
    problem = _warheads_problem(spec, kind, item.status, item.warheads)
    return None if problem is None else ("warheads", problem)


def _warheads_problem(
    spec: TreatySpec, kind: ItemKind, status: str, warheads: object
) -> str | None:
    if not kind.carries_warheads:
        if warheads is not None:
            return f"kind {kind.id} carries no declared warheads; leave it empty, got {warheads!r}"
        return None
    if warheads is not None:
        if type(warheads) is not int:
            return f"must be a whole number, got {warheads!r}"
        if warheads < 0:
            return f"must not be negative, got {warheads}"
        if warheads > MAX_WARHEADS_PER_MISSILE:
            return (
                f"{warheads} warheads on one missile is impossible "
                f"(sanity bound: at most {MAX_WARHEADS_PER_MISSILE})"
            )
    counted = [
        limit.id
        for limit in spec.limits
        if (rule := limit.rule_for(kind.id, status)) is not None
        and rule.each.basis is CountBasis.WARHEADS
    ]
    if counted and warheads is None:
        return (
            f"a {status} {kind.id} counts its warheads toward limit {', '.join(counted)}: "
            f"declare how many (0 to {MAX_WARHEADS_PER_MISSILE})"
        )
    if not counted and warheads not in (None, 0):
        return (
            f"no limit counts the warheads of a {status} {kind.id}: "
            f"leave it empty or 0, got {warheads}"
        )
    return None


# ---------------------------------------------------------------------------
# Shared with the readers in inventory_csv and inventory_json.


@contextmanager
def _at(where: str) -> Iterator[None]:
    """Give an error raised while building one value the file and row it came from."""
    try:
        yield
    except InventoryError as exc:
        raise InventoryError(item=where, field=exc.field, problem=exc.problem) from exc


def _decode(data: str | bytes, *, source: str) -> str:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InventoryError(
                item=source, field="(file)", problem=f"is not UTF-8 text ({exc.reason})"
            ) from exc
    return data.removeprefix("\ufeff")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InventoryError(
            item=str(path), field="(file)", problem=f"cannot read: {exc.strerror}"
        ) from exc
