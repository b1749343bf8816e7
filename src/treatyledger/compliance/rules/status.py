"""Rules on the state of the ledger itself: suspensions in effect, entries that do not hold."""

from __future__ import annotations

from treatyledger.compliance.findings import Finding, Severity
from treatyledger.compliance.reading import LoggedEntry
from treatyledger.compliance.review import Review, cite, entry_of

__all__ = ["entries_invalid", "suspensions_in_effect"]


def suspensions_in_effect(review: Review) -> list[Finding]:
    """``suspension.in_effect``: obligations a party suspended and has not resumed by ``now``."""
    findings = []
    for party in review.parties:
        stopped: dict[str, LoggedEntry] = {}
        for logged in review.of_type("suspension", "resumption"):
            entry = entry_of(logged)
            if entry.sender != party or entry.time > review.now:
                continue
            for obligation in entry.payload["obligations"]:
                if entry.type == "suspension":
                    stopped.setdefault(obligation, logged)
                else:
                    stopped.pop(obligation, None)
        by_entry: dict[tuple[str, int], list[str]] = {}
        for obligation, logged in stopped.items():
            by_entry.setdefault((logged.origin, logged.index), []).append(obligation)
        for (origin, index), obligations in sorted(by_entry.items()):
            logged = review.logs[origin].entries[index]
            entry = entry_of(logged)
            findings.append(
                Finding(
                    rule="suspension.in_effect",
                    severity=Severity.INFO,
                    party=party,
                    summary=(
                        f"{review.party_name(party)} suspended its obligations on "
                        f"{', '.join(o.replace('_', ' ') for o in sorted(obligations))} on "
                        f"{entry.time:%Y-%m-%d} ({cite(logged)}: {entry.payload['reason']}); "
                        "they remain suspended."
                    ),
                    evidence=review.evidence([logged]),
                )
            )
    return findings


def entries_invalid(review: Review) -> list[Finding]:
    """``entry.invalid``: a logged entry of the treaty that does not hold under its rules.

    ``entry.unreadable``: a logged note that is not a ledger entry signed by the log's key.
    """
    findings = [
        Finding(
            rule="entry.invalid",
            severity=Severity.CONCERN,
            party=entry_of(logged).sender,
            summary=(
                f"{review.party_name(entry_of(logged).sender)} logged a "
                f"{entry_of(logged).type} entry that the treaty's rules refuse "
                f"({cite(logged)}): {problem}"
            ),
            evidence=review.evidence([logged]),
        )
        for logged, problem in review.invalid
    ]
    for logged in review.unreadable:
        party = review.party_of(logged.origin)
        findings.append(
            Finding(
                rule="entry.unreadable",
                severity=Severity.CONCERN,
                party=party,
                summary=(
                    f"The log {logged.origin} holds a note that is not a readable ledger "
                    f"entry ({cite(logged)}): {logged.problem}"
                ),
                evidence=(),
            )
        )
    return findings
