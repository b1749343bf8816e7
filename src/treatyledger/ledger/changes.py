"""The catalogue notification of one change between two declared inventories.

:func:`treatyledger.escrow.diff.diff_inventories` names, for each change, the
notification of the treaty's catalogue that covers it; :func:`change_notices`
gives each such notification's type and payload, ready to be signed, so that
every part of the product that notifies changes (the exercise, the replayed
history) says them the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from treatyledger.escrow.diff import diff_inventories
from treatyledger.escrow.inventory import Inventory
from treatyledger.treaty.spec import TreatySpec

__all__ = ["NOTIFIED", "change_notices"]

NOTIFIED = frozenset({"new_item", "elimination", "movement", "status_change", "conversion"})
"""The catalogue notifications that report a change of one item."""


def change_notices(
    spec: TreatySpec,
    older: Inventory,
    newer: Inventory,
    occurred: Callable[[int, str], dt.datetime],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(notification type, payload) for each notified change from ``older`` to ``newer``.

    ``occurred(n, uid)`` says when the ``n``-th notified change (of the item
    ``uid``) happened; it becomes the payload's ``occurred_at``.
    """
    items = {i.uid: i for i in newer.items}
    previous = {i.uid: i for i in older.items}
    changes = [c for c in diff_inventories(spec, older, newer) if c.notification in NOTIFIED]
    for n, change in enumerate(changes):
        kind = change.notification
        assert kind is not None  # filtered above
        moment = occurred(n, change.subject)
        payload: dict[str, Any] = {
            "uid": change.subject,
            "occurred_at": f"{moment:%Y-%m-%dT%H:%M:%SZ}",
        }
        if kind == "new_item":
            item = items[change.subject]
            payload |= {
                "kind": item.kind,
                "type": item.type,
                "status": item.status,
                "facility": item.facility,
            }
        elif kind == "elimination":
            payload |= {
                "procedure": "eliminated as the Protocol provides",
                "facility": previous[change.subject].facility,
            }
        elif kind == "movement":
            payload |= {"from_facility": change.before, "to_facility": change.after}
        elif kind == "status_change":
            payload |= {"from_status": change.before, "to_status": change.after}
        else:  # conversion
            payload |= {
                "to_status": change.after,
                "procedure": "converted as the Protocol provides",
                "facility": items[change.subject].facility,
            }
        yield kind, payload
