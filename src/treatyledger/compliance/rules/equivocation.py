"""Rule on the logs themselves: a log that showed two histories.

``log.equivocation`` (violation, the party whose log it is): a witness of
another party holds two checkpoints the log signed that cannot both be true
(two roots for one size, or a newer tree whose consistency path leads to an
older root other than the one signed), checked here against the accused
log's own key. Identical records held by several witnesses count once.
``log.evidence_invalid`` (concern, the witness's party): a record that does
not prove what it claims, or names a log that is not under review.
"""

from __future__ import annotations

from treatyledger.compliance.findings import Finding, Proof, Severity
from treatyledger.compliance.review import Review
from treatyledger.errors import TreatyLedgerError
from treatyledger.log.equivocation import verify_evidence
from treatyledger.log.note import Ed25519Verifier

__all__ = ["equivocations"]


def equivocations(review: Review) -> list[Finding]:
    """``log.equivocation`` and ``log.evidence_invalid``."""
    findings: list[Finding] = []
    seen: set[tuple[str, bytes, bytes]] = set()
    for holder in review.logs.values():
        witness_party = review.party_of(holder.origin)
        for record in holder.held_evidence:
            key = (record.origin, record.older, record.newer)
            if key in seen:
                continue
            seen.add(key)
            accused = review.logs.get(record.origin)
            if accused is None:
                findings.append(
                    Finding(
                        rule="log.evidence_invalid",
                        severity=Severity.CONCERN,
                        party=witness_party,
                        summary=(
                            f"The witness of {review.party_name(witness_party)} holds evidence "
                            f"against the log {record.origin}, which is not under review; it "
                            "cannot be checked here."
                        ),
                    )
                )
                continue
            try:
                older, newer = verify_evidence(record, Ed25519Verifier.from_vkey(accused.vkey))
            except TreatyLedgerError as exc:
                findings.append(
                    Finding(
                        rule="log.evidence_invalid",
                        severity=Severity.CONCERN,
                        party=witness_party,
                        summary=(
                            f"The witness of {review.party_name(witness_party)} holds evidence "
                            f"against the log {record.origin} that does not prove it: {exc}"
                        ),
                    )
                )
                continue
            party = review.party_of(record.origin)
            shape = (
                f"two different trees of {older.size} entries"
                if record.kind == "same-size"
                else f"a tree of {newer.size} entries that contradicts its tree of {older.size}"
            )
            findings.append(
                Finding(
                    rule="log.equivocation",
                    severity=Severity.VIOLATION,
                    party=party,
                    summary=(
                        f"The log {record.origin} of {review.party_name(party)} showed two "
                        f"histories: it signed {shape}. The witness {record.seen_by} of "
                        f"{review.party_name(witness_party)} holds both signed checkpoints "
                        f"({record.detail}). Whatever else it shows, this log cannot be relied "
                        "on to be the same for everyone."
                    ),
                    equivocation=(Proof(record=record, vkey=accused.vkey),),
                )
            )
    return findings
