"""A treaty specification as a JSON document (for ``treaty spec show --json`` and the node)."""

from __future__ import annotations

from typing import Any

from treatyledger.treaty.spec import TreatySpec
from treatyledger.treaty.timing import format_duration

__all__ = ["spec_to_json"]


def spec_to_json(spec: TreatySpec) -> dict[str, Any]:
    """Every part of ``spec`` as JSON-ready values: dates ISO 8601, durations as '5d'."""
    return {
        "id": spec.id,
        "name": spec.name,
        "illustrative": spec.illustrative,
        "description": spec.description,
        "sources": list(spec.sources),
        "dates": {
            "signed": spec.dates.signed.isoformat(),
            "entry_into_force": spec.dates.entry_into_force.isoformat(),
            "expiry": spec.dates.expiry.isoformat() if spec.dates.expiry else None,
        },
        "parties": [{"id": p.id, "name": p.name} for p in spec.parties],
        "item_kinds": [
            {"id": k.id, "name": k.name, "carries_warheads": k.carries_warheads}
            for k in spec.item_kinds
        ],
        "statuses": [{"id": s.id, "name": s.name} for s in spec.statuses],
        "facility_kinds": [{"id": f.id, "name": f.name} for f in spec.facility_kinds],
        "item_types": [
            {"id": t.id, "name": t.name, "kinds": list(t.kinds), "parties": list(t.parties)}
            for t in spec.item_types
        ],
        "limits": [
            {
                "id": lim.id,
                "name": lim.name,
                "cap": lim.cap,
                "party_caps": dict(lim.party_caps),
                "effective": lim.effective.isoformat(),
                "counting": [
                    {
                        "kinds": sorted(r.kinds),
                        "statuses": sorted(r.statuses),
                        "each": r.each.to_json(),
                        "note": r.note,
                    }
                    for r in lim.counting
                ],
            }
            for lim in spec.limits
        ],
        "data_exchange": {
            "initial_within_days": spec.data_exchange.initial_within_days,
            "as_of": [str(d) for d in spec.data_exchange.as_of],
            "regular_from": spec.data_exchange.regular_from.isoformat(),
            "due_within_days": spec.data_exchange.due_within_days,
            "change_notice_days": spec.data_exchange.change_notice_days,
            "warheads_change_only_at_exchange": spec.data_exchange.warheads_change_only_at_exchange,
            "special": [
                {
                    "as_of": s.as_of.isoformat(),
                    "due_within_days": s.due_within_days,
                    "replaces": s.replaces.isoformat() if s.replaces else None,
                    "note": s.note,
                }
                for s in spec.data_exchange.special
            ],
        },
        "notifications": [
            {
                "id": n.id,
                "description": n.description,
                "agreement": n.agreement,
                "deadline": None
                if n.deadline is None
                else {
                    n.deadline.relation.value: format_duration(n.deadline.within),
                    "event": n.deadline.event_field,
                },
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type.value,
                        "required": f.required,
                        "description": f.description,
                    }
                    for f in n.fields
                ],
            }
            for n in spec.notifications
        ],
        "inspections": {
            "quota_year_start": str(spec.inspections.quota_year_start),
            "quota_scope": spec.inspections.quota_scope.value,
            "one_at_a_time": spec.inspections.one_at_a_time,
            "max_per_site_per_year": spec.inspections.max_per_site_per_year,
            "types": [
                {
                    "id": t.id,
                    "name": t.name,
                    "annual_quota": t.annual_quota,
                    "facility_kinds": sorted(t.facility_kinds),
                    "notice_before_arrival": format_duration(t.notice_before_arrival),
                    "designation_within": format_duration(t.designation_within),
                    "restrictions_within": format_duration(t.restrictions_within),
                    "max_duration": format_duration(t.max_duration),
                    "reentry_vehicle_count": t.reentry_vehicle_count,
                }
                for t in spec.inspections.types
            ],
        },
        "commission": {
            "name": spec.commission.name,
            "sessions_per_year": spec.commission.sessions_per_year,
        },
        "events": [
            {
                "date": ev.date.isoformat(),
                "precision": ev.precision.value,
                "kind": ev.kind.value,
                "by": list(ev.by),
                "agreed": ev.agreed,
                "affects": [o.value for o in ev.affects],
                "summary": ev.summary,
                "source": ev.source,
            }
            for ev in spec.events
        ],
        "unverified": list(spec.unverified),
    }
