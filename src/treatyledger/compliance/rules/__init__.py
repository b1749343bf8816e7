"""The compliance rules, one function per concept, each ``(Review) -> list[Finding]``."""

from __future__ import annotations

from collections.abc import Callable

from treatyledger.compliance.findings import Finding
from treatyledger.compliance.review import Review
from treatyledger.compliance.rules.commission import sessions_missed
from treatyledger.compliance.rules.discrepancies import inspection_discrepancies
from treatyledger.compliance.rules.exchanges import (
    exchanges_missing_or_late,
    limits_exceeded,
    totals_inconsistent,
)
from treatyledger.compliance.rules.inspections import inspection_findings
from treatyledger.compliance.rules.notifications import notifications_late
from treatyledger.compliance.rules.status import entries_invalid, suspensions_in_effect

__all__ = ["RULES", "Rule"]

Rule = Callable[[Review], list[Finding]]

RULES: tuple[Rule, ...] = (
    limits_exceeded,
    totals_inconsistent,
    exchanges_missing_or_late,
    notifications_late,
    inspection_findings,
    inspection_discrepancies,
    sessions_missed,
    suspensions_in_effect,
    entries_invalid,
)
"""Every rule, in the order their findings are listed."""
