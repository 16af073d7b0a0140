"""CTCAE v5.0 grading of the laboratory and clinical terms used in CAR-cell trials.

Reference sheet §4 (laboratory thresholds as transcribed in pharmaverse/admiral
``ncictcaev5.json``). Range notation per §0.1: "A - B" includes B, so ANC 1.0 ×10⁹/L is grade 2
and 0.5 is grade 3; for "increased" terms "> 3.0 - 5.0 × ULN" excludes 3.0. Ratio comparisons are
made in exact decimal arithmetic on the numbers as given, so 3.0 × ULN is exactly 3.0 × ULN.

Decisions (reference sheet §7):

* §7.7: CTCAE **v5.0** only (``conventions["ctcae_version"]``); v6.0 would be a separate,
  versioned grader.
* §7.3: creatinine baseline rule is a parameter; default ``literal`` (admiral: the baseline
  criteria apply even when the value is ≤ ULN, example CTC-CR-5); ``above_uln_only`` applies
  them only when the value is > ULN.
* §7.5: CTCAE's own CRS term is graded with the wording of reference sheet §4.3; ASTCT grading
  is :func:`cartrial.calculators.crs.crs_grade_astct`. Hypogammaglobulinemia is not a CTCAE v5.0
  term: see :mod:`cartrial.calculators.immunoglobulin`.
* A missing LLN means grade 1 cannot be told from grade 0: value None, category ``grade 0 or 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import choice, dec, flag, real
from cartrial.domain import DataError

CTCAE_VERSION = "5.0"
REF_CTCAE = (
    "National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) "
    "version 5.0, 27 November 2017. U.S. Department of Health and Human Services."
)
CREATININE_BASELINE_RULES = ("literal", "above_uln_only")


def _conventions(**extra: object) -> dict[str, object]:
    return {"ctcae_version": CTCAE_VERSION, "range_notation": "A - B includes B", **extra}


def _result(
    name: str,
    term: str,
    grade: int | None,
    components: Mapping[str, object],
    category: str | None = None,
    **conventions: object,
) -> CalcResult:
    return CalcResult(
        calculator=name,
        value=grade,
        category=category or (f"grade {grade}" if grade is not None else None),
        components={"term": term, **components},
        conventions=_conventions(**conventions),
        reference=REF_CTCAE + f" Term: {term}.",
    )


# --- haematology (lower is worse) --------------------------------------------------------------


def _decreased(
    name: str,
    term: str,
    value: float,
    field: str,
    lln: float | None,
    limits: tuple[float, float, float],
    unit: str,
    hi: float,
) -> CalcResult:
    """Grade a "decreased" term: limits are the G2, G3, G4 upper bounds (strict <)."""
    v = real(value, field, where=name, lo=0.0, hi=hi, unit=unit)
    lo_limit = (
        None
        if lln is None
        else real(lln, "lln_" + field.split("_", 1)[1], where=name, lo=0.0, lo_open=True, hi=hi)
    )
    g2, g3, g4 = limits
    grade: int | None
    if v < g4:
        grade = 4
    elif v < g3:
        grade = 3
    elif v < g2:
        grade = 2
    elif lo_limit is None:
        grade = None
    else:
        grade = 1 if v < lo_limit else 0
    return _result(
        name,
        term,
        grade,
        {
            field: v,
            "lln": lo_limit,
            "thresholds": {"G2": f"<{g2:g}", "G3": f"<{g3:g}", "G4": f"<{g4:g}"},
        },
        category=None if grade is not None else "grade 0 or 1 (LLN not supplied)",
        unit=unit,
    )


def ctcae_neutrophil_count_decreased(
    *, anc_10e9_l: float, lln_10e9_l: float | None = None
) -> CalcResult:
    """CTCAE v5.0 Neutrophil count decreased: <LLN-1.5 G1; <1.5-1.0 G2; <1.0-0.5 G3; <0.5 G4.

    ANC in 10⁹/L; a value of 100 or more is a count per µL (no ANC reaches 100 × 10⁹/L) and is
    refused with the conversion."""
    name = "ctcae_neutrophil_count_decreased"
    for field, v in (("anc_10e9_l", anc_10e9_l), ("lln_10e9_l", lln_10e9_l)):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 100:
            raise DataError(
                f"{v:g} ×10⁹/L looks like a count in cells/µL; this grade takes ×10⁹/L: "
                f"{v:g} cells/µL = {v / 1000:g} ×10⁹/L",
                where=name,
                field=field,
            )
    return _decreased(
        "ctcae_neutrophil_count_decreased",
        "Neutrophil count decreased",
        anc_10e9_l,
        "anc_10e9_l",
        lln_10e9_l,
        (1.5, 1.0, 0.5),
        "10*9/L",
        500.0,
    )


def ctcae_platelet_count_decreased(
    *, platelets_10e9_l: float, lln_10e9_l: float | None = None
) -> CalcResult:
    """CTCAE v5.0 Platelet count decreased: <LLN-75 G1; <75-50 G2; <50-25 G3; <25 G4 (×10⁹/L)."""
    return _decreased(
        "ctcae_platelet_count_decreased",
        "Platelet count decreased",
        platelets_10e9_l,
        "platelets_10e9_l",
        lln_10e9_l,
        (75.0, 50.0, 25.0),
        "10*9/L",
        5000.0,
    )


def ctcae_wbc_decreased(*, wbc_10e9_l: float, lln_10e9_l: float | None = None) -> CalcResult:
    """CTCAE v5.0 White blood cell decreased: <LLN-3.0 G1; <3.0-2.0 G2; <2.0-1.0 G3; <1.0 G4."""
    return _decreased(
        "ctcae_wbc_decreased",
        "White blood cell decreased",
        wbc_10e9_l,
        "wbc_10e9_l",
        lln_10e9_l,
        (3.0, 2.0, 1.0),
        "10*9/L",
        1000.0,
    )


def ctcae_lymphocyte_count_decreased(
    *, lymphocytes_10e9_l: float, lln_10e9_l: float | None = None
) -> CalcResult:
    """CTCAE v5.0 Lymphocyte count decreased: <LLN-0.8 G1; <0.8-0.5 G2; <0.5-0.2 G3; <0.2 G4."""
    return _decreased(
        "ctcae_lymphocyte_count_decreased",
        "Lymphocyte count decreased",
        lymphocytes_10e9_l,
        "lymphocytes_10e9_l",
        lln_10e9_l,
        (0.8, 0.5, 0.2),
        "10*9/L",
        1000.0,
    )


def ctcae_anemia(
    *,
    hgb_g_dl: float,
    lln_g_dl: float | None = None,
    transfusion_indicated: bool = False,
    life_threatening: bool = False,
    death: bool = False,
) -> CalcResult:
    """CTCAE v5.0 Anemia: Hgb <LLN-10.0 g/dL G1; <10.0-8.0 G2; <8.0 or transfusion indicated
    G3; life-threatening, urgent intervention indicated G4 (clinical); death G5."""
    name = "ctcae_anemia"
    v = real(
        hgb_g_dl,
        "hgb_g_dl",
        where=name,
        lo=0.0,
        hi=30.0,
        unit="g/dL",
        hint="haemoglobin must be in g/dL (g/L ÷ 10)",
    )
    lln = (
        None
        if lln_g_dl is None
        else real(lln_g_dl, "lln_g_dl", where=name, lo=0.0, lo_open=True, hi=30.0, unit="g/dL")
    )
    transfusion = flag(transfusion_indicated, "transfusion_indicated", where=name)
    lt = flag(life_threatening, "life_threatening", where=name)
    died = flag(death, "death", where=name)
    grade: int | None
    if died:
        grade = 5
    elif lt:
        grade = 4
    elif v < 8.0 or transfusion:
        grade = 3
    elif v < 10.0:
        grade = 2
    elif lln is None:
        grade = None
    else:
        grade = 1 if v < lln else 0
    return _result(
        name,
        "Anemia",
        grade,
        {
            "hgb_g_dl": v,
            "lln_g_dl": lln,
            "transfusion_indicated": transfusion,
            "life_threatening": lt,
            "death": died,
        },
        category=None if grade is not None else "grade 0 or 1 (LLN not supplied)",
        unit="g/dL",
    )


# --- chemistry (higher is worse) ---------------------------------------------------------------


def _gt(value: Decimal, factor: str, ref: Decimal) -> bool:
    return value > Decimal(factor) * ref


def _above(value: Decimal, ref: Decimal, cutoffs: tuple[str, str, str, str]) -> int:
    """Grade 4..1 for ``value`` strictly above each multiple of ``ref`` (grade 4's first), else 0.

    CTCAE range notation (§0): "> 3.0 - 5.0 x ULN" excludes 3.0 and includes 5.0.
    """
    for grade, factor in zip((4, 3, 2, 1), cutoffs, strict=True):
        if _gt(value, factor, ref):
            return grade
    return 0


def _ratio(v: float, ref: float) -> float:
    return float(dec(v) / dec(ref))


def _transaminase(
    name: str, term: str, field: str, value: float, uln: float, baseline: float | None
) -> CalcResult:
    v = real(value, field, where=name, lo=0.0, hi=1e6, unit="U/L")
    u = real(uln, "uln_u_l", where=name, lo=0.0, lo_open=True, hi=1e4, unit="U/L")
    b = (
        None
        if baseline is None
        else real(baseline, "baseline_u_l", where=name, lo=0.0, hi=1e6, unit="U/L")
    )
    dv, du = dec(v), dec(u)
    abnormal = b is not None and b > u
    if abnormal:
        assert b is not None
        ref, basis = dec(b), "baseline"
        if _gt(dv, "20.0", ref):
            grade = 4
        elif _gt(dv, "5.0", ref):
            grade = 3
        elif _gt(dv, "3.0", ref):
            grade = 2
        elif dv >= Decimal("1.5") * ref:
            grade = 1
        else:
            grade = 0
    else:
        ref, basis = du, "ULN"
        grade = _above(dv, du, ("20.0", "5.0", "3.0", "1.0"))
    return _result(
        name,
        term,
        grade,
        {
            field: v,
            "uln_u_l": u,
            "baseline_u_l": b,
            "baseline_abnormal": abnormal,
            "basis": basis,
            "ratio": float(dv / ref) if ref else None,
        },
        abnormal_baseline="baseline > ULN; baseline below LLN is treated as normal",
    )


def ctcae_alt_increased(
    *, alt_u_l: float, uln_u_l: float, baseline_u_l: float | None = None
) -> CalcResult:
    """CTCAE v5.0 Alanine aminotransferase increased.

    Normal baseline: >ULN-3.0×ULN G1; >3.0-5.0 G2; >5.0-20.0 G3; >20.0×ULN G4.
    Abnormal baseline (> ULN): 1.5-3.0×baseline G1; >3.0-5.0 G2; >5.0-20.0 G3; >20.0 G4;
    below 1.5 × baseline is grade 0.
    """
    return _transaminase(
        "ctcae_alt_increased",
        "Alanine aminotransferase increased",
        "alt_u_l",
        alt_u_l,
        uln_u_l,
        baseline_u_l,
    )


def ctcae_ast_increased(
    *, ast_u_l: float, uln_u_l: float, baseline_u_l: float | None = None
) -> CalcResult:
    """CTCAE v5.0 Aspartate aminotransferase increased (same grading as ALT)."""
    return _transaminase(
        "ctcae_ast_increased",
        "Aspartate aminotransferase increased",
        "ast_u_l",
        ast_u_l,
        uln_u_l,
        baseline_u_l,
    )


def ctcae_bilirubin_increased(
    *, bilirubin_mg_dl: float, uln_mg_dl: float, baseline_mg_dl: float | None = None
) -> CalcResult:
    """CTCAE v5.0 Blood bilirubin increased.

    Normal baseline: >ULN-1.5×ULN G1; >1.5-3.0 G2; >3.0-10.0 G3; >10.0×ULN G4.
    Abnormal baseline (> ULN): >1.0-1.5×baseline G1; >1.5-3.0 G2; >3.0-10.0 G3; >10.0 G4.
    """
    name = "ctcae_bilirubin_increased"
    v = real(
        bilirubin_mg_dl,
        "bilirubin_mg_dl",
        where=name,
        lo=0.0,
        hi=100.0,
        unit="mg/dL",
        hint="bilirubin must be in mg/dL (µmol/L ÷ 17.1)",
    )
    u = real(uln_mg_dl, "uln_mg_dl", where=name, lo=0.0, lo_open=True, hi=100.0, unit="mg/dL")
    b = (
        None
        if baseline_mg_dl is None
        else real(baseline_mg_dl, "baseline_mg_dl", where=name, lo=0.0, hi=100.0, unit="mg/dL")
    )
    abnormal = b is not None and b > u
    ref = dec(b) if (abnormal and b is not None) else dec(u)
    dv = dec(v)
    grade = _above(dv, ref, ("10.0", "3.0", "1.5", "1.0"))
    return _result(
        name,
        "Blood bilirubin increased",
        grade,
        {
            "bilirubin_mg_dl": v,
            "uln_mg_dl": u,
            "baseline_mg_dl": b,
            "baseline_abnormal": abnormal,
            "basis": "baseline" if abnormal else "ULN",
            "ratio": float(dv / ref),
        },
        abnormal_baseline="baseline > ULN",
    )


def ctcae_creatinine_increased(
    *,
    creatinine_mg_dl: float,
    uln_mg_dl: float,
    baseline_mg_dl: float | None = None,
    baseline_rule: str = "literal",
) -> CalcResult:
    """CTCAE v5.0 Creatinine increased: the worse of the ULN-based and baseline-based grades.

    ULN: >ULN-1.5×ULN G1; >1.5-3.0×ULN G2; >3.0-6.0×ULN G3; >6.0×ULN G4.
    Baseline: >1.5-3.0×baseline G2; >3.0×baseline G3.
    ``baseline_rule`` (reference sheet §7.3): ``literal`` (default, admiral) applies the baseline
    criteria whatever the value; ``above_uln_only`` only when the value is > ULN.
    """
    name = "ctcae_creatinine_increased"
    v = real(
        creatinine_mg_dl,
        "creatinine_mg_dl",
        where=name,
        lo=0.0,
        lo_open=True,
        hi=30.0,
        unit="mg/dL",
        hint="creatinine must be in mg/dL (µmol/L ÷ 88.4)",
    )
    u = real(uln_mg_dl, "uln_mg_dl", where=name, lo=0.0, lo_open=True, hi=30.0, unit="mg/dL")
    b = (
        None
        if baseline_mg_dl is None
        else real(
            baseline_mg_dl,
            "baseline_mg_dl",
            where=name,
            lo=0.0,
            lo_open=True,
            hi=30.0,
            unit="mg/dL",
        )
    )
    rule = choice(baseline_rule, "baseline_rule", where=name, options=CREATININE_BASELINE_RULES)
    dv, du = dec(v), dec(u)
    uln_grade = _above(dv, du, ("6.0", "3.0", "1.5", "1.0"))
    baseline_grade: int | None = None
    applies = b is not None and (rule == "literal" or dv > du)
    if b is not None and applies:
        db = dec(b)
        baseline_grade = 3 if _gt(dv, "3.0", db) else 2 if _gt(dv, "1.5", db) else 0
    grade = max(uln_grade, baseline_grade or 0)
    return _result(
        name,
        "Creatinine increased",
        grade,
        {
            "creatinine_mg_dl": v,
            "uln_mg_dl": u,
            "baseline_mg_dl": b,
            "uln_grade": uln_grade,
            "baseline_grade": baseline_grade,
            "ratio_to_uln": _ratio(v, u),
            "ratio_to_baseline": None if b is None else _ratio(v, b),
        },
        baseline_rule=rule,
    )


# --- clinical terms ------------------------------------------------------------------------------


def ctcae_fever(
    *,
    temperature_c: float | None = None,
    temperature_f: float | None = None,
    hours_above_40c: float | None = None,
    death: bool = False,
) -> CalcResult:
    """CTCAE v5.0 Fever: 38.0-39.0 °C (100.4-102.2 °F) G1; >39.0-40.0 °C (102.3-104.0 °F) G2;
    >40.0 °C (>104.0 °F) for ≤ 24 h G3; >40.0 °C for > 24 h G4; death G5.

    Give exactly one of ``temperature_c`` or ``temperature_f``; each is graded against the
    published thresholds in its own scale (no conversion). Above 40.0 °C without
    ``hours_above_40c`` the grade is 3 or 4: value None.
    """
    name = "ctcae_fever"
    if (temperature_c is None) == (temperature_f is None):
        raise DataError(
            "give exactly one of temperature_c or temperature_f", where=name, field="temperature_c"
        )
    died = flag(death, "death", where=name)
    if temperature_c is not None:
        t = real(
            temperature_c,
            "temperature_c",
            where=name,
            lo=25.0,
            hi=45.0,
            unit="°C",
            hint="use temperature_f for Fahrenheit",
        )
        g1, g2, g3, scale = 38.0, 39.0, 40.0, "C"
    else:
        t = real(temperature_f, "temperature_f", where=name, lo=77.0, hi=113.0, unit="°F")
        g1, g2, g3, scale = 100.4, 102.2, 104.0, "F"
    hours = (
        None
        if hours_above_40c is None
        else real(hours_above_40c, "hours_above_40c", where=name, lo=0.0, unit="h")
    )
    grade: int | None
    category: str | None = None
    if died:
        grade = 5
    elif t > g3:
        if hours is None:
            grade, category = None, "grade 3 or 4 (duration above 40.0 °C not given)"
        else:
            grade = 4 if hours > 24.0 else 3
    elif t > g2:
        grade = 2
    elif t >= g1:
        grade = 1
    else:
        grade = 0
    return _result(
        name,
        "Fever",
        grade,
        {"temperature": t, "scale": scale, "hours_above_40c": hours, "death": died},
        category=category,
    )


def ctcae_infusion_related_reaction(
    *,
    reaction: bool = True,
    therapy_or_infusion_interruption_indicated: bool = False,
    prophylactic_medication_le_24h_indicated: bool = False,
    prolonged: bool = False,
    recurrence_after_improvement: bool = False,
    hospitalization_indicated: bool = False,
    life_threatening: bool = False,
    death: bool = False,
) -> CalcResult:
    """CTCAE v5.0 Infusion related reaction (clinical descriptors; the highest applies).

    G1 mild transient reaction, no interruption or intervention; G2 therapy or infusion
    interruption indicated but responds promptly to symptomatic treatment, prophylactic
    medications indicated for ≤ 24 h; G3 prolonged, recurrence after initial improvement, or
    hospitalization indicated for clinical sequelae; G4 life-threatening, urgent intervention
    indicated; G5 death.
    """
    name = "ctcae_infusion_related_reaction"
    flags = {
        "reaction": reaction,
        "therapy_or_infusion_interruption_indicated": therapy_or_infusion_interruption_indicated,
        "prophylactic_medication_le_24h_indicated": prophylactic_medication_le_24h_indicated,
        "prolonged": prolonged,
        "recurrence_after_improvement": recurrence_after_improvement,
        "hospitalization_indicated": hospitalization_indicated,
        "life_threatening": life_threatening,
        "death": death,
    }
    f = {k: flag(v, k, where=name) for k, v in flags.items()}
    if f["death"]:
        grade = 5
    elif f["life_threatening"]:
        grade = 4
    elif f["prolonged"] or f["recurrence_after_improvement"] or f["hospitalization_indicated"]:
        grade = 3
    elif (
        f["therapy_or_infusion_interruption_indicated"]
        or f["prophylactic_medication_le_24h_indicated"]
    ):
        grade = 2
    elif f["reaction"]:
        grade = 1
    else:
        grade = 0
    return _result(name, "Infusion related reaction", grade, f)


CTCAE_CRS_HYPOTENSION = {"none": 0, "responds_to_fluids": 2, "one_pressor": 3}
CTCAE_CRS_OXYGEN = {"none": 0, "lt_40_percent": 2, "ge_40_percent": 3}


def ctcae_cytokine_release_syndrome(
    *,
    fever: bool,
    hypotension: str = "none",
    oxygen: str = "none",
    life_threatening: bool = False,
    death: bool = False,
) -> CalcResult:
    """CTCAE v5.0 Cytokine release syndrome (CTCAE's own term; wording per reference sheet
    §4.3, [M], §7.5): G1 fever with or without constitutional symptoms; G2 hypotension
    responding to fluids, hypoxia responding to < 40 % O2; G3 hypotension managed with one
    pressor, hypoxia requiring ≥ 40 % O2; G4 life-threatening consequences, urgent intervention
    indicated; G5 death. Cell-therapy protocols normally grade CRS by ASTCT instead.
    """
    name = "ctcae_cytokine_release_syndrome"
    fev = flag(fever, "fever", where=name)
    hyp = choice(hypotension, "hypotension", where=name, options=CTCAE_CRS_HYPOTENSION)
    oxy = choice(oxygen, "oxygen", where=name, options=CTCAE_CRS_OXYGEN)
    lt = flag(life_threatening, "life_threatening", where=name)
    died = flag(death, "death", where=name)
    if died:
        grade = 5
    elif lt:
        grade = 4
    else:
        grade = max(1 if fev else 0, CTCAE_CRS_HYPOTENSION[hyp], CTCAE_CRS_OXYGEN[oxy])
    return _result(
        name,
        "Cytokine release syndrome",
        grade,
        {"fever": fev, "hypotension": hyp, "oxygen": oxy, "life_threatening": lt, "death": died},
        wording="reference sheet §4.3 [M]; to be checked against the NCI CTCAE v5.0 xlsx",
    )
