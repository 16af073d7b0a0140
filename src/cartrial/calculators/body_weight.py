"""Ideal and adjusted body weight as calculators of their own (reference sheet §1.2).

The same formulas Cockcroft-Gault uses for its ``ideal`` and ``adjusted`` weight bases.
"""

from __future__ import annotations

from cartrial.calculators.renal import ideal_body_weight_devine
from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import (
    CM_PER_INCH,
    binary_sex,
    check_height_cm,
    check_weight_kg,
    real,
)
from cartrial.domain import DataError, Sex

REF_DEVINE = "Devine BJ. Gentamicin therapy. Drug Intell Clin Pharm 1974;8:650-5."
REF_ADJUSTED = (
    "Adjusted body weight = IBW + 0.4 x (actual - IBW) (reference sheet §1.2; e.g. Bauer LA, "
    "Applied Clinical Pharmacokinetics, and the Cockcroft-Gault weight variants). "
) + REF_DEVINE


def ideal_body_weight(*, height_cm: float, sex: Sex | str) -> CalcResult:
    """Devine IBW (kg): 50 (men) or 45.5 (women) + 2.3 kg per inch over 60 in (152.4 cm).

    Below 60 in the line is extended (negative increment), as Cockcroft-Gault does; the result
    says so in ``conventions``; a non-positive weight is an error.
    """
    name = "ideal_body_weight_devine"
    h = check_height_cm(height_cm, name)
    s = binary_sex(sex, where=name)
    ibw = ideal_body_weight_devine(height_cm=h, sex=s)
    if ibw <= 0:
        raise DataError(
            f"{h:g} cm gives a non-positive Devine ideal body weight", where=name, field="height_cm"
        )
    return CalcResult(
        calculator=name,
        value=ibw,
        unit="kg",
        components={
            "height_cm": h,
            "height_in": h / CM_PER_INCH,
            "sex": s.value,
            "base_kg": 45.5 if s is Sex.FEMALE else 50.0,
        },
        conventions={
            "below_60_in": "line extended (negative increment)" if h / CM_PER_INCH < 60 else None,
            "rounding": "none",
        },
        reference=REF_DEVINE,
    )


def adjusted_body_weight(
    *, height_cm: float, weight_kg: float, sex: Sex | str, factor: float = 0.4
) -> CalcResult:
    """AdjBW (kg) = IBW + factor x (actual - IBW), factor 0.4 by default (reference sheet §1.2).

    Computed as asked whatever the actual/ideal ratio (the usual trigger, actual > 120-130 % of
    IBW, is reported in ``components`` for the user to apply).
    """
    name = "adjusted_body_weight"
    w = check_weight_kg(weight_kg, name)
    f = real(factor, "factor", where=name, lo=0.0, hi=1.0)
    ibw = ideal_body_weight(height_cm=height_cm, sex=sex)
    assert isinstance(ibw.value, float)
    adj = ibw.value + f * (w - ibw.value)
    return CalcResult(
        calculator=name,
        value=adj,
        unit="kg",
        components={
            "ideal_body_weight_kg": ibw.value,
            "actual_weight_kg": w,
            "actual_over_ideal_percent": 100.0 * w / ibw.value,
            **ibw.components,
        },
        conventions={"factor": f, "rounding": "none"},
        reference=REF_ADJUSTED,
    )
