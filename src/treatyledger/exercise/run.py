"""Run one exercise: the delegations, the year through a transport, the findings, the planner.

:func:`run_exercise` plays the year (:mod:`.year`) through any transport,
exports every party's log, reads the exports back exactly as an outside
verifier would (verifying each tree, with the other parties' witness keys
trusted to attest times), and runs the compliance engine on them. Whether
the misconduct was caught is read off the findings: a ``violation``
attributed to the red team (in a clean year, any violation at all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from treatyledger.assurance.cheat import parse_cheat
from treatyledger.assurance.quota import quota_non_detection
from treatyledger.assurance.regime import QuotaRegime, quota_regime
from treatyledger.compliance import Finding, LoggedLog, Severity, check_compliance, read_log
from treatyledger.exercise.parties import (
    HIDDEN_MISSILES,
    UNDERSTATED_MISSILES,
    Delegation,
    RedTeam,
    delegations,
)
from treatyledger.exercise.scenarios import Misconduct, Scenario
from treatyledger.exercise.transport import Transport
from treatyledger.exercise.year import SimClock, Year, YearPlan, year_plan
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.note import Signer
from treatyledger.treaty.spec import TreatySpec

__all__ = ["Exercise", "Planner", "TransportFactory", "planner_for", "run_exercise"]

TransportFactory = Callable[[Mapping[str, Signer], SimClock], Transport]
"""Makes the transport for the delegations' log keys and the simulated clock."""


@dataclass(frozen=True)
class Planner:
    """The assurance planner's a-priori probability of catching the scenario's misconduct."""

    probability: float
    cheat: str
    basis: str

    def to_json(self) -> dict[str, Any]:
        """``{"detection_probability", "cheat", "basis"}``."""
        return {"detection_probability": self.probability, "cheat": self.cheat, "basis": self.basis}


@dataclass(frozen=True)
class Exercise:
    """A played year: its inputs, the exported logs, the findings and whether they caught it."""

    spec: TreatySpec
    scenario: Scenario
    seed: int
    plan: YearPlan
    parties: Mapping[str, Delegation]
    red: RedTeam | None
    files: Mapping[str, Mapping[str, bytes]]
    logs: Mapping[str, LoggedLog]
    findings: tuple[Finding, ...]
    planner: Planner | None
    entries: int

    @property
    def detected(self) -> bool:
        """A violation attributed to the red team (in a clean year: any violation)."""
        red = self.red.party if self.red is not None else None
        return any(
            f.severity is Severity.VIOLATION and (red is None or red in f.party.split("+"))
            for f in self.findings
        )


def _type_one_regime(
    spec: TreatySpec, parties: Mapping[str, Delegation], red: RedTeam, plan: YearPlan
) -> QuotaRegime:
    first = parties[red.party].declared[plan.exchanges[0][0]]
    return quota_regime(spec, first)


def planner_for(
    spec: TreatySpec, parties: Mapping[str, Delegation], red: RedTeam | None, plan: YearPlan
) -> Planner | None:
    """What the planner says, before the year, of the red team's misconduct."""
    if red is None:
        return None
    if red.misconduct in (Misconduct.HIDDEN_LAUNCHERS, Misconduct.UNDERSTATED_WARHEADS):
        regime = _type_one_regime(spec, parties, red, plan)
        text = (
            f"undeclared:{HIDDEN_MISSILES}@{red.hidden_base}"
            if red.misconduct is Misconduct.HIDDEN_LAUNCHERS
            else f"warheads:{len(red.understated) or UNDERSTATED_MISSILES}"
        )
        cheat = parse_cheat(text, regime)
        probability = 1.0 - quota_non_detection(regime, cheat)
        return Planner(
            probability,
            text,
            f"{regime.quota} {regime.inspection_name} inspections a year over "
            f"{len(regime.sites)} eligible sites of {red.party}, at most "
            f"{regime.per_site_cap} per site, drawn verifiably (exact, docs/assurance.md)",
        )
    basis = {
        Misconduct.LATE_NOTIFICATION: "the late notification is itself logged with its time",
        Misconduct.REFUSED_INSPECTION: "the refusal is itself a logged entry",
        Misconduct.SUSPENSION: "the suspension and the missed obligations are in the logs",
        Misconduct.EQUIVOCATING_LOG: "a witness shown both histories keeps both signed "
        "checkpoints as evidence",
    }[red.misconduct]
    return Planner(1.0, red.misconduct.value, basis)


def _fetcher(files: Mapping[str, bytes]) -> Callable[[str], bytes]:
    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return fetch


def read_exports(
    files: Mapping[str, Mapping[str, bytes]], signers: Mapping[str, Signer]
) -> dict[str, LoggedLog]:
    """Every export read and verified, each party's witnesses trusted for the others' logs."""
    own = {
        party: CosignatureVerifier.from_vkey(f["witness-vkey"].decode().strip()).vkey()
        for party, f in files.items()
        if "witness-vkey" in f
    }
    witnesses = [CosignatureVerifier.from_vkey(k) for k in sorted(own.values())]
    return {
        party: read_log(
            _fetcher(f),
            signers[party].verifier(),
            witnesses=witnesses,
            own_witnesses=[own[party]] if party in own else [],
        )
        for party, f in files.items()
    }


def run_exercise(
    spec: TreatySpec,
    scenario: Scenario,
    seed: int,
    transport: TransportFactory,
    *,
    progress: Callable[[str, float], None] = lambda _m, _f: None,
    check: bool = True,
) -> Exercise:
    """Play the year through the transport ``transport`` makes, and judge it.

    ``check=False`` skips the delegations' own check of each entry before it
    is sent (the compliance engine still checks every entry it reads).
    """
    plan = year_plan(spec)
    eligible = frozenset(spec.inspections.types[0].facility_kinds)
    progress("building the inventories from the public record", 0.0)
    parties, red = delegations(spec, scenario, seed, [a for a, _ in plan.exchanges], eligible)
    clock = SimClock(dt.datetime.combine(plan.start, dt.time(), dt.UTC))
    link = transport({p: d.signer for p, d in parties.items()}, clock)
    try:
        year = Year(
            spec, plan, parties, red, link, clock, seed=seed, progress=progress, check=check
        )
        year.play()
        progress("exporting and verifying the logs", 1.0)
        files = {party: link.export(party) for party in parties}
    finally:
        link.close()
    logs = read_exports(files, {p: d.signer for p, d in parties.items()})
    progress("judging the year", 1.0)
    findings = check_compliance(list(logs.values()), spec, now=plan.judged_at, since=plan.since)
    return Exercise(
        spec=spec,
        scenario=scenario,
        seed=seed,
        plan=plan,
        parties=parties,
        red=red,
        files=files,
        logs=logs,
        findings=tuple(findings),
        planner=planner_for(spec, parties, red, plan),
        entries=year.entries,
    )
