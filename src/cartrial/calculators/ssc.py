"""Systemic sclerosis: modified Rodnan skin score and ACR-CRISS. Reference sheet §5.2."""

from __future__ import annotations

import math
from collections.abc import Mapping

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import flag, integer, keys_subset, mapping, real
from cartrial.domain import DataError

REF_MRSS = (
    "Clements P, Lachenbruch P, Siebold J, et al. Inter and intraobserver variability of total "
    "skin thickness score (modified Rodnan TSS) in systemic sclerosis. J Rheumatol "
    "1995;22:1281-5; Khanna D et al. J Scleroderma Relat Disord 2017;2:11-8 (standardisation)."
)
REF_CRISS = (
    "Khanna D, Berrocal VJ, Giannini EH, et al. The American College of Rheumatology provisional "
    "composite response index for clinical trials in early diffuse cutaneous systemic "
    "sclerosis. Arthritis Rheumatol 2016;68:299-311."
)

MRSS_AREAS = (
    "face",
    "anterior_chest",
    "abdomen",
    "fingers_right",
    "fingers_left",
    "hand_right",
    "hand_left",
    "forearm_right",
    "forearm_left",
    "upper_arm_right",
    "upper_arm_left",
    "thigh_right",
    "thigh_left",
    "lower_leg_right",
    "lower_leg_left",
    "foot_right",
    "foot_left",
)
"""The 17 mRSS areas (hands = dorsum), each scored 0-3; total 0-51."""


def mrss(*, scores: Mapping[str, int]) -> CalcResult:
    """Modified Rodnan skin score: sum of 17 areas scored 0 (normal) to 3 (severe), 0-51.

    All 17 areas are required (a missing area is an error, never assumed 0).
    Source: Clements P et al. J Rheumatol 1995; Khanna D et al. JSRD 2017 (reference §5.2).
    """
    name = "mrss"
    given = mapping(scores, "scores", where=name)
    keys_subset(list(given), MRSS_AREAS, "scores", where=name)
    missing = [a for a in MRSS_AREAS if a not in given]
    if missing:
        raise DataError(f"missing areas: {', '.join(missing)}", where=name, field="scores")
    items = {a: integer(given[a], f"scores.{a}", where=name, lo=0, hi=3) for a in MRSS_AREAS}
    return CalcResult(
        calculator=name,
        value=sum(items.values()),
        components=items,
        conventions={"areas": 17, "maximum": 51},
        reference=REF_MRSS,
    )


CRISS_COEFFICIENTS = {
    "intercept": -5.54,
    "delta_mrss": -0.81,
    "delta_fvc_percent_predicted": 0.21,
    "delta_patient_global": -0.40,
    "delta_physician_global": -0.44,
    "delta_haq_di": -3.41,
}


def acr_criss(
    *,
    delta_mrss: float,
    delta_fvc_percent_predicted: float,
    delta_patient_global: float,
    delta_physician_global: float,
    delta_haq_di: float,
    step1_worsening: bool = False,
) -> CalcResult:
    """ACR Composite Response Index in diffuse cutaneous SSc (ACR-CRISS).

    Step 1: any new or worsening SSc event (renal crisis; FVC decline ≥ 15 % relative with ILD
    and FVC < 80 %; new LV failure EF ≤ 45 %; new PAH requiring treatment) → probability 0
    (``step1_worsening``). Step 2: z = −5.54 − 0.81·ΔmRSS + 0.21·ΔFVC%pred − 0.40·ΔPtGlobal
    − 0.44·ΔMDGlobal − 3.41·ΔHAQ-DI, p = eᶻ/(1 + eᶻ); improved if p ≥ 0.60. Δ = follow-up −
    baseline; globals on 0-10. Source: Khanna D et al. Arthritis Rheumatol 2016;68:299-311.
    """
    name = "acr_criss"
    deltas = {
        "delta_mrss": real(delta_mrss, "delta_mrss", where=name, lo=-51, hi=51),
        "delta_fvc_percent_predicted": real(
            delta_fvc_percent_predicted,
            "delta_fvc_percent_predicted",
            where=name,
            lo=-150,
            hi=150,
        ),
        "delta_patient_global": real(
            delta_patient_global,
            "delta_patient_global",
            where=name,
            lo=-10,
            hi=10,
            hint="globals are on a 0-10 scale",
        ),
        "delta_physician_global": real(
            delta_physician_global,
            "delta_physician_global",
            where=name,
            lo=-10,
            hi=10,
            hint="globals are on a 0-10 scale",
        ),
        "delta_haq_di": real(delta_haq_di, "delta_haq_di", where=name, lo=-3, hi=3),
    }
    worse = flag(step1_worsening, "step1_worsening", where=name)
    z = CRISS_COEFFICIENTS["intercept"] + sum(CRISS_COEFFICIENTS[k] * v for k, v in deltas.items())
    p = 0.0 if worse else 1.0 / (1.0 + math.exp(-z))
    improved = p >= 0.60
    return CalcResult(
        calculator=name,
        value=p,
        category="improved" if improved else "not improved",
        components={**deltas, "step1_worsening": worse, "z": None if worse else z},
        conventions={
            "threshold": "p >= 0.60",
            "delta": "follow-up - baseline",
            "coefficients": CRISS_COEFFICIENTS,
        },
        reference=REF_CRISS,
    )
