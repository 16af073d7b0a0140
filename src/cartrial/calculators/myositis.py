"""Idiopathic inflammatory myopathy: MMT-8 and the 2016 ACR/EULAR total improvement score.

Reference sheet §5.3. Decision for §7.1 (TIS percent change): absolute percent change of the
scale range for the globals (÷ 10), HAQ (÷ 3) and MMT-8 (÷ 150, or 80 for the unilateral
version); for the muscle enzyme, relative change from baseline (B − F)/B by default
(``enzyme_change="relative"``), with the ULN-aware (B − F)/(B − ULN) as an option
(``enzyme_change="uln_aware"``) until the Aggarwal 2017 footnote or the IMACS calculator has
been checked. Percent changes are computed in exact decimal arithmetic before banding.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import choice, dec, integer, keys_subset, mapping, real
from cartrial.domain import DataError

REF_MMT8 = (
    "Rider LG, Koziol D, Giannini EH, et al. Validation of manual muscle testing and a subset "
    "of eight muscles for adult and juvenile idiopathic inflammatory myopathies. Arthritis Care "
    "Res 2010;62:465-72."
)
REF_TIS = (
    "Aggarwal R, Rider LG, Ruperto N, et al. 2016 ACR/EULAR criteria for minimal, moderate, and "
    "major clinical response in adult dermatomyositis and polymyositis. Ann Rheum Dis "
    "2017;76:792-801; Rider LG et al. Arthritis Rheumatol 2017;69:898-910 (juvenile DM)."
)

MMT8_GROUPS = (
    "deltoid",
    "biceps_brachii",
    "gluteus_maximus",
    "gluteus_medius",
    "quadriceps",
    "wrist_extensors",
    "ankle_dorsiflexors",
)
"""The seven paired MMT-8 groups; neck flexors (axial) is the eighth, scored once."""

MMT8_KEYS = {
    "unilateral": ("neck_flexors", *MMT8_GROUPS),
    "bilateral": (
        "neck_flexors",
        *(f"{g}_{side}" for g in MMT8_GROUPS for side in ("right", "left")),
    ),
}
MMT8_MAX = {"unilateral": 80, "bilateral": 150}


def mmt8(*, scores: Mapping[str, int], version: str = "bilateral") -> CalcResult:
    """Manual Muscle Testing of 8 groups, Kendall 0-10 each.

    ``bilateral``: neck flexors once + 7 groups on both sides (keys ``<group>_right/_left``),
    0-150. ``unilateral`` (usually the right side): 8 keys, 0-80. All groups are required.
    Source: Rider LG et al. Arthritis Care Res 2010;62:465 (reference sheet §5.3).
    """
    name = "mmt8"
    v = choice(version, "version", where=name, options=MMT8_KEYS)
    given = mapping(scores, "scores", where=name)
    keys = MMT8_KEYS[v]
    keys_subset(list(given), keys, "scores", where=name)
    missing = [k for k in keys if k not in given]
    if missing:
        raise DataError(f"missing muscle groups: {', '.join(missing)}", where=name, field="scores")
    items = {k: integer(given[k], f"scores.{k}", where=name, lo=0, hi=10) for k in keys}
    return CalcResult(
        calculator=name,
        value=sum(items.values()),
        components=items,
        conventions={"version": v, "maximum": MMT8_MAX[v], "scale": "Kendall 0-10"},
        reference=REF_MMT8,
    )


# Improvement bands (upper bounds inclusive, "> 5 - 15 %"), points per measure (Table 3).
_BANDS_STANDARD = (Decimal(5), Decimal(15), Decimal(25), Decimal(40))
_BANDS_MMT = (Decimal(2), Decimal(10), Decimal(20), Decimal(30))
TIS_POINTS: dict[str, tuple[float, float, float, float, float]] = {
    "physician_global": (0, 7.5, 15, 17.5, 20),
    "patient_global": (0, 2.5, 5, 7.5, 10),
    "mmt8": (0, 10, 20, 27.5, 32.5),
    "haq": (0, 5, 7.5, 7.5, 10),
    "enzyme": (0, 2.5, 5, 7.5, 7.5),
    "extramuscular": (0, 7.5, 12.5, 15, 20),
}
TIS_THRESHOLDS = {
    "adult": ((60.0, "major"), (40.0, "moderate"), (20.0, "minimal")),
    "juvenile": ((70.0, "major"), (45.0, "moderate"), (30.0, "minimal")),
}
ENZYME_CHANGES = ("relative", "uln_aware")


def _points(measure: str, improvement_pct: Decimal) -> float:
    bands = _BANDS_MMT if measure == "mmt8" else _BANDS_STANDARD
    level = sum(1 for edge in bands if improvement_pct > edge)
    return TIS_POINTS[measure][level]


def myositis_tis_2016(
    *,
    physician_global_baseline: float,
    physician_global_followup: float,
    patient_global_baseline: float,
    patient_global_followup: float,
    mmt8_baseline: float,
    mmt8_followup: float,
    haq_baseline: float,
    haq_followup: float,
    enzyme_baseline_u_l: float,
    enzyme_followup_u_l: float,
    extramuscular_baseline: float,
    extramuscular_followup: float,
    enzyme_uln_u_l: float | None = None,
    mmt8_max: int = 150,
    population: str = "adult",
    enzyme_change: str = "relative",
) -> CalcResult:
    """2016 ACR/EULAR myositis response: Total Improvement Score (0-100) and response level.

    Improvement per core-set measure in the improving direction: globals and extramuscular
    (0-10 VAS) (B − F)/10; HAQ/CHAQ (0-3) (B − F)/3; MMT-8 (F − B)/``mmt8_max``; the most
    abnormal muscle enzyme per ``enzyme_change`` (see module docstring). Bands "worsening to
    ≤ 5 %, > 5-15, > 15-25, > 25-40, > 40 %" (MMT: ≤ 2, > 2-10, > 10-20, > 20-30, > 30 %) give
    the Table 3 points. Adult DM/PM: minimal ≥ 20, moderate ≥ 40, major ≥ 60; juvenile DM
    (``population="juvenile"``): ≥ 30, ≥ 45, ≥ 70.
    Source: Aggarwal R et al. Ann Rheum Dis 2017;76:792-801; Rider LG et al. A&R 2017;69:898.
    """
    name = "myositis_tis_2016"
    pop = choice(population, "population", where=name, options=TIS_THRESHOLDS)
    mode = choice(enzyme_change, "enzyme_change", where=name, options=ENZYME_CHANGES)
    mmax = integer(mmt8_max, "mmt8_max", where=name, allowed=(80, 150))

    def vas(v: object, field: str) -> float:
        return real(v, field, where=name, lo=0.0, hi=10.0, hint="VAS is on a 0-10 scale")

    phb, phf = (
        vas(physician_global_baseline, "physician_global_baseline"),
        vas(physician_global_followup, "physician_global_followup"),
    )
    ptb, ptf = (
        vas(patient_global_baseline, "patient_global_baseline"),
        vas(patient_global_followup, "patient_global_followup"),
    )
    exb, exf = (
        vas(extramuscular_baseline, "extramuscular_baseline"),
        vas(extramuscular_followup, "extramuscular_followup"),
    )
    mb = real(mmt8_baseline, "mmt8_baseline", where=name, lo=0.0, hi=float(mmax))
    mf = real(mmt8_followup, "mmt8_followup", where=name, lo=0.0, hi=float(mmax))
    hb = real(haq_baseline, "haq_baseline", where=name, lo=0.0, hi=3.0)
    hf = real(haq_followup, "haq_followup", where=name, lo=0.0, hi=3.0)
    eb = real(
        enzyme_baseline_u_l,
        "enzyme_baseline_u_l",
        where=name,
        lo=0.0,
        lo_open=True,
        hi=1e6,
        unit="U/L",
    )
    ef = real(enzyme_followup_u_l, "enzyme_followup_u_l", where=name, lo=0.0, hi=1e6, unit="U/L")
    uln = (
        None
        if enzyme_uln_u_l is None
        else real(
            enzyme_uln_u_l, "enzyme_uln_u_l", where=name, lo=0.0, lo_open=True, hi=1e5, unit="U/L"
        )
    )
    hundred = Decimal(100)
    if mode == "relative":
        enzyme_pct = (dec(eb) - dec(ef)) / dec(eb) * hundred
    else:
        if uln is None:
            raise DataError(
                "is required when enzyme_change='uln_aware'", where=name, field="enzyme_uln_u_l"
            )
        if eb <= uln:
            raise DataError(
                f"baseline {eb:g} U/L is not above the ULN {uln:g}; the ULN-aware change is "
                "undefined",
                where=name,
                field="enzyme_baseline_u_l",
            )
        enzyme_pct = (dec(eb) - dec(ef)) / (dec(eb) - dec(uln)) * hundred
    pct: dict[str, Decimal] = {
        "physician_global": (dec(phb) - dec(phf)) / Decimal(10) * hundred,
        "patient_global": (dec(ptb) - dec(ptf)) / Decimal(10) * hundred,
        "mmt8": (dec(mf) - dec(mb)) / Decimal(mmax) * hundred,
        "haq": (dec(hb) - dec(hf)) / Decimal(3) * hundred,
        "enzyme": enzyme_pct,
        "extramuscular": (dec(exb) - dec(exf)) / Decimal(10) * hundred,
    }
    points = {k: _points(k, v) for k, v in pct.items()}
    tis = sum(points.values())
    level = next((label for cut, label in TIS_THRESHOLDS[pop] if tis >= cut), "no improvement")
    return CalcResult(
        calculator=name,
        value=tis,
        category=level,
        components={
            "improvement_percent": {k: float(v) for k, v in pct.items()},
            "points": points,
        },
        conventions={
            "population": pop,
            "thresholds": {label: cut for cut, label in TIS_THRESHOLDS[pop]},
            "percent_change": f"absolute change / scale range (globals 10, HAQ 3, MMT-8 {mmax})",
            "enzyme_change": mode,
            "mmt8_max": mmax,
        },
        reference=REF_TIS,
    )
