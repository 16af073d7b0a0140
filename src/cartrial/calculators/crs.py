"""ASTCT consensus grading of cytokine release syndrome (CRS). Reference sheet §3.1."""

from __future__ import annotations

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import choice, flag, integer, real
from cartrial.domain import DataError

REF_ASTCT = (
    "Lee DW, Santomasso BD, Locke FL, et al. ASTCT consensus grading for cytokine release "
    "syndrome and neurologic toxicity associated with immune effector cells. Biol Blood Marrow "
    "Transplant 2019;25:625-638 (CRS: Table 2 and footnotes)."
)

OXYGEN_GRADES = {"none": 0, "low_flow": 2, "high_flow": 3, "positive_pressure": 4}
"""§6.3 oxygen vocabulary -> grade of the hypoxia parameter alone.

low_flow = nasal cannula ≤ 6 L/min or blow-by; high_flow = HFNC > 6 L/min, facemask,
non-rebreather or Venturi; positive_pressure = CPAP, BiPAP, intubation/mechanical ventilation.
"""

FEVER_C = 38.0


def crs_hypotension_grade(
    *, hypotension: bool, vasopressors_excluding_vasopressin: int, vasopressin: bool
) -> int:
    """Grade of the hypotension parameter alone (ASTCT 2019): 0, 2, 3 or 4.

    Not requiring vasopressors = 2; a vasopressor with or without vasopressin = 3 (vasopressin
    alone, or vasopressin plus one other, is still 3); multiple vasopressors excluding
    vasopressin = 4. Any vasopressor implies hypotension.
    """
    if vasopressors_excluding_vasopressin >= 2:
        return 4
    if vasopressors_excluding_vasopressin == 1 or vasopressin:
        return 3
    return 2 if hypotension else 0


def crs_grade_astct(
    *,
    fever: bool | None = None,
    temperature_c: float | None = None,
    hypotension: bool = False,
    vasopressors_excluding_vasopressin: int = 0,
    vasopressin: bool = False,
    oxygen: str = "none",
    prior_tocilizumab_or_steroids_or_antipyretic: bool = False,
    death_due_to_crs: bool = False,
) -> CalcResult:
    """ASTCT 2019 CRS grade (0-5). Source: Lee DW et al. BBMT 2019;25:625-638.

    * CRS needs fever ≥ 38.0 °C not attributable to another cause (``fever``, or derived from
      ``temperature_c`` when ``fever`` is not given). After antipyretics or anti-cytokine therapy
      (tocilizumab, steroids) fever is no longer required
      (``prior_tocilizumab_or_steroids_or_antipyretic``).
    * Grade = the more severe of hypotension and hypoxia; fever alone is grade 1.
    * Organ toxicities are graded by CTCAE and do not change the CRS grade (not an input).
    * Grade 5 = death due to CRS (``death_due_to_crs``).
    Without fever and without prior treatment the result is grade 0 (not CRS), with the
    hypotension/hypoxia grades still shown in the components.
    """
    name = "crs_grade_astct"
    temp = (
        None
        if temperature_c is None
        else real(temperature_c, "temperature_c", where=name, lo=25.0, hi=45.0, unit="°C")
    )
    if fever is None:
        if temp is None:
            raise DataError("give fever (true/false) or temperature_c", where=name, field="fever")
        has_fever = temp >= FEVER_C
    else:
        has_fever = flag(fever, "fever", where=name)
        if temp is not None and has_fever != (temp >= FEVER_C):
            raise DataError(
                f"fever={has_fever} contradicts temperature_c={temp:g} (fever is ≥ 38.0 °C)",
                where=name,
                field="fever",
            )
    hypo = flag(hypotension, "hypotension", where=name)
    n_press = integer(
        vasopressors_excluding_vasopressin,
        "vasopressors_excluding_vasopressin",
        where=name,
        lo=0,
        hi=10,
    )
    vaso = flag(vasopressin, "vasopressin", where=name)
    oxy = choice(oxygen, "oxygen", where=name, options=OXYGEN_GRADES)
    prior = flag(
        prior_tocilizumab_or_steroids_or_antipyretic,
        "prior_tocilizumab_or_steroids_or_antipyretic",
        where=name,
    )
    died = flag(death_due_to_crs, "death_due_to_crs", where=name)

    hypotension_grade = crs_hypotension_grade(
        hypotension=hypo, vasopressors_excluding_vasopressin=n_press, vasopressin=vaso
    )
    hypoxia_grade = OXYGEN_GRADES[oxy]
    fever_grade = 1 if has_fever else 0
    crs_present = has_fever or prior
    if died:
        grade = 5
    elif crs_present:
        grade = max(fever_grade, hypotension_grade, hypoxia_grade)
    else:
        grade = 0
    return CalcResult(
        calculator=name,
        value=grade,
        category=f"grade {grade}" if grade else "no CRS",
        components={
            "fever": has_fever,
            "temperature_c": temp,
            "fever_required": not prior,
            "hypotension_grade": hypotension_grade,
            "hypoxia_grade": hypoxia_grade,
            "oxygen": oxy,
            "vasopressors_excluding_vasopressin": n_press,
            "vasopressin": vaso,
            "death_due_to_crs": died,
        },
        conventions={
            "fever_threshold_c": FEVER_C,
            "organ_toxicity": "graded separately by CTCAE v5.0; does not change the CRS grade",
            "no_fever_no_prior_treatment": "grade 0 (fever is required for CRS)",
        },
        reference=REF_ASTCT,
    )
