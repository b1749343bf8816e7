"""Run every rule over the logs of all parties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from treatyledger.compliance.findings import Finding
from treatyledger.compliance.reading import LoggedLog
from treatyledger.compliance.review import UNATTESTED, Review
from treatyledger.compliance.rules import RULES
from treatyledger.treaty.spec import TreatySpec

__all__ = ["check_compliance"]


def check_compliance(
    logs: Sequence[LoggedLog],
    spec: TreatySpec,
    *,
    now: dt.datetime,
    since: dt.datetime | None = None,
) -> list[Finding]:
    """The findings of every rule on ``logs`` under ``spec``, judged at ``now``.

    ``since`` is the start of the review (default: the earliest entry of the
    treaty in any log); obligations due before it are not judged.
    """
    if now.tzinfo is None or now.utcoffset() != dt.timedelta(0):
        raise ValueError("now must be a UTC time")
    review = Review(logs, spec, now=now, since=since)
    findings: list[Finding] = []
    for rule in RULES:
        findings += rule(review)
    return [_time_note(f) for f in findings]


def _time_note(finding: Finding) -> Finding:
    """Replace the sentence on unattested times where witnesses attest the evidence."""
    if not finding.summary.endswith(UNATTESTED) or not finding.evidence:
        return finding
    attested = [e for e in finding.evidence if e.attestation is not None]
    if not attested:
        return finding
    head = finding.summary[: -len(UNATTESTED)]
    if len(attested) == len(finding.evidence):
        note = (
            "A witness cosignature attests that each entry cited existed by the time "
            "given with it in the evidence."
        )
    else:
        bare = ", ".join(
            f"entry {e.index} of log {e.origin}" for e in finding.evidence if e.attestation is None
        )
        note = (
            f"Times are as the senders stated them for {bare}; witness cosignatures "
            "attest the others."
        )
    return replace(finding, summary=head + note)
