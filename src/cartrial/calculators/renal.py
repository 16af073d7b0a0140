"""Renal function: creatinine units, Cockcroft-Gault, CKD-EPI 2021, bedside Schwartz.

Reference sheet §1. All equations take serum creatinine in mg/dL (IDMS-traceable); convert
µmol/L first with :func:`creatinine_umol_l_to_mg_dl` (1 mg/dL = 88.4 µmol/L, §0.3).
"""

from __future__ import annotations

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import (
    CM_PER_INCH,
    binary_sex,
    check_height_cm,
    check_weight_kg,
    choice,
    real,
)
from cartrial.domain import DataError, Sex

CREATININE_UMOL_PER_MG_DL = 88.4
"""µmol/L per mg/dL of creatinine (MW 113.12 g/mol), reference sheet §0.3 / §1.1."""

SCR_MAX_MG_DL = 30.0
"""Largest serum creatinine accepted, in mg/dL. Larger values are almost always µmol/L."""

AGE_MAX_YEARS = 120.0

REF_CONVERSION = "Creatinine 1 mg/dL = 88.4 µmol/L (MW 113.12 g/mol); reference sheet §1.1."
REF_CG = (
    "Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine. "
    "Nephron 1976;16:31-41. Devine BJ. Drug Intell Clin Pharm 1974;8:650-5 (ideal body weight)."
)
REF_CKD_EPI = (
    "Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to "
    "estimate GFR without race. N Engl J Med 2021;385:1737-49."
)
REF_SCHWARTZ = (
    "Schwartz GJ, Muñoz A, Schneider MF, et al. New equations to estimate GFR in children with "
    "CKD. J Am Soc Nephrol 2009;20:629-37 (bedside CKiD equation)."
)

WEIGHT_BASES = ("actual", "ideal", "adjusted")
_SCR_HINT = "serum creatinine must be in mg/dL; a value in µmol/L must be divided by 88.4"


def _scr(value: object, where: str, field: str = "scr_mg_dl") -> float:
    return real(
        value,
        field,
        where=where,
        lo=0.0,
        lo_open=True,
        hi=SCR_MAX_MG_DL,
        unit="mg/dL",
        hint=_SCR_HINT,
    )


def _adult_age(value: object, where: str) -> float:
    return real(
        value,
        "age_years",
        where=where,
        lo=18.0,
        hi=AGE_MAX_YEARS,
        unit="years",
        hint="this adult equation is defined for ages 18 and over",
    )


def creatinine_mg_dl_to_umol_l(value: float, *, factor: float = CREATININE_UMOL_PER_MG_DL) -> float:
    """Serum creatinine mg/dL -> µmol/L (× 88.4; reference sheet §1.1).

    ``factor`` exists only for a sponsor that specifies another constant (e.g. 88.42).
    """
    x = real(value, "value", where="creatinine_mg_dl_to_umol_l", lo=0.0, unit="mg/dL")
    f = real(factor, "factor", where="creatinine_mg_dl_to_umol_l", lo=0.0, lo_open=True)
    return x * f


def creatinine_umol_l_to_mg_dl(value: float, *, factor: float = CREATININE_UMOL_PER_MG_DL) -> float:
    """Serum creatinine µmol/L -> mg/dL (÷ 88.4; reference sheet §1.1)."""
    x = real(value, "value", where="creatinine_umol_l_to_mg_dl", lo=0.0, unit="µmol/L")
    f = real(factor, "factor", where="creatinine_umol_l_to_mg_dl", lo=0.0, lo_open=True)
    return x / f


def ideal_body_weight_devine(*, height_cm: float, sex: Sex | str) -> float:
    """Devine ideal body weight (kg): 50 (men) or 45.5 (women) + 2.3 kg per inch over 60 in.

    Below 60 in (152.4 cm) the line is extended (the increment becomes negative); the
    Cockcroft-Gault result flags this in its components.
    """
    where = "ideal_body_weight_devine"
    h = check_height_cm(height_cm, where)
    s = binary_sex(sex, where=where)
    base = 45.5 if s is Sex.FEMALE else 50.0
    return base + 2.3 * (h / CM_PER_INCH - 60.0)


def crcl_cockcroft_gault(
    *,
    age_years: float,
    weight_kg: float,
    scr_mg_dl: float,
    sex: Sex | str,
    weight_basis: str = "actual",
    height_cm: float | None = None,
    adjusted_weight_factor: float = 0.4,
    scr_floor_mg_dl: float | None = None,
    crcl_cap_ml_min: float | None = None,
) -> CalcResult:
    """Creatinine clearance by Cockcroft-Gault (mL/min, not indexed to BSA).

    CrCl = (140 − age) × weight / (72 × SCr[mg/dL]), × 0.85 if female.
    Source: Cockcroft DW, Gault MH. Nephron 1976;16:31-41 (reference sheet §1.2).

    Conventions (reference sheet §7.4, all protocol parameters):

    * ``weight_basis``: ``actual`` (default, as published), ``ideal`` (Devine IBW) or
      ``adjusted`` (IBW + ``adjusted_weight_factor`` × (actual − IBW)); the latter two need
      ``height_cm``. The basis is applied as asked, whatever the ratio of actual to ideal weight.
    * ``scr_floor_mg_dl``: if set, SCr below the floor is raised to it (a protocol rule, e.g. 0.8).
    * ``crcl_cap_ml_min``: if set, the result is capped (a protocol rule, e.g. 125 mL/min).
    * No rounding; 1 mg/dL = 88.4 µmol/L if the caller converted.
    """
    name = "crcl_cockcroft_gault"
    age = _adult_age(age_years, name)
    weight = check_weight_kg(weight_kg, name)
    scr = _scr(scr_mg_dl, name)
    s = binary_sex(sex, where=name)
    basis = choice(weight_basis, "weight_basis", where=name, options=WEIGHT_BASES)
    factor = real(adjusted_weight_factor, "adjusted_weight_factor", where=name, lo=0.0, hi=1.0)
    floor = None if scr_floor_mg_dl is None else _scr(scr_floor_mg_dl, name, "scr_floor_mg_dl")
    cap = (
        None
        if crcl_cap_ml_min is None
        else real(crcl_cap_ml_min, "crcl_cap_ml_min", where=name, lo=0.0, lo_open=True)
    )

    components: dict[str, object] = {
        "age_years": age,
        "actual_weight_kg": weight,
        "scr_mg_dl": scr,
        "sex": s.value,
    }
    if basis == "actual":
        weight_used = weight
    else:
        if height_cm is None:
            raise DataError(
                f"is required for weight_basis={basis!r} (Devine ideal body weight)",
                where=name,
                field="height_cm",
            )
        h = check_height_cm(height_cm, name)
        ibw = ideal_body_weight_devine(height_cm=h, sex=s)
        if ibw <= 0:
            raise DataError(
                f"{h:g} cm gives a non-positive Devine ideal body weight",
                where=name,
                field="height_cm",
            )
        components["height_cm"] = h
        components["ideal_body_weight_kg"] = ibw
        components["devine_extrapolated_below_60_in"] = h / CM_PER_INCH < 60.0
        if basis == "ideal":
            weight_used = ibw
        else:
            weight_used = ibw + factor * (weight - ibw)
            components["adjusted_body_weight_kg"] = weight_used
    scr_used = scr if floor is None else max(scr, floor)
    sex_factor = 0.85 if s is Sex.FEMALE else 1.0
    crcl = (140.0 - age) * weight_used / (72.0 * scr_used) * sex_factor
    components.update(
        {
            "weight_used_kg": weight_used,
            "scr_used_mg_dl": scr_used,
            "sex_factor": sex_factor,
            "crcl_before_cap_ml_min": crcl,
        }
    )
    capped = cap is not None and crcl > cap
    if cap is not None and crcl > cap:
        crcl = cap
    components["capped"] = capped
    return CalcResult(
        calculator=name,
        value=crcl,
        unit="mL/min",
        category=None,
        components=components,
        conventions={
            "weight_basis": basis,
            "ideal_body_weight": "Devine" if basis != "actual" else None,
            "adjusted_weight_factor": factor if basis == "adjusted" else None,
            "scr_floor_mg_dl": floor,
            "crcl_cap_ml_min": cap,
            "indexed_to_bsa": False,
            "rounding": "none",
        },
        reference=REF_CG,
    )


def egfr_ckd_epi_2021(*, scr_mg_dl: float, age_years: float, sex: Sex | str) -> CalcResult:
    """eGFR by the race-free CKD-EPI 2021 creatinine equation (mL/min/1.73 m²), adults only.

    eGFR = 142 × min(SCr/κ, 1)^α × max(SCr/κ, 1)^−1.200 × 0.9938^age × 1.012 [female],
    κ = 0.7 (F) / 0.9 (M), α = −0.241 (F) / −0.302 (M).
    Source: Inker LA et al. N Engl J Med 2021;385:1737-49 (reference sheet §1.3).
    """
    name = "egfr_ckd_epi_2021"
    scr = _scr(scr_mg_dl, name)
    age = _adult_age(age_years, name)
    s = binary_sex(sex, where=name)
    female = s is Sex.FEMALE
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = scr / kappa
    min_term = min(ratio, 1.0) ** alpha
    max_term = max(ratio, 1.0) ** -1.200
    age_term = 0.9938**age
    sex_factor = 1.012 if female else 1.0
    egfr = 142.0 * min_term * max_term * age_term * sex_factor
    return CalcResult(
        calculator=name,
        value=egfr,
        unit="mL/min/1.73 m2",
        category=None,
        components={
            "scr_mg_dl": scr,
            "age_years": age,
            "sex": s.value,
            "kappa": kappa,
            "alpha": alpha,
            "scr_over_kappa": ratio,
            "min_term": min_term,
            "max_term": max_term,
            "age_term": age_term,
            "sex_factor": sex_factor,
        },
        conventions={"race_coefficient": None, "rounding": "none", "creatinine": "IDMS mg/dL"},
        reference=REF_CKD_EPI,
    )


def egfr_bedside_schwartz(
    *, height_cm: float, scr_mg_dl: float, age_years: float | None = None
) -> CalcResult:
    """Pediatric eGFR by the bedside (CKiD 2009) Schwartz equation: 0.413 × height / SCr.

    Valid for ages 1-18 with IDMS/enzymatic creatinine; a given age outside 1-18 is refused.
    Source: Schwartz GJ et al. J Am Soc Nephrol 2009;20:629-37 (reference sheet §1.4).
    """
    name = "egfr_bedside_schwartz"
    h = check_height_cm(height_cm, name)
    scr = _scr(scr_mg_dl, name)
    age: float | None = None
    if age_years is not None:
        age = real(
            age_years,
            "age_years",
            where=name,
            lo=1.0,
            hi=18.0,
            unit="years",
            hint="the bedside Schwartz equation is validated for ages 1-18",
        )
    egfr = 0.413 * h / scr
    return CalcResult(
        calculator=name,
        value=egfr,
        unit="mL/min/1.73 m2",
        category=None,
        components={"height_cm": h, "scr_mg_dl": scr, "age_years": age, "k": 0.413},
        conventions={
            "age_range_checked": age is not None,
            "creatinine": "IDMS/enzymatic mg/dL",
            "rounding": "none",
        },
        reference=REF_SCHWARTZ,
    )
