"""The bases, weapon systems and force levels the reconstructed inventories are built from.

Only three numbers per party were ever published for each New START data
exchange (:mod:`treatyledger.record.aggregates`). Everything here that goes
beyond them is a documented reading of the public record, made once so that
every reconstruction is deterministic:

- **Public**: the facilities (the bases and sites named below exist and are the
  kind of site declared; sources in the comments), the weapon types, the US
  breakdown by type of 1 September 2020 (State Department fact sheet), the
  commissioning dates of the Borei submarines, the conversion of 56 Trident II
  launchers and 41 B-52H bombers (reference/new-start.md), the UK and French
  force sizes (reference/new-start.md).
- **Illustrative**: how many launchers each base holds on each date, when each
  older system left, the warheads on each missile, and all of China. These are
  choices, plausible and stated beside each value; the published New START
  totals are always met exactly.

Types the treaty specification does not list are itemised under the closest
type it has, and the UID label names the real system (``RU-SS18-0001`` is an
R-36M2 itemised as ``rs_28_sarmat``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal

from treatyledger.errors import RecordError
from treatyledger.escrow.inventory import Facility
from treatyledger.record.aggregates import PublicRecord

__all__ = [
    "ANCHOR",
    "FACILITIES",
    "PLANS",
    "SYSTEMS",
    "UNITS",
    "Knots",
    "Plan",
    "Policy",
    "System",
    "Targets",
    "Unit",
    "can_deploy",
    "force_levels",
    "is_open",
    "level",
]

ANCHOR: Final = dt.date(2020, 9, 1)
"""The date whose breakdown the New START series start from (State Department, 1 Dec 2020)."""

Policy = Literal["balanced", "sequential"]
Knots = tuple[tuple[int, int], ...]
"""A force level over time: (year * 100 + month, level) points, each on the first of its
month, interpolated linearly and rounded; a single point (month 0) is a constant."""

_D = dt.date


@dataclass(frozen=True)
class System:
    """One weapon system: its launchers (or bombers) and, for missiles, the missiles in them.

    ``policy`` says where a change lands: ``balanced`` spreads changes over the
    units, ``sequential`` follows the order of the units (the first unit in the
    table is the first to receive new launchers and the first to lose old ones).
    Warheads: a newly deployed missile carries ``typical``; totals are met by
    moving loadings within ``band`` first, within 1 to ``maximum`` if need be.
    A system without missiles but with a ``typical`` loading is itself armed
    (an air-launched missile).
    """

    label: str
    name: str
    launcher_kind: str
    missile_kind: str | None
    type: str
    typical: int = 0
    band: tuple[int, int] = (0, 0)
    maximum: int = 0
    policy: Policy = "balanced"
    flex: bool = False
    """On the anchor date, this system's missiles carry whatever the others leave, evenly."""


@dataclass(frozen=True)
class Unit:
    """The launchers of one system at one facility.

    ``status`` fixes the status of every launcher (a bomber is deployed at an air
    base, non-deployed at a repair facility); None lets each launcher be deployed
    or not. ``anchor`` is (launchers, deployed) on :data:`ANCHOR`. A unit with
    ``opens`` or ``closes`` (a submarine) is full between them and empty outside.
    """

    facility: str
    system: str
    capacity: int
    anchor: tuple[int, int] = (0, 0)
    status: str | None = None
    deployable: bool = True
    opens: dt.date | None = None
    closes: dt.date | None = None
    spares: int = 0
    """Non-deployed missiles held without launchers (an armament depot); static inventories only."""


@dataclass(frozen=True)
class Plan:
    """How one party's published totals are split over its systems, date by date.

    ``launchers`` and ``deployed`` give force levels per system. A system not in
    ``launchers`` has as many launchers as its deployed level (plus its reserve),
    or, without one, as many as its open units hold; a system not in
    ``deployed`` is fully deployed if all its units can be, never otherwise.
    The systems of ``deployed_rest`` take, in order, the deployed count the
    published total leaves. The launchers the published total leaves are the
    ``reserve`` (non-deployed launchers awaiting elimination), eliminated block
    after block in the order given, ``reserve_rest`` taking what the blocks do
    not; ``surplus_to`` receives any rise of the reserve as new launchers, not yet
    deployed, so that an eliminated launcher never comes back. ``conversions``
    (system, count) leave after the reserve, interleaved.
    """

    launchers: Mapping[str, Knots]
    deployed: Mapping[str, Knots]
    deployed_rest: tuple[str, ...]
    reserve: tuple[tuple[str, int], ...]
    reserve_rest: str
    conversions: tuple[tuple[str, int], ...] = ()
    surplus_to: str | None = None


# ---------------------------------------------------------------------------
# Facilities.

_F = Facility
_ELIMINATION = "conversion_elimination_facility"

FACILITIES: Final[dict[str, tuple[Facility, ...]]] = {
    # US Air Force and Navy base pages, the New START memorandum of understanding.
    # Minot holds both an ICBM wing and a bomber wing, declared as two facilities.
    # The first twelve are those of escrow.fixtures. Dyess and Ellsworth (the
    # B-1B wings) and Davis-Monthan (the 309th Aerospace Maintenance and
    # Regeneration Group, where bombers are stored and eliminated) hold items only
    # in the first years of the treaty. Names as of September 2020.
    "US": (
        _F("fe_warren", "icbm_base", "F.E. Warren AFB", "Cheyenne, Wyoming"),
        _F("malmstrom", "icbm_base", "Malmstrom AFB", "Great Falls, Montana"),
        _F("minot_icbm", "icbm_base", "Minot AFB (ICBM base)", "Minot, North Dakota"),
        _F("vandenberg", "test_range", "Vandenberg AFB", "Lompoc, California"),
        _F("bangor", "submarine_base", "Naval Base Kitsap-Bangor", "Silverdale, Washington"),
        _F("kings_bay", "submarine_base", "Naval Submarine Base Kings Bay", "St. Marys, Georgia"),
        _F("whiteman", "air_base", "Whiteman AFB", "Knob Noster, Missouri"),
        _F("barksdale", "air_base", "Barksdale AFB", "Bossier City, Louisiana"),
        _F("minot_air", "air_base", "Minot AFB (air base)", "Minot, North Dakota"),
        _F("plant_42", "repair_facility", "Air Force Plant 42", "Palmdale, California"),
        _F("tinker", "repair_facility", "Tinker AFB", "Oklahoma City, Oklahoma"),
        _F("edwards", "test_range", "Edwards AFB", "Edwards, California"),
        _F("dyess", "air_base", "Dyess AFB", "Abilene, Texas"),
        _F("ellsworth", "air_base", "Ellsworth AFB", "Box Elder, South Dakota"),
        _F("davis_monthan", _ELIMINATION, "Davis-Monthan AFB (309th AMARG)", "Tucson, Arizona"),
    ),
    # The eleven divisions of the Strategic Rocket Forces with strategic missiles
    # in 2011-2022, as listed by russianforces.org (Pavel Podvig) and the FAS
    # Nuclear Notebook "Russian nuclear weapons" (Kristensen, Korda): 28th Guards
    # (Kozelsk), 60th (Tatishchevo), 13th (Dombarovsky), 62nd (Uzhur), 54th
    # Guards (Teykovo), 14th (Yoshkar-Ola), 7th Guards (Vypolzovo), 39th Guards
    # (Novosibirsk), 35th (Barnaul), 42nd (Nizhny Tagil), 29th Guards (Irkutsk);
    # the Plesetsk test site; the strategic submarine bases of the Northern and
    # Pacific fleets; the two heavy-bomber bases; the plants that repair bombers.
    "RU": (
        _F("kozelsk", "icbm_base", "Kozelsk missile division", "Kozelsk, Kaluga Oblast"),
        _F("tatishchevo", "icbm_base", "Tatishchevo missile division", "Svetly, Saratov Oblast"),
        _F("dombarovsky", "icbm_base", "Dombarovsky missile division", "Yasny, Orenburg Oblast"),
        _F("uzhur", "icbm_base", "Uzhur missile division", "Solnechny, Krasnoyarsk Krai"),
        _F("teykovo", "icbm_base", "Teykovo missile division", "Teykovo, Ivanovo Oblast"),
        _F("yoshkar_ola", "icbm_base", "Yoshkar-Ola missile division", "Yoshkar-Ola, Mari El"),
        _F("vypolzovo", "icbm_base", "Vypolzovo missile division", "Ozerny, Tver Oblast"),
        _F("novosibirsk", "icbm_base", "Novosibirsk missile division", "Novosibirsk"),
        _F("barnaul", "icbm_base", "Barnaul missile division", "Sibirsky, Altai Krai"),
        _F("nizhny_tagil", "icbm_base", "Nizhny Tagil missile division", "Svobodny, Sverdlovsk"),
        _F("irkutsk", "icbm_base", "Irkutsk missile division", "Irkutsk, Irkutsk Oblast"),
        _F("plesetsk", "test_range", "Plesetsk test site", "Mirny, Arkhangelsk Oblast"),
        _F("gadzhiyevo", "submarine_base", "Gadzhiyevo naval base", "Gadzhiyevo, Murmansk Oblast"),
        _F("vilyuchinsk", "submarine_base", "Vilyuchinsk (Rybachiy) naval base", "Kamchatka"),
        _F("engels", "air_base", "Engels air base", "Engels, Saratov Oblast"),
        _F("ukrainka", "air_base", "Ukrainka air base", "Seryshevo, Amur Oblast"),
        _F("kazan", "repair_facility", "Kazan aviation plant", "Kazan, Tatarstan"),
        _F("taganrog", "repair_facility", "Beriev aircraft plant", "Taganrog, Rostov Oblast"),
    ),
    # reference/new-start.md: four Vanguard-class submarines; the base at Faslane,
    # the armament depot at Coulport; refits at Devonport.
    "GB": (
        _F("faslane", "submarine_base", "HM Naval Base Clyde (Faslane)", "Helensburgh"),
        _F("coulport", "storage_facility", "RNAD Coulport", "Loch Long"),
        _F("devonport", "repair_facility", "HM Naval Base Devonport", "Plymouth"),
    ),
    # Four Triomphant-class submarines at Ile Longue; the Rafale squadrons that
    # carry the ASMPA at Saint-Dizier and Istres.
    "FR": (
        _F("ile_longue", "submarine_base", "Ile Longue", "Crozon, Finistere"),
        _F("saint_dizier", "air_base", "BA 113 Saint-Dizier", "Saint-Dizier, Haute-Marne"),
        _F("istres", "air_base", "BA 125 Istres", "Istres, Bouches-du-Rhone"),
    ),
    # ASSUMPTION throughout: China declares nothing. The three silo fields were
    # reported in 2021 from commercial satellite imagery; the rocket-force bases
    # are public designations; which holds what is illustrative.
    "CN": (
        _F("yumen", "icbm_base", "Yumen silo field", "Gansu"),
        _F("hami", "icbm_base", "Hami silo field", "Xinjiang"),
        _F("ordos", "icbm_base", "Ordos silo field", "Inner Mongolia"),
        _F("base_66", "icbm_base", "Rocket Force Base 66", "Luoyang, Henan"),
        _F("base_64", "icbm_base", "Rocket Force Base 64", "Lanzhou, Gansu"),
        _F("yulin", "submarine_base", "Yulin naval base", "Sanya, Hainan"),
    ),
}

# ---------------------------------------------------------------------------
# Systems. Warhead maxima are the commonly cited reentry-vehicle capacities.

_ICBM = ("icbm_launcher", "icbm")
_SLBM = ("slbm_launcher", "slbm")

SYSTEMS: Final[dict[str, tuple[System, ...]]] = {
    "US": (
        # Minuteman III: one warhead each since 2014 (up to three before).
        System("MM3", "Minuteman III", *_ICBM, "minuteman_iii", 1, (1, 1), 3),
        # Empty Peacekeeper silos at F.E. Warren, eliminated early in the treaty;
        # the specification has no Peacekeeper type, so the closest one.
        System("PK", "Peacekeeper silo", "icbm_launcher", None, "minuteman_iii"),
        # Trident II: up to 8 reentry vehicles; about 4-5 carried on average.
        System("D5", "Trident II D5", *_SLBM, "trident_ii", 4, (3, 6), 8, flex=True),
        System("B2A", "B-2A", "heavy_bomber", None, "b_2a"),
        System("B52H", "B-52H", "heavy_bomber", None, "b_52h"),
        # Types the specification lacks, itemised as b_52h (the closest type: a
        # heavy bomber later converted or eliminated).
        System("B52G", "B-52G (stored)", "heavy_bomber", None, "b_52h"),
        System("B1B", "B-1B", "heavy_bomber", None, "b_52h"),
    ),
    "RU": (
        # The specification lists only RS-24 Yars and RS-28 Sarmat for Russian
        # ICBMs: the liquid-fuelled silo missiles (R-36M2, UR-100NUTTH, the
        # Avangard carrier) are itemised as rs_28_sarmat, the solid-fuelled ones
        # (Topol, Topol-M) as rs_24_yars; no Sarmat was deployed by 2022.
        System("SS18", "R-36M2 Voevoda (SS-18)", *_ICBM, "rs_28_sarmat", 8, (5, 10), 10),
        System("SS19", "UR-100NUTTH (SS-19)", *_ICBM, "rs_28_sarmat", 6, (4, 6), 6, "sequential"),
        System("AVG", "Avangard", *_ICBM, "rs_28_sarmat", 1, (1, 1), 1, "sequential"),
        System("SS25", "Topol (SS-25)", *_ICBM, "rs_24_yars", 1, (1, 1), 1, "sequential"),
        System("SS27S", "Topol-M (SS-27), silo", *_ICBM, "rs_24_yars", 1, (1, 1), 1),
        System("SS27M", "Topol-M (SS-27), mobile", *_ICBM, "rs_24_yars", 1, (1, 1), 1),
        System("YARSM", "RS-24 Yars, mobile", *_ICBM, "rs_24_yars", 3, (2, 4), 4, "sequential"),
        System("YARSS", "RS-24 Yars, silo", *_ICBM, "rs_24_yars", 3, (2, 4), 4, "sequential"),
        # Bulava is the only Russian SLBM type the specification lists: the older
        # R-29R (Delta III) and R-29RMU2 Sineva (Delta IV) are itemised as bulava.
        System("R29R", "R-29R (Delta III)", *_SLBM, "bulava", 3, (1, 3), 3),
        System("SINEVA", "R-29RMU2 Sineva (Delta IV)", *_SLBM, "bulava", 3, (2, 4), 4),
        System("BULAVA", "Bulava (Borei)", *_SLBM, "bulava", 4, (3, 6), 6, flex=True),
        System("TU95MS", "Tu-95MS", "heavy_bomber", None, "tu_95ms"),
        System("TU160", "Tu-160", "heavy_bomber", None, "tu_160"),
        System("TEST", "ICBM test launcher", "icbm_launcher", None, "rs_24_yars"),
    ),
    "GB": (System("D5", "Trident II D5", *_SLBM, "trident_ii", 5, (5, 5), 8),),
    "FR": (
        System("M51", "M51", *_SLBM, "m51", 5, (5, 5), 6),
        System("ASMPA", "ASMPA", "air_launched_missile", None, "asmpa", 1, (1, 1), 1),
    ),
    "CN": (
        System("DF5", "DF-5B", *_ICBM, "df_5b", 3, (3, 3), 5),
        System("DF41", "DF-41", *_ICBM, "df_41", 3, (3, 3), 3),
        System("DF31", "DF-31AG", *_ICBM, "df_31ag", 1, (1, 1), 1),
        System("JL3", "JL-3", *_SLBM, "jl_3", 1, (1, 1), 3),
    ),
}

# ---------------------------------------------------------------------------
# Units: where each system's launchers are. ``anchor`` is the illustrative split
# on 1 September 2020 (for GB, FR and CN: the one illustrative inventory).

_DEP, _ND = "deployed", "non_deployed"

UNITS: Final[dict[str, tuple[Unit, ...]]] = {
    "US": (
        # Minuteman III: 450 silos, 150 at each wing, plus 4 test launchers at
        # Vandenberg = 454 = 397 deployed + 57 non-deployed (State Department,
        # 1 Sep 2020); the split between wings is illustrative. Malmstrom also
        # holds the 50 empty silos of its deactivated 564th squadron early on.
        Unit("fe_warren", "MM3", 150, (150, 133)),
        Unit("malmstrom", "MM3", 200, (150, 132)),
        Unit("minot_icbm", "MM3", 150, (150, 132)),
        Unit("vandenberg", "MM3", 4, (4, 0), deployable=False),
        Unit("fe_warren", "PK", 50, deployable=False),
        # Trident II: 14 Ohio-class submarines, 8 at Bangor and 6 at Kings Bay; 24
        # tubes each until 4 per boat were converted (2015-2017), 20 since = 280 =
        # 230 deployed + 50 non-deployed (submarines in overhaul).
        Unit("bangor", "D5", 192, (160, 130)),
        Unit("kings_bay", "D5", 144, (120, 100)),
        # Bombers: deployed at their wings, non-deployed at repair facilities or
        # used for testing; 20 B-2A and 46 nuclear-capable B-52H since 2017.
        Unit("whiteman", "B2A", 20, (12, 12), _DEP),
        Unit("plant_42", "B2A", 20, (6, 0), _ND),
        Unit("edwards", "B2A", 2, (2, 0), _ND),
        Unit("barksdale", "B52H", 48, (20, 20), _DEP),
        Unit("minot_air", "B52H", 32, (16, 16), _DEP),
        Unit("tinker", "B52H", 20, (8, 0), _ND),
        Unit("edwards", "B52H", 2, (2, 0), _ND),
        Unit("davis_monthan", "B52G", 61, status=_ND),
        Unit("dyess", "B1B", 36, status=_DEP),
        Unit("ellsworth", "B1B", 30, status=_DEP),
    ),
    "RU": (
        # SS-18: 64 silos at each division, deployed and empty ones (illustrative).
        Unit("dombarovsky", "SS18", 64, (52, 18)),
        Unit("uzhur", "SS18", 64, (55, 28)),
        # SS-19 silos: retired first at Tatishchevo, then at Kozelsk; empty silos
        # stay declared until eliminated.
        Unit("tatishchevo", "SS19", 90, (40, 0)),
        Unit("kozelsk", "SS19", 60, (60, 0)),
        Unit("dombarovsky", "AVG", 12, (3, 3)),
        # Topol: retired and eliminated division by division, in this order; a
        # division also holds retired launchers awaiting elimination.
        Unit("novosibirsk", "SS25", 60),
        Unit("nizhny_tagil", "SS25", 60),
        Unit("barnaul", "SS25", 60),
        Unit("yoshkar_ola", "SS25", 60, (4, 0)),
        Unit("irkutsk", "SS25", 60, (9, 9)),
        Unit("vypolzovo", "SS25", 60, (9, 9)),
        Unit("tatishchevo", "SS27S", 60, (60, 60)),
        Unit("teykovo", "SS27M", 18, (18, 18)),
        # Yars: divisions re-armed in this order (Teykovo from 2010, Novosibirsk
        # and Nizhny Tagil next, Irkutsk and Vypolzovo last), up to four
        # regiments of nine launchers; a few launchers of each not deployed.
        Unit("teykovo", "YARSM", 36, (36, 31)),
        Unit("novosibirsk", "YARSM", 36, (36, 31)),
        Unit("nizhny_tagil", "YARSM", 36, (36, 31)),
        Unit("barnaul", "YARSM", 36, (36, 31)),
        Unit("yoshkar_ola", "YARSM", 36, (36, 31)),
        Unit("irkutsk", "YARSM", 36, (11, 1)),
        Unit("vypolzovo", "YARSM", 36),
        Unit("kozelsk", "YARSS", 60, (12, 12)),
        # Submarines: 16 launchers each. Delta III at Vilyuchinsk until the dates
        # given (illustrative); six Delta IV at Gadzhiyevo throughout; the Borei
        # from commissioning (Yuri Dolgorukiy 10 Jan 2013, Alexander Nevsky 23 Dec
        # 2013, Vladimir Monomakh 19 Dec 2014, Knyaz Vladimir 12 Jun 2020, Knyaz
        # Oleg 21 Dec 2021), counted at their home port from the start (Nevsky
        # and Monomakh moved from the Northern Fleet in 2015 and 2016).
        Unit("vilyuchinsk", "R29R", 16, closes=_D(2015, 1, 1)),
        Unit("vilyuchinsk", "R29R", 16, closes=_D(2017, 1, 1)),
        Unit("vilyuchinsk", "R29R", 16, (16, 0), closes=_D(2021, 6, 1)),
        Unit("gadzhiyevo", "SINEVA", 96, (96, 73)),
        Unit("gadzhiyevo", "BULAVA", 16, (16, 16), opens=_D(2013, 1, 10)),
        Unit("vilyuchinsk", "BULAVA", 16, (16, 16), opens=_D(2013, 12, 23)),
        Unit("vilyuchinsk", "BULAVA", 16, (16, 16), opens=_D(2014, 12, 19)),
        Unit("gadzhiyevo", "BULAVA", 16, (16, 16), opens=_D(2020, 6, 12)),
        Unit("vilyuchinsk", "BULAVA", 16, opens=_D(2021, 12, 21)),
        Unit("engels", "TU95MS", 24, (18, 18), _DEP),
        Unit("ukrainka", "TU95MS", 40, (28, 28), _DEP),
        Unit("taganrog", "TU95MS", 16, (9, 0), _ND),
        Unit("engels", "TU160", 16, (14, 14), _DEP),
        Unit("kazan", "TU160", 6, (2, 0), _ND),
        Unit("plesetsk", "TEST", 4, (4, 0), "test"),
    ),
    # Four Vanguard-class boats of 16 tubes; since the 2010 review no more than 8
    # missiles and 40 warheads per boat. ASSUMPTION: three boats in the Faslane
    # cycle carry 8 missiles of 5 warheads (3 x 40 = 120, the "up to 120"
    # available for delivery), the fourth is in refit at Devonport, and a
    # boat-load of missiles is at Coulport between patrols.
    "GB": (
        Unit("faslane", "D5", 48, (48, 24)),
        Unit("devonport", "D5", 16, (16, 0)),
        Unit("coulport", "D5", 0, spares=8),
    ),
    # Four Triomphant-class boats of 16 tubes; three sets of 16 M51, so three
    # boats loaded and one in refit. ASSUMPTION: 5 warheads per M51 (240) and
    # one per ASMPA for 50 of the 54 (290 in all, SIPRI's estimate).
    "FR": (
        Unit("ile_longue", "M51", 64, (64, 48)),
        Unit("saint_dizier", "ASMPA", 40, (40, 40)),
        Unit("istres", "ASMPA", 14, (14, 10)),
    ),
    # ASSUMPTION: a purely illustrative force within the size public estimates
    # give (SIPRI Yearbook 2025: about 600 warheads in all): 20 DF-5B silos; 320
    # silos in the three fields, 30 of them loaded; 100 road-mobile launchers;
    # six Type 094 submarines of 12 tubes, four loaded. Missiles are counted as
    # loaded with their warheads, although SIPRI counts most Chinese warheads as
    # stored: an upper reading, for exercises.
    "CN": (
        Unit("base_66", "DF5", 20, (20, 20)),
        Unit("yumen", "DF41", 120, (120, 10)),
        Unit("hami", "DF41", 110, (110, 10)),
        Unit("ordos", "DF41", 90, (90, 10)),
        Unit("base_64", "DF41", 40, (40, 40)),
        Unit("base_64", "DF31", 60, (60, 60)),
        Unit("yulin", "JL3", 72, (72, 48)),
    ),
}

# ---------------------------------------------------------------------------
# Force levels per date (New START parties), as (year * 100 + month, level):
# illustrative; see each comment.

_YARS: Final = (
    (201102, 18),
    (201409, 72),
    (201703, 120),
    (201809, 144),
    (202009, 162),
    (202209, 186),
)
_YARS_SILO: Final = ((201709, 0), (201809, 6), (202009, 12), (202209, 20))
_AVANGARD: Final = ((201909, 0), (202003, 2), (202103, 4), (202203, 6))

PLANS: Final[dict[str, Plan]] = {
    "US": Plan(
        # The 800 launchers of 2017 onwards (454 + 280 + 20 + 46), and the reserve.
        launchers={"MM3": ((0, 454),), "D5": ((0, 280),), "B2A": ((0, 20),), "B52H": ((0, 46),)}
        | {"PK": ((0, 0),), "B52G": ((0, 0),), "B1B": ((0, 0),)},
        deployed={
            # 449 deployed Minuteman III in 2011, 400 from 2017 (the Air Force
            # emptied 50 silos in 2016-2017); 399 on 5 February 2018 and 397 on 1
            # September 2020 (State Department).
            "MM3": ((201102, 449), (201603, 446), (201709, 400), (201802, 399), (202009, 397)),
            "B2A": ((201102, 16), (201709, 13), (202009, 12)),
            "B52H": ((201102, 70), (201509, 68), (201709, 38), (202009, 36), (202303, 38)),
        },
        # Deployed Trident II take the rest: submarines in and out of overhaul.
        deployed_rest=("D5",),
        # The launchers above the 800 of 2017 onwards, in the order they left
        # (illustrative): the B-1B as they were converted for non-nuclear
        # armaments, stored B-52G eliminated at Davis-Monthan, the empty
        # Peacekeeper silos, the 50 empty Minuteman III silos at Malmstrom; last
        # the conversions of 56 Trident II launchers and 41 B-52H (2015-2017).
        reserve=(("B1B", 66), ("B52G", 61), ("PK", 50)),
        reserve_rest="MM3",
        conversions=(("D5", 56), ("B52H", 41)),
    ),
    "RU": Plan(
        # Yars produced at 15-20 launchers a year, a few waiting for missiles;
        # silo Yars at Kozelsk from 2018; Avangard at Dombarovsky from December
        # 2019, about two a year; 13 Tu-160 until 2017, 16 from 2018.
        launchers={
            "SS27S": ((0, 60),),
            "SS27M": ((0, 18),),
            "YARSM": _YARS,
            "YARSS": _YARS_SILO,
            "AVG": _AVANGARD,
            "TU95MS": ((201102, 63), (201603, 60), (202009, 55)),
            "TU160": ((201709, 13), (201809, 16)),
            "TEST": ((0, 4),),
        },
        deployed={
            "SS27S": ((0, 60),),
            "SS27M": ((0, 18),),
            "YARSM": tuple((month, n - 6 if n > 18 else n) for month, n in _YARS),
            "YARSS": _YARS_SILO,
            "AVG": _AVANGARD,
            # Topol retired 2011-2022, the SS-19 by 2019, SS-18 down from 58 to 40.
            "SS25": (
                (201102, 126),
                (201409, 90),
                (201703, 54),
                (201809, 40),
                (202009, 18),
                (202209, 9),
            ),
            "SS19": ((201102, 50), (201409, 40), (201709, 20), (201909, 0)),
            "SS18": ((201102, 58), (201503, 46), (202009, 46), (202209, 40)),
            "TU95MS": ((201102, 55), (201603, 50), (202009, 46)),
            "TU160": ((201709, 11), (201809, 14)),
            "TEST": ((0, 0),),
        },
        # Deployed SLBMs take the rest: Delta IV first, then Delta III.
        deployed_rest=("SINEVA", "R29R"),
        # Non-deployed launchers awaiting elimination, in the order eliminated:
        # retired Topol launchers, then SS-19 silos, then SS-18 silos (the rest).
        reserve=(("SS25", 150), ("SS19", 100)),
        reserve_rest="SS18",
        surplus_to="YARSM",
    ),
}


# ---------------------------------------------------------------------------
# Force levels on one date, from the published figures and a plan.


@dataclass(frozen=True)
class Targets:
    """What one exchange's inventory must hold: launchers and deployed per system, warheads."""

    as_of: dt.date
    launchers: Mapping[str, int]
    deployed: Mapping[str, int]
    warheads: int
    """On deployed missiles: the published figure less one per deployed heavy bomber."""
    source: str
    row: int
    """Where the published figures are (file and row), for errors."""

    def unmet(self, party: str, problem: str) -> RecordError:
        """The error for figures the reconstruction tables cannot meet."""
        return RecordError(source=self.source, row=self.row, problem=f"{party}: {problem}")


def level(knots: Knots, day: dt.date) -> int:
    """A force level on ``day``: linear between the points, constant beyond them, rounded."""
    points = [(dt.date(m // 100, m % 100, 1) if m else day, n) for m, n in sorted(knots)]
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in pairwise(points):
        if day <= d1:
            span, t = (d1 - d0).days, (day - d0).days
            return v0 + (2 * (v1 - v0) * t + span) // (2 * span)
    return points[-1][1]


def is_open(unit: Unit, day: dt.date) -> bool:
    """Whether a unit holds launchers on ``day`` (a submarine, once commissioned, until retired)."""
    return (unit.opens is None or unit.opens <= day) and (unit.closes is None or day < unit.closes)


def can_deploy(unit: Unit) -> bool:
    """Whether a unit may hold deployed launchers."""
    return unit.status == "deployed" or (unit.status is None and unit.deployable)


def force_levels(record: PublicRecord, party: str) -> dict[dt.date, Targets]:
    """The targets of each date with figures for ``party`` in ``record``, under ``PLANS[party]``.

    Raises :class:`RecordError` naming the row whose figures the plan cannot meet.
    """
    plan, units, systems = PLANS[party], UNITS[party], {s.label: s for s in SYSTEMS[party]}
    mine = {label: [u for u in units if u.system == label] for label in systems}
    out: dict[dt.date, Targets] = {}
    surplus, before, total = 0, 0, 0
    rows = [(n + 2, r) for n, r in enumerate(record.rows) if r.party == party and r.counts]
    for row, figures in sorted(rows, key=lambda pair: pair[1].as_of):
        day, counts = figures.as_of, figures.counts or {}
        deployed = {s: level(k, day) for s, k in plan.deployed.items()}
        launchers = {
            s: level(plan.launchers[s], day)
            if s in plan.launchers
            else deployed[s]
            if s in deployed
            else sum(u.capacity for u in mine[s] if is_open(u, day))
            for s in systems
        }
        reserve = counts["launchers"] - sum(launchers.values()) - surplus
        if out and reserve > before and plan.surplus_to is not None:
            surplus, reserve = surplus + reserve - before, before
        rose, total, before = bool(out) and reserve > before, (total if out else reserve), reserve
        if plan.surplus_to is not None:
            launchers[plan.surplus_to] += surplus
        for s, left in _reserve_left(plan, total, reserve):
            launchers[s] += left
        for s in systems.keys() - deployed.keys() - set(plan.deployed_rest):
            able = {can_deploy(u) for u in mine[s]}
            deployed[s] = launchers[s] if able == {True} else 0 if able == {False} else -1
        rest = counts["deployed_delivery_vehicles"] - sum(deployed.values())
        for s in plan.deployed_rest:
            deployed[s] = max(0, min(rest, launchers[s]))
            rest -= deployed[s]
        bombers = sum(deployed[s] for s, x in systems.items() if x.launcher_kind == "heavy_bomber")
        target = Targets(day, launchers, deployed, counts["warheads"] - bombers, record.source, row)
        room = {s: sum(u.capacity for u in mine[s]) for s in systems}
        if rose or rest or sum(launchers.values()) != counts["launchers"]:
            raise target.unmet(party, "the reconstruction tables cannot meet these figures")
        if any(not 0 <= deployed[s] <= launchers[s] <= room[s] for s in systems):
            raise target.unmet(party, "a system's levels do not fit its launchers and bases")
        out[day] = target
    return out


def _reserve_left(plan: Plan, total: int, left: int) -> list[tuple[str, int]]:
    """What is left of each reserve block when ``total - left`` launchers have gone, in order."""
    converting = sum(n for _, n in plan.conversions)
    rest = total - sum(n for _, n in plan.reserve) - converting
    gone = total - left
    out: list[tuple[str, int]] = []
    for system, size in (*plan.reserve, (plan.reserve_rest, rest)):
        out.append((system, size - min(size, gone)))
        gone -= min(size, gone)
    # Conversions run side by side, each in proportion to its size.
    done_before, cumulative = 0, 0
    for system, size in plan.conversions:
        cumulative += size
        done = gone * cumulative // converting
        out.append((system, size - (done - done_before)))
        done_before = done
    return out
