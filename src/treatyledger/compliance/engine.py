"""Run every rule over the logs of all parties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from treatyledger.compliance.findings import Finding
from treatyledger.compliance.reading import LoggedLog
from treatyledger.compliance.review import Review
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
    return findings
