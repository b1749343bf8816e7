"""The compliance rules, one function per concept, each ``(Review) -> list[Finding]``."""

from __future__ import annotations

from collections.abc import Callable

from treatyledger.compliance.findings import Finding
from treatyledger.compliance.review import Review
from treatyledger.compliance.rules.commission import postponed, sessions_missed
from treatyledger.compliance.rules.discrepancies import inspection_discrepancies
from treatyledger.compliance.rules.equivocation import equivocations
from treatyledger.compliance.rules.exchanges import (
    exchanges_missing_or_late,
    limits_exceeded,
    totals_inconsistent,
)
from treatyledger.compliance.rules.inspections import inspection_findings
from treatyledger.compliance.rules.notifications import notifications_late, notifications_missing
from treatyledger.compliance.rules.status import entries_invalid, suspensions_in_effect
from treatyledger.compliance.rules.stoppages import (
    countermeasures_in_effect,
    disputes_open,
    exemptions_declared,
    pauses,
)

__all__ = ["RULES", "Rule"]

Rule = Callable[[Review], list[Finding]]

RULES: tuple[Rule, ...] = (
    limits_exceeded,
    totals_inconsistent,
    exchanges_missing_or_late,
    notifications_late,
    notifications_missing,
    inspection_findings,
    inspection_discrepancies,
    exemptions_declared,
    sessions_missed,
    postponed,
    pauses,
    suspensions_in_effect,
    countermeasures_in_effect,
    disputes_open,
    equivocations,
    entries_invalid,
)
"""Every rule, in the order their findings are listed."""
