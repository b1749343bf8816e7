"""Itemised inventories reconstructed from the public record, evolving from exchange to exchange.

Only three numbers per party were published for each New START data exchange.
:func:`reconstruct` turns them into an itemised :class:`Inventory` (each
launcher, missile and bomber with a UID, a status, a base and, for a deployed
missile, its warheads) whose counts toward the three limits are exactly the
published ones, on every date the record gives figures for. The bases,
systems and force levels behind the split are in :mod:`treatyledger.record.bases`;
what is public and what is illustrative is said there and in docs/escrow.md.

The inventories of one party form one series. It starts from the breakdown of
1 September 2020 (:data:`~treatyledger.record.bases.ANCHOR`, the date of the
State Department's breakdown, and of ``escrow.fixtures``) and evolves from each
exchange to the next, forward and backward in time, by the fewest changes that
meet the next published totals: launchers deployed or not, launchers and
missiles produced or eliminated, bombers moved between a base and a repair
facility, warheads loaded or removed. UIDs are stable along the series, so
:func:`treatyledger.escrow.diff.diff_inventories` between two consecutive
inventories names exactly those changes. Items of the 2020 breakdown are
numbered from 0001, items that enter later continue the numbering, and items
that had left by then are numbered from 5001: no UID is ever reused.

``strategic-p5`` has no record: the United States and Russia are given their
latest New START breakdown on or before the requested date, checked against the
multilateral treaty; the United Kingdom, France and China an illustrative
inventory from their published or estimated force sizes.
"""

from __future__ import annotations

import datetime as dt
from bisect import insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Final

from treatyledger.errors import NotFoundError
from treatyledger.escrow.inventory import Facility, Inventory, build_inventory
from treatyledger.record.aggregates import load_record
from treatyledger.record.bases import (
    ANCHOR,
    FACILITIES,
    PLANS,
    SYSTEMS,
    UNITS,
    System,
    Targets,
    Unit,
    can_deploy,
    force_levels,
    is_open,
)
from treatyledger.treaty.builtin import load_builtin
from treatyledger.treaty.counting import Item
from treatyledger.treaty.spec import TreatySpec

__all__ = ["facilities_for", "published_dates", "reconstruct", "reconstruct_series"]

_RECORDED: Final = "new-start"
_MULTILATERAL: Final = "strategic-p5"
_KIND_ORDER: Final = (
    "icbm",
    "slbm",
    "icbm_launcher",
    "slbm_launcher",
    "heavy_bomber",
    "air_launched_missile",
)
_BACKWARD_FROM: Final = 5001
_DEPLOYED: Final = "deployed"
_NON_DEPLOYED: Final = "non_deployed"

_Entries = dict[str, tuple[int, Item]]
"""The state of a reconstruction: each UID with the index of its unit and the item."""


# ---------------------------------------------------------------------------
# Public API.


def published_dates(spec: TreatySpec, party: str) -> tuple[dt.date, ...]:
    """The as-of dates with published figures for ``party``: the dates New START reconstructs.

    Empty for a treaty without a public record (``strategic-p5``), whose
    reconstruction accepts any date.
    """
    _party(spec, party)
    if spec.id != _RECORDED:
        return ()
    rows = load_record(spec).for_party(party)
    return tuple(r.as_of for r in rows if r.counts is not None)


def reconstruct(spec: TreatySpec, party: str, as_of: dt.date) -> Inventory:
    """The inventory of ``party`` as of ``as_of``, itemised and checked against ``spec``.

    Under New START ``as_of`` must be one of :func:`published_dates`, and the
    inventory counts exactly the published figures of that date. Under
    ``strategic-p5`` the US and Russia get their latest New START breakdown on or
    before ``as_of``, the other parties their illustrative inventory.
    Deterministic: equal arguments give equal inventories, and the same
    inventory as the element for ``as_of`` of :func:`reconstruct_series`.
    """
    (inventory,) = reconstruct_series(spec, party, (as_of,))
    return inventory


def reconstruct_series(spec: TreatySpec, party: str, dates: Iterable[dt.date]) -> list[Inventory]:
    """The inventories of ``party`` on each of ``dates``, in the order given.

    Each element equals :func:`reconstruct` for its date; along consecutive
    dates of the record UIDs are stable and each inventory follows from the
    previous one by the fewest changes that meet its published totals.
    """
    days = list(dates)
    _party(spec, party)
    if spec.id == _RECORDED:
        return [_inventory(spec, party, entries) for entries in _series(spec, party, days)]
    if spec.id != _MULTILATERAL:
        raise NotFoundError(
            f"no reconstruction for {spec.id}; the built-in ones are {_RECORDED}, {_MULTILATERAL}"
        )
    if party not in PLANS:
        static = _inventory(spec, party, _anchor(party, None)[0])
        return [static for _ in days]
    # The latest New START breakdown on or before each date, checked under spec.
    recorded = load_builtin(_RECORDED)
    published = published_dates(recorded, party)
    chosen: list[dt.date] = []
    for day in days:
        earlier = [d for d in published if d <= day]
        if not earlier:
            raise NotFoundError(f"no published {party} figures on or before {day}")
        chosen.append(earlier[-1])
    return [_inventory(spec, party, e) for e in _series(recorded, party, chosen)]


def facilities_for(spec: TreatySpec, party: str) -> tuple[Facility, ...]:
    """Every facility a reconstruction may declare for ``party``: the bases the record names.

    An inventory declares those of them that hold items on its date.
    """
    _party(spec, party)
    kinds = {k.id for k in spec.facility_kinds}
    facilities = FACILITIES[party]
    unknown = sorted({f.kind for f in facilities} - kinds)
    if unknown:
        raise NotFoundError(f"{spec.id} has no facility kind {', '.join(unknown)}")
    return facilities


def _party(spec: TreatySpec, party: str) -> None:
    if spec.party(party) is None:
        known = ", ".join(p.id for p in spec.parties)
        raise NotFoundError(f"{party!r} is not a party to {spec.id} (parties: {known})")
    if party not in FACILITIES:
        raise NotFoundError(f"no reconstruction tables for {party}")


# ---------------------------------------------------------------------------
# The series: from the anchor outward, one exchange at a time.


def _series(spec: TreatySpec, party: str, days: Sequence[dt.date]) -> list[_Entries]:
    targets = force_levels(load_record(spec), party)
    for day in days:
        if day not in targets:
            raise NotFoundError(f"no published {party} figures as of {day} in {spec.id}")
    anchor, counters = _anchor(party, targets[ANCHOR].warheads)
    states = {ANCHOR: anchor}
    for forward in (True, False):
        wanted = [d for d in days if (d > ANCHOR if forward else d < ANCHOR)]
        if not wanted:
            continue
        reach = max(wanted) if forward else min(wanted)
        path = sorted(
            (d for d in targets if (ANCHOR < d <= reach if forward else reach <= d < ANCHOR)),
            reverse=not forward,
        )
        numbers = dict(counters) if forward else {}
        state = anchor
        for day in path:
            state = _Step(party, targets[day], forward, numbers).run(state)
            states[day] = state
    return [states[d] for d in days]


def _inventory(spec: TreatySpec, party: str, entries: _Entries) -> Inventory:
    facilities = facilities_for(spec, party)
    units, systems = UNITS[party], _systems(party)
    rank = {f.id: n for n, f in enumerate(facilities)}
    order = {label: n for n, label in enumerate(systems)}

    def key(entry: tuple[int, Item]) -> tuple[int, int, int, str]:
        unit, item = entry
        return (
            rank[item.facility],
            _KIND_ORDER.index(item.kind),
            order[units[unit].system],
            item.uid,
        )

    # Listed facility by facility, in a stable order: what an inspector's opening will follow.
    items = [item for _, item in sorted(entries.values(), key=key)]
    used = {item.facility for item in items}
    return build_inventory(spec, party, [f for f in facilities if f.id in used], items)


def _systems(party: str) -> dict[str, System]:
    return {s.label: s for s in SYSTEMS[party]}


# ---------------------------------------------------------------------------
# The anchor: the breakdown of 1 September 2020 (for GB, FR and CN the one inventory).


def _uid(party: str, system: System, missile: bool, number: int) -> str:
    launcher = not missile and system.launcher_kind in ("icbm_launcher", "slbm_launcher")
    return f"{party}-{system.label}-{'LCH-' if launcher else ''}{number:04d}"


def _anchor(party: str, warheads: int | None) -> tuple[_Entries, dict[tuple[str, bool], int]]:
    """The anchor's items and the last number used per (label, missile) for later UIDs.

    Launchers are numbered unit by unit, deployed first; a deployed launcher of a
    missile system holds one deployed missile. Missiles carry their system's
    typical loading, except those of the ``flex`` system, which share what is
    left of ``warheads`` as evenly as possible.
    """
    units, systems = UNITS[party], _systems(party)
    entries: _Entries = {}
    numbers: dict[tuple[str, bool], int] = {}

    def add(index: int, missile: bool, status: str, load: int | None) -> Item:
        unit = units[index]
        system = systems[unit.system]
        key = (system.label, missile)
        numbers[key] = numbers.get(key, 0) + 1
        uid = _uid(party, system, missile, numbers[key])
        kind = system.missile_kind if missile and system.missile_kind else system.launcher_kind
        item = Item(uid, kind, system.type, status, unit.facility, load)
        entries[uid] = (index, item)
        return item

    flexed: list[Item] = []
    for label, system in systems.items():
        for index, unit in enumerate(units):
            if unit.system != label:
                continue
            count, deployed = unit.anchor
            for n in range(count):
                status = unit.status or (_DEPLOYED if n < deployed else _NON_DEPLOYED)
                armed = system.missile_kind is None and system.typical > 0
                load = (system.typical if status == _DEPLOYED else 0) if armed else None
                add(index, False, status, load)
            if system.missile_kind is None:
                continue
            for _ in range(deployed):
                item = add(index, True, _DEPLOYED, system.typical)
                if system.flex and warheads is not None:
                    flexed.append(item)
            for _ in range(unit.spares):
                add(index, True, _NON_DEPLOYED, 0)
    if flexed and warheads is not None:
        fixed = sum(i.warheads or 0 for _, i in entries.values() if i.status == _DEPLOYED)
        share = warheads - fixed + sum(i.warheads or 0 for i in flexed)
        base, extra, m = share // len(flexed), share % len(flexed), len(flexed)
        for n, item in enumerate(flexed):
            # Spread evenly: missile n carries one more when ceil(n * extra / m) steps up.
            load = base + (-(-(n + 1) * extra // m)) - (-(-n * extra // m))
            entries[item.uid] = (entries[item.uid][0], replace(item, warheads=load))
    return entries, numbers


# ---------------------------------------------------------------------------
# One step: from one exchange's inventory to the next (or previous) one.


class _Step:
    """Changes one inventory into the next by the fewest changes that meet the targets.

    ``forward`` is the direction of time: a ``sequential`` system receives new
    launchers in its first units and loses its oldest from the first units too,
    so going back in time undoes that from the last units. Launchers leave
    non-deployed ones first; a missile follows its launcher's status, stays at
    its base while a non-deployed launcher there can hold it, and leaves after.
    """

    def __init__(
        self, party: str, targets: Targets, forward: bool, numbers: dict[tuple[str, bool], int]
    ) -> None:
        self.party, self.targets, self.forward, self.numbers = party, targets, forward, numbers
        self.units, self.systems = UNITS[party], _systems(party)
        self.entries: _Entries = {}
        self.pools: dict[tuple[int, bool, str], list[str]] = {}
        """UIDs, sorted, per (unit, missile or not, status)."""

    def run(self, before: _Entries) -> _Entries:
        self.entries = dict(before)
        for uid, (index, item) in sorted(before.items()):
            missile = item.kind == self.systems[self.units[index].system].missile_kind
            self.pools.setdefault((index, missile, item.status), []).append(uid)
        for label, system in self.systems.items():
            indexes = [i for i, u in enumerate(self.units) if u.system == label]
            if all(self.units[i].status is not None for i in indexes):
                self._bombers(system, indexes)
                continue
            self._launchers(system, indexes)
            if system.missile_kind is not None:
                for i in indexes:
                    self._missiles(system, i)
        left = _load(before, self.entries, self.targets.warheads, self.units, self.systems)
        if left:
            raise self.targets.unmet(self.party, f"{left} warheads do not fit on the missiles")
        return self.entries

    # -- per system ------------------------------------------------------------

    def _launchers(self, system: System, indexes: list[int]) -> None:
        """Launchers whose status is per item: produce or eliminate, then deploy or not.

        A launcher that leaves while the deployed count falls is a deployed one,
        and one that arrives while it rises arrives deployed: one change each.
        """
        balanced = system.policy == "balanced"
        able = [i for i in indexes if can_deploy(self.units[i])]
        want_all = self.targets.launchers[system.label]
        want = self.targets.deployed[system.label]

        def deployed() -> int:
            return sum(self._count(i, _DEPLOYED) for i in indexes)

        def add(i: int) -> None:
            arriving = _DEPLOYED if deployed() < want and i in able else _NON_DEPLOYED
            self._new(i, False, arriving, None)

        def remove(i: int) -> None:
            status = _DEPLOYED if deployed() > want else _NON_DEPLOYED
            if not self._count(i, status):
                status = _DEPLOYED if status == _NON_DEPLOYED else _NON_DEPLOYED
            del self.entries[self._take(i, False, status, last=True)]

        if any(self.units[i].opens or self.units[i].closes for i in indexes):
            for i in indexes:
                unit = self.units[i]
                size = unit.capacity if is_open(unit, self.targets.as_of) else 0
                while self._count(i) > size:
                    remove(i)
                while self._count(i) < size:
                    self._new(i, False, _NON_DEPLOYED, None)
        while sum(self._count(i) for i in indexes) > want_all:
            leaving = _DEPLOYED if deployed() > want else _NON_DEPLOYED
            pick = self._pick(indexes, partial(self._count, status=leaving), balanced, grow=False)
            remove(self._must(indexes, self._count, balanced, grow=False) if pick is None else pick)
        while sum(self._count(i) for i in indexes) < want_all:
            pool = able if deployed() < want and any(self._room(i) for i in able) else indexes
            add(self._must(pool, self._room, balanced, grow=True, near=self._count))
        while deployed() > want:
            i = self._must(indexes, lambda i: self._count(i, _DEPLOYED), balanced, grow=False)
            uid = self._take(i, False, _DEPLOYED, last=True)
            self._put(i, False, replace(self._item(uid), status=_NON_DEPLOYED))
        while deployed() < want:
            i = self._must(
                able,
                lambda i: self._count(i, _NON_DEPLOYED),
                balanced,
                grow=True,
                near=lambda i: self._count(i, _DEPLOYED),
            )
            uid = self._take(i, False, _NON_DEPLOYED, last=False)
            self._put(i, False, replace(self._item(uid), status=_DEPLOYED))

    def _missiles(self, system: System, i: int) -> None:
        """A deployed launcher holds a deployed missile; a non-deployed one may hold a spare."""
        unit = self.units[i]
        deployed = self._count(i, _DEPLOYED)
        room = (self._count(i, _NON_DEPLOYED) if unit.deployable else 0) + unit.spares
        while self._count(i, _DEPLOYED, missile=True) > deployed:
            uid = self._take(i, True, _DEPLOYED, last=True)
            if self._count(i, _NON_DEPLOYED, missile=True) < room:
                self._put(i, True, replace(self._item(uid), status=_NON_DEPLOYED, warheads=0))
            else:
                del self.entries[uid]
        while self._count(i, _DEPLOYED, missile=True) < deployed:
            load = system.typical
            if self._count(i, _NON_DEPLOYED, missile=True):
                uid = self._take(i, True, _NON_DEPLOYED, last=False)
                self._put(i, True, replace(self._item(uid), status=_DEPLOYED, warheads=load))
            else:
                self._new(i, True, _DEPLOYED, system.typical)
        while self._count(i, _NON_DEPLOYED, missile=True) > room:
            del self.entries[self._take(i, True, _NON_DEPLOYED, last=True)]

    def _bombers(self, system: System, indexes: list[int]) -> None:
        """Units of fixed status: a change of status is a move between a base and a depot."""
        balanced = system.policy == "balanced"
        total, deployed = self.targets.launchers[system.label], self.targets.deployed[system.label]
        groups = (
            ([i for i in indexes if self.units[i].status == _DEPLOYED], deployed),
            ([i for i in indexes if self.units[i].status != _DEPLOYED], total - deployed),
        )
        released: list[str] = []
        for members, want in groups:
            while sum(self._count(i) for i in members) > want:
                i = self._must(members, self._count, balanced, grow=False)
                released.append(self._take(i, False, self.units[i].status or "", last=True))
        for members, want in groups:
            while sum(self._count(i) for i in members) < want:
                i = self._must(members, self._room, balanced, grow=True)
                unit = self.units[i]
                status = unit.status or ""
                if released:
                    moved = replace(self._item(released.pop(0)), status=status)
                    self._put(i, False, replace(moved, facility=unit.facility))
                else:
                    self._new(i, False, status, None)
        for uid in released:
            del self.entries[uid]

    # -- per unit --------------------------------------------------------------

    def _count(self, i: int, status: str | None = None, *, missile: bool = False) -> int:
        if status is None:
            return sum(len(v) for (u, m, _), v in self.pools.items() if u == i and m == missile)
        return len(self.pools.get((i, missile, status), ()))

    def _room(self, i: int) -> int:
        return self.units[i].capacity - self._count(i)

    def _take(self, i: int, missile: bool, status: str, *, last: bool) -> str:
        return self.pools[(i, missile, status)].pop(-1 if last else 0)

    def _put(self, i: int, missile: bool, item: Item) -> None:
        self.entries[item.uid] = (i, item)
        insort(self.pools.setdefault((i, missile, item.status), []), item.uid)

    def _item(self, uid: str) -> Item:
        return self.entries[uid][1]

    def _new(self, i: int, missile: bool, status: str, load: int | None) -> None:
        unit = self.units[i]
        system = self.systems[unit.system]
        key = (system.label, missile)
        number = self.numbers.get(key, 0 if self.forward else _BACKWARD_FROM - 1) + 1
        self.numbers[key] = number
        uid = _uid(self.party, system, missile, number)
        kind = system.missile_kind if missile and system.missile_kind else system.launcher_kind
        self.entries[uid] = (i, Item(uid, kind, system.type, status, unit.facility, load))
        insort(self.pools.setdefault((i, missile, status), []), uid)

    def _pick(
        self,
        indexes: Sequence[int],
        metric: Callable[[int], int],
        balanced: bool,
        *,
        grow: bool,
        near: Callable[[int], int] | None = None,
    ) -> int | None:
        """The unit a change lands on, among those where ``metric`` is positive.

        Balanced: the largest ``metric``; on a tie, the unit that stays longest
        when it ``grow``s, the one that goes first otherwise. In order: forward
        in time the first unit; backward the last, or, with ``near`` (undoing a
        forward change that took from the first units), the last unit at or
        before the first one where ``near`` is positive.
        """
        able = [i for i in indexes if metric(i) > 0]
        if not able:
            return None
        if balanced:

            def lasting(i: int) -> int:
                closes = self.units[i].closes
                days = closes.toordinal() if closes else dt.date.max.toordinal()
                return days if grow else -days

            return max(able, key=lambda i: (metric(i), lasting(i), -i))
        if self.forward:
            return able[0]
        if near is not None:
            edge = next((i for i in indexes if near(i) > 0), indexes[-1])
            return max((i for i in able if i <= edge), default=able[0])
        return able[-1]

    def _must(
        self,
        indexes: Sequence[int],
        metric: Callable[[int], int],
        balanced: bool,
        *,
        grow: bool,
        near: Callable[[int], int] | None = None,
    ) -> int:
        i = self._pick(indexes, metric, balanced, grow=grow, near=near)
        if i is None:
            raise self.targets.unmet(self.party, "no unit has room for the change")
        return i


# ---------------------------------------------------------------------------
# Warheads: the fewest missiles changed to meet the total.


def _load(
    before: _Entries,
    entries: _Entries,
    target: int,
    units: Sequence[Unit],
    systems: Mapping[str, System],
) -> int:
    """Set warheads on deployed missiles so that they add up to ``target``; what is left over.

    Missiles whose warheads change anyway (newly deployed) absorb the difference
    first; then the missiles with the most room, within their system's usual
    band, then within 1 to its maximum.
    """
    missiles = {
        uid: systems[units[index].system]
        for uid, (index, item) in entries.items()
        if item.status == _DEPLOYED and item.kind == systems[units[index].system].missile_kind
    }
    delta = target - sum(entries[uid][1].warheads or 0 for uid in missiles)
    moved = {uid for uid in missiles if uid not in before or before[uid][1] != entries[uid][1]}
    for widest in (False, True):
        room: dict[str, int] = {}
        for uid, system in missiles.items():
            low, high = (1, system.maximum) if widest else system.band
            load = entries[uid][1].warheads or 0
            room[uid] = (high - load) if delta > 0 else (load - low)
        for uid in sorted(room, key=lambda u: (u not in moved, -room[u], u)):
            step = min(room[uid], abs(delta))
            if step <= 0:
                continue
            index, item = entries[uid]
            change = step if delta > 0 else -step
            entries[uid] = (index, replace(item, warheads=(item.warheads or 0) + change))
            delta -= change
    return delta
