"""The compliance engine: read every party's log and conclude, with offline-checkable evidence.

:mod:`.reading` verifies and reads exported logs, :mod:`.review` indexes them
for one treaty, :mod:`.rules` holds the rules and :mod:`.findings` the
findings, their JSON and their offline verification. Pure core: files are
read through a ``fetch`` callable; no storage, no clock, no command line.
The rules are documented in ``docs/compliance.md``.
"""

from treatyledger.compliance.engine import check_compliance
from treatyledger.compliance.findings import (
    Evidence,
    Finding,
    Severity,
    findings_to_json,
    parse_finding,
    parse_findings,
    verify_evidence,
    verify_finding,
)
from treatyledger.compliance.reading import LoggedEntry, LoggedLog, read_log, verifier_from_export
from treatyledger.compliance.review import Review
from treatyledger.compliance.timeline import Timeline, build_timeline

__all__ = [
    "Evidence",
    "Finding",
    "LoggedEntry",
    "LoggedLog",
    "Review",
    "Severity",
    "Timeline",
    "build_timeline",
    "check_compliance",
    "findings_to_json",
    "parse_finding",
    "parse_findings",
    "read_log",
    "verifier_from_export",
    "verify_evidence",
    "verify_finding",
]
