"""Statistical assurance: how much an inspection regime buys, and draws no one can bias.

:mod:`.hypergeometric` and :mod:`.sampling` give exact attribute-sampling
figures (log space, populations to 10^9) beside the IAEA approximation;
:mod:`.allocation` spreads a fixed number of inspections over sites
(zero-sum water-filling, deterrence), read from :mod:`.sites_csv`;
:mod:`.regime`, :mod:`.cheat`, :mod:`.quota` and :mod:`.montecarlo` give the
probability that a treaty's yearly quota catches a cheat, exactly and by
simulation; :mod:`.figure` draws it; :mod:`.repeated` is Dresher's game;
:mod:`.draw` is the verifiable random draw of sites and :mod:`.draw_record`
fixes and checks it from the two parties' logs. Pure core: no storage, no
command line; progress is reported through a callback. The formulas are
documented in ``docs/assurance.md``.
"""

from treatyledger.assurance.allocation import (
    DetectionPlan,
    DeterrencePlan,
    InspectionSite,
    allocate_detection,
    allocate_deterrence,
    deters,
)
from treatyledger.assurance.cheat import Cheat, parse_cheat
from treatyledger.assurance.draw import DrawPurpose, draw_sites
from treatyledger.assurance.draw_record import (
    DrawCheck,
    DrawRecord,
    check_draws,
    commitment_entry,
    find_commitment,
    fix_draw,
    reveal_entry,
)
from treatyledger.assurance.hypergeometric import detection_probability, non_detection
from treatyledger.assurance.inputs import PlanInputError
from treatyledger.assurance.montecarlo import MonteCarloEstimate, simulate_quota
from treatyledger.assurance.quota import (
    QuotaCurve,
    QuotaReport,
    quota_curve,
    quota_non_detection,
    quota_report,
)
from treatyledger.assurance.regime import QuotaRegime, quota_regime
from treatyledger.assurance.repeated import dresher_value
from treatyledger.assurance.sampling import Detection, SampleSize, detect, sample_size
from treatyledger.assurance.sites_csv import load_sites_csv, parse_sites_csv

__all__ = [
    "Cheat",
    "Detection",
    "DetectionPlan",
    "DeterrencePlan",
    "DrawCheck",
    "DrawPurpose",
    "DrawRecord",
    "InspectionSite",
    "MonteCarloEstimate",
    "PlanInputError",
    "QuotaCurve",
    "QuotaRegime",
    "QuotaReport",
    "SampleSize",
    "allocate_detection",
    "allocate_deterrence",
    "check_draws",
    "commitment_entry",
    "detect",
    "detection_probability",
    "deters",
    "draw_sites",
    "dresher_value",
    "find_commitment",
    "fix_draw",
    "load_sites_csv",
    "non_detection",
    "parse_cheat",
    "parse_sites_csv",
    "quota_curve",
    "quota_non_detection",
    "quota_regime",
    "quota_report",
    "reveal_entry",
    "sample_size",
    "simulate_quota",
]
