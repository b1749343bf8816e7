"""What changed between two declared inventories: the changes a party should have notified.

Pure: compares two :class:`~treatyledger.escrow.inventory.Inventory` values
and names, for each change, the notification of the treaty's catalogue that
covers it (or says that none does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from treatyledger.escrow.inventory import Inventory
from treatyledger.treaty.spec import TreatySpec

__all__ = ["CONVERTED", "Change", "diff_inventories"]

CONVERTED: Final = "non_nuclear"
"""The status of an item converted for non-nuclear armaments: a change to it is a conversion."""


@dataclass(frozen=True)
class Change:
    """One change between two declarations, and the catalogue notification that covers it.

    ``subject`` is an item's UID, or a facility's id for facility changes.
    """

    subject: str
    change: str
    before: str | int | None
    after: str | int | None
    notification: str | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``treaty declare diff --json``."""
        return {
            "subject": self.subject,
            "change": self.change,
            "from": self.before,
            "to": self.after,
            "notification": self.notification,
            "note": self.note,
        }


def diff_inventories(spec: TreatySpec, older: Inventory, newer: Inventory) -> list[Change]:
    """Every change from ``older`` to ``newer``: facilities first, then items by UID.

    ``notification`` names the catalogue type of ``spec`` that covers a change
    (``new_item``, ``elimination``, ``movement``, ``status_change``,
    ``conversion``), or None when the catalogue has none, with a note saying
    why. A change of status to :data:`CONVERTED` is a ``conversion``; under a
    catalogue without conversions, its ``status_change`` notification covers it.
    """

    def notified(type_id: str) -> str | None:
        return type_id if spec.notification(type_id) is not None else None

    changes: list[Change] = []
    old_facilities = {f.id: f for f in older.facilities}
    new_facilities = {f.id: f for f in newer.facilities}
    for fid in sorted(old_facilities.keys() | new_facilities.keys()):
        old_f, new_f = old_facilities.get(fid), new_facilities.get(fid)
        if old_f is None and new_f is not None:
            changes.append(
                Change(
                    fid,
                    "facility_added",
                    None,
                    new_f.kind,
                    None,
                    "a new facility is declared at the next data exchange",
                )
            )
        elif new_f is None and old_f is not None:
            changes.append(
                Change(
                    fid, "facility_removed", old_f.kind, None, None, "a facility no longer declared"
                )
            )
        elif old_f is not None and new_f is not None and old_f.kind != new_f.kind:
            changes.append(
                Change(
                    fid,
                    "facility_kind",
                    old_f.kind,
                    new_f.kind,
                    None,
                    "no catalogue notification covers a facility's kind",
                )
            )

    if spec.data_exchange.warheads_change_only_at_exchange:
        warheads_note = f"under {spec.id} warheads change only at data exchanges"
    else:
        warheads_note = "no catalogue notification covers warhead numbers"
    before = {item.uid: item for item in older.items}
    after = {item.uid: item for item in newer.items}
    for uid in sorted(before.keys() | after.keys()):
        old, new = before.get(uid), after.get(uid)
        if old is None and new is not None:
            summary = f"{new.kind} {new.type} {new.status} at {new.facility}"
            changes.append(Change(uid, "new_item", None, summary, notified("new_item")))
            continue
        if new is None and old is not None:
            changes.append(
                Change(
                    uid,
                    "removed",
                    old.facility,
                    None,
                    notified("elimination"),
                    "left the declared inventory",
                )
            )
            continue
        assert old is not None
        assert new is not None
        if old.facility != new.facility:
            changes.append(
                Change(uid, "movement", old.facility, new.facility, notified("movement"))
            )
        if old.status != new.status and new.status == CONVERTED:
            covering = notified("conversion") or notified("status_change")
            changes.append(Change(uid, "conversion", old.status, new.status, covering))
        elif old.status != new.status:
            changes.append(
                Change(uid, "status_change", old.status, new.status, notified("status_change"))
            )
        for field, was, now in (("kind", old.kind, new.kind), ("type", old.type, new.type)):
            if was != now:
                changes.append(
                    Change(
                        uid,
                        f"{field}_change",
                        was,
                        now,
                        None,
                        f"no catalogue notification covers a {field} change",
                    )
                )
        if old.warheads != new.warheads:
            changes.append(Change(uid, "warheads", old.warheads, new.warheads, None, warheads_note))
    return changes
