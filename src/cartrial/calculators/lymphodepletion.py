"""Lymphodepletion dose arithmetic and fludarabine renal adjustment. Reference sheet §2.2.

Daily dose (mg) = mg/m² × BSA; course total = daily × days. Nothing is rounded unless the caller
passes a rounding increment (a protocol rule, e.g. fludarabine to 1 mg, cyclophosphamide to 10 mg).
"""

from __future__ import annotations

from dataclasses import dataclass

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import choice, integer, real, round_to_increment

REF_FLUDARA_US = (
    "FLUDARA (fludarabine phosphate) injection, US prescribing information, section 2 "
    "(renal impairment: CrCl 50-79 mL/min 20 mg/m², 30-49 mL/min 15 mg/m², <30 do not "
    "administer); CrCl by Cockcroft-Gault. Reference sheet §2.2."
)
REF_LEGACY_IV = (
    "Fludarabine phosphate injection, older US generic IV labels (CrCl 30-70 mL/min/1.73 m²: "
    "reduce dose by 20%; <30: do not administer). Reference sheet §2.2."
)
REF_LD = (
    "Dose arithmetic per reference sheet §2.2 (daily mg = mg/m² × BSA; total = daily × days); "
    "regimen from the protocol."
)


@dataclass(frozen=True)
class _Tier:
    label: str
    fraction: float | None  # None = do not administer
    category: str


def _tier_fludara_us(crcl: float) -> _Tier:
    # Tier edges for non-integer CrCl: >= 80, [50, 80), [30, 50), < 30 (reference sheet §2.2).
    if crcl >= 80.0:
        return _Tier(">=80 mL/min", 1.0, "full_dose")
    if crcl >= 50.0:
        return _Tier("50-79 mL/min", 0.8, "reduced")
    if crcl >= 30.0:
        return _Tier("30-49 mL/min", 0.6, "reduced")
    return _Tier("<30 mL/min", None, "do_not_administer")


def _tier_legacy_iv(crcl: float) -> _Tier:
    # "30-70": 30 <= CrCl <= 70 is reduced; > 70 is full dose; < 30 do not administer.
    if crcl > 70.0:
        return _Tier(">70 mL/min", 1.0, "full_dose")
    if crcl >= 30.0:
        return _Tier("30-70 mL/min", 0.8, "reduced")
    return _Tier("<30 mL/min", None, "do_not_administer")


SCHEMES = {
    "fludara_us_label": (_tier_fludara_us, REF_FLUDARA_US),
    "legacy_generic_iv": (_tier_legacy_iv, REF_LEGACY_IV),
}


def fludarabine_renal_adjustment(
    *, crcl_ml_min: float, planned_mg_per_m2: float, scheme: str = "fludara_us_label"
) -> CalcResult:
    """Fludarabine dose (mg/m²/day) adjusted for creatinine clearance (Cockcroft-Gault).

    Schemes (reference sheet §2.2 and §7.4; the protocol chooses):

    * ``fludara_us_label`` (current FLUDARA US label): ≥ 80 full; 50-79 → 80 %; 30-49 → 60 %;
      < 30 do not administer. Non-integer CrCl: edges ≥ 80, [50, 80), [30, 50), < 30.
    * ``legacy_generic_iv`` (older generic IV labels): > 70 full; 30-70 → 80 %; < 30 do not
      administer.

    The label gives 25 → 20 → 15 mg/m²; for other planned doses the same fractions are applied
    (proportional scaling, a sponsor convention recorded in ``conventions``).
    ``value`` is the adjusted mg/m²/day, or None with category ``do_not_administer``.
    """
    name = "fludarabine_renal_adjustment"
    crcl = real(crcl_ml_min, "crcl_ml_min", where=name, lo=0.0, unit="mL/min")
    planned = real(
        planned_mg_per_m2, "planned_mg_per_m2", where=name, lo=0.0, hi=100.0, unit="mg/m2/day"
    )
    key = choice(scheme, "scheme", where=name, options=SCHEMES)
    tier_fn, ref = SCHEMES[key]
    tier = tier_fn(crcl)
    adjusted = None if tier.fraction is None else planned * tier.fraction
    return CalcResult(
        calculator=name,
        value=adjusted,
        unit="mg/m2/day",
        category=tier.category,
        components={
            "crcl_ml_min": crcl,
            "planned_mg_per_m2": planned,
            "tier": tier.label,
            "fraction": tier.fraction,
        },
        conventions={
            "scheme": key,
            "scaling": "proportional to the planned dose (label fractions 0.8 / 0.6 of 25 mg/m²)",
            "crcl_method": "Cockcroft-Gault",
        },
        reference=ref,
    )


def _increment(value: float | None, field: str, where: str) -> float | None:
    """A rounding step in mg: 0.01 to 500 mg (sites round to 1, 5 or 10 mg); anything else
    would round a dose to nothing or fail in the arithmetic."""
    if value is None:
        return None
    return real(
        value,
        field,
        where=where,
        lo=0.01,
        hi=500.0,
        unit="mg",
        hint="a rounding increment such as 1, 5 or 10 mg",
    )


def lymphodepletion_daily_doses(
    *,
    bsa_m2: float,
    fludarabine_mg_per_m2: float,
    cyclophosphamide_mg_per_m2: float,
    crcl_ml_min: float | None,
    scheme: str = "fludara_us_label",
    days: int = 3,
    cyclophosphamide_days: int | None = None,
    fludarabine_rounding_mg: float | None = None,
    cyclophosphamide_rounding_mg: float | None = None,
) -> CalcResult:
    """Daily and course doses (mg) of fludarabine and cyclophosphamide for one patient.

    daily mg = mg/m²/day × BSA; total = daily × days (reference sheet §2.2). Fludarabine is first
    adjusted for CrCl by :func:`fludarabine_renal_adjustment` with ``scheme``; if
    ``crcl_ml_min`` is None no renal adjustment is made (recorded in ``conventions``).
    ``days`` is the number of fludarabine days and, unless ``cyclophosphamide_days`` is given,
    of cyclophosphamide days too (e.g. Erlangen: Flu 25 × 3 days, Cy 1000 × 1 day).

    No rounding by default. ``*_rounding_mg`` round each daily dose to the nearest multiple
    (halves up), and totals are computed from the rounded daily doses.

    ``value`` is the fludarabine daily dose in mg (None when it must not be given); the
    category is the fludarabine renal category; all doses are in ``components``.
    """
    name = "lymphodepletion_daily_doses"
    bsa = real(bsa_m2, "bsa_m2", where=name, lo=0.1, hi=4.0, unit="m2", hint="BSA must be in m²")
    flu = real(
        fludarabine_mg_per_m2,
        "fludarabine_mg_per_m2",
        where=name,
        lo=0.0,
        hi=100.0,
        unit="mg/m2/day",
    )
    cy = real(
        cyclophosphamide_mg_per_m2,
        "cyclophosphamide_mg_per_m2",
        where=name,
        lo=0.0,
        hi=3000.0,
        unit="mg/m2/day",
    )
    flu_days = integer(days, "days", where=name, lo=0, hi=14)
    cy_days = (
        flu_days
        if cyclophosphamide_days is None
        else integer(cyclophosphamide_days, "cyclophosphamide_days", where=name, lo=0, hi=14)
    )
    flu_step = _increment(fludarabine_rounding_mg, "fludarabine_rounding_mg", name)
    cy_step = _increment(cyclophosphamide_rounding_mg, "cyclophosphamide_rounding_mg", name)

    if crcl_ml_min is None:
        choice(scheme, "scheme", where=name, options=SCHEMES)
        flu_adjusted: float | None = flu
        renal_category = "not_assessed"
        renal_components: dict[str, object] = {"tier": None, "fraction": None}
    else:
        adj = fludarabine_renal_adjustment(
            crcl_ml_min=crcl_ml_min, planned_mg_per_m2=flu, scheme=scheme
        )
        flu_adjusted = None if adj.value is None else float(adj.value)
        renal_category = adj.category or ""
        renal_components = {
            "crcl_ml_min": adj.components["crcl_ml_min"],
            "tier": adj.components["tier"],
            "fraction": adj.components["fraction"],
        }

    def daily(mg_per_m2: float, step: float | None) -> float:
        mg = mg_per_m2 * bsa
        return mg if step is None else round_to_increment(mg, step)

    flu_daily = None if flu_adjusted is None else daily(flu_adjusted, flu_step)
    cy_daily = daily(cy, cy_step)
    components: dict[str, object] = {
        "bsa_m2": bsa,
        "fludarabine_planned_mg_per_m2": flu,
        "fludarabine_adjusted_mg_per_m2": flu_adjusted,
        "fludarabine_renal_category": renal_category,
        **{f"fludarabine_renal_{k}": v for k, v in renal_components.items()},
        "fludarabine_unrounded_daily_mg": None if flu_adjusted is None else flu_adjusted * bsa,
        "fludarabine_daily_mg": flu_daily,
        "fludarabine_days": flu_days,
        "fludarabine_total_mg": None if flu_daily is None else flu_daily * flu_days,
        "cyclophosphamide_mg_per_m2": cy,
        "cyclophosphamide_unrounded_daily_mg": cy * bsa,
        "cyclophosphamide_daily_mg": cy_daily,
        "cyclophosphamide_days": cy_days,
        "cyclophosphamide_total_mg": cy_daily * cy_days,
    }
    return CalcResult(
        calculator=name,
        value=flu_daily,
        unit="mg/day",
        category=renal_category,
        components=components,
        conventions={
            "fludarabine_renal_scheme": scheme,
            "renal_adjustment": "applied" if crcl_ml_min is not None else "not applied (no CrCl)",
            "fludarabine_rounding_mg": flu_step,
            "cyclophosphamide_rounding_mg": cy_step,
            "rounding_mode": "nearest multiple, halves up" if flu_step or cy_step else "none",
            "bsa_rounding": "none",
        },
        reference=REF_LD + " " + SCHEMES[scheme][1],
    )


BSA_FORMULAS = ("mosteller", "dubois")


def lymphodepletion_doses_from_body(
    *,
    height_cm: float,
    weight_kg: float,
    fludarabine_mg_per_m2: float,
    cyclophosphamide_mg_per_m2: float,
    crcl_ml_min: float | None,
    bsa_formula: str = "mosteller",
    scheme: str = "fludara_us_label",
    days: int = 3,
    cyclophosphamide_days: int | None = None,
    fludarabine_rounding_mg: float | None = None,
    cyclophosphamide_rounding_mg: float | None = None,
) -> CalcResult:
    """Lymphodepletion doses from height and weight in one call: BSA by ``bsa_formula``
    (Mosteller, default, or DuBois; unrounded, reference sheet §2.1), then
    :func:`lymphodepletion_daily_doses` (§2.2). The BSA and its formula are in the result."""
    from cartrial.calculators.bsa import bsa_dubois, bsa_mosteller

    name = "lymphodepletion_doses_from_body"
    formula = choice(bsa_formula, "bsa_formula", where=name, options=BSA_FORMULAS)
    bsa = (bsa_mosteller if formula == "mosteller" else bsa_dubois)(
        height_cm=height_cm, weight_kg=weight_kg
    )
    assert isinstance(bsa.value, float)
    doses = lymphodepletion_daily_doses(
        bsa_m2=bsa.value,
        fludarabine_mg_per_m2=fludarabine_mg_per_m2,
        cyclophosphamide_mg_per_m2=cyclophosphamide_mg_per_m2,
        crcl_ml_min=crcl_ml_min,
        scheme=scheme,
        days=days,
        cyclophosphamide_days=cyclophosphamide_days,
        fludarabine_rounding_mg=fludarabine_rounding_mg,
        cyclophosphamide_rounding_mg=cyclophosphamide_rounding_mg,
    )
    return doses.model_copy(
        update={
            "calculator": name,
            "components": {
                "height_cm": bsa.components["height_cm"],
                "weight_kg": bsa.components["weight_kg"],
                **doses.components,
            },
            "conventions": {**doses.conventions, "bsa_formula": formula},
            "reference": f"{bsa.reference} {doses.reference}",
        }
    )
