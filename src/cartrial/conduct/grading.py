"""Grades of adverse events computed from entered observations by the existing calculators.

CRS and ICANS by ASTCT 2019 (:mod:`cartrial.calculators.crs`, :mod:`~.icans`), ICAHT by
EHA/EBMT 2023 from the ANC series (:mod:`~.icaht`), cytopenias, liver and renal events by CTCAE
v5.0 (:mod:`~.ctcae`). This module only routes observations to the calculator named by the
term list; it never re-implements a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from cartrial.calculators.registry import run_calculator
from cartrial.calculators.result import CalcResult
from cartrial.conduct.terms import AeTerm
from cartrial.domain.errors import DataError

LAB_TERMS: dict[str, tuple[str, str, str]] = {
    # analyte (vocabulary concept key) -> (calculator, value field, reference field)
    "anc": ("ctcae_neutrophil_count_decreased", "anc_10e9_l", "lln_10e9_l"),
    "platelets": ("ctcae_platelet_count_decreased", "platelets_10e9_l", "lln_10e9_l"),
    "wbc": ("ctcae_wbc_decreased", "wbc_10e9_l", "lln_10e9_l"),
    "alc": ("ctcae_lymphocyte_count_decreased", "lymphocytes_10e9_l", "lln_10e9_l"),
    "hemoglobin": ("ctcae_anemia", "hgb_g_dl", "lln_g_dl"),
    "alt": ("ctcae_alt_increased", "alt_u_l", "uln_u_l"),
    "ast": ("ctcae_ast_increased", "ast_u_l", "uln_u_l"),
    "bilirubin_total": ("ctcae_bilirubin_increased", "bilirubin_mg_dl", "uln_mg_dl"),
    "creatinine": ("ctcae_creatinine_increased", "creatinine_mg_dl", "uln_mg_dl"),
}
"""Labs graded automatically when they arrive: analyte -> calculator and its input names."""

BASELINE_FIELDS = {
    "alt": "baseline_u_l",
    "ast": "baseline_u_l",
    "bilirubin_total": "baseline_mg_dl",
    "creatinine": "baseline_mg_dl",
}


def grade_event(term: AeTerm, observations: Mapping[str, Any]) -> CalcResult | None:
    """The term's calculator run on ``observations`` (None if the term has no calculator).

    Inputs are validated by the calculator's own model: a missing or impossible observation
    is a DataError naming the field.
    """
    if term.calculator is None:
        return None
    return run_calculator(term.calculator, dict(observations))


def anc_series_per_ul(
    anc_values: Iterable[tuple[dt.date, float]], *, infusion: dt.date
) -> dict[int, float]:
    """ANC values (date, ×10⁹/L) as the ICAHT series: day after infusion -> cells/µL.

    Several values on one day: the lowest counts (the day's worst count). Values before the
    infusion are left out (ICAHT counts from day 0).
    """
    series: dict[int, float] = {}
    for when, value in anc_values:
        day = (when - infusion).days
        if day < 0:
            continue
        per_ul = round(value * 1000.0, 6)
        series[day] = min(per_ul, series.get(day, per_ul))
    return series


def lab_grade(
    analyte: str,
    value: float,
    *,
    ref_low: float | None,
    ref_high: float | None,
    baseline: float | None = None,
) -> tuple[dict[str, Any], CalcResult] | None:
    """CTCAE grade of one lab value (canonical unit) with the calculator inputs used, or None
    when the analyte is not graded.

    "Decreased" terms use the lower reference limit as LLN, "increased" terms the upper one as
    ULN; an increased term without a ULN cannot be graded (DataError naming ``ref_high``).
    """
    spec = LAB_TERMS.get(analyte)
    if spec is None:
        return None
    calculator, value_field, ref_field = spec
    inputs: dict[str, Any] = {value_field: value}
    if ref_field.startswith("lln"):
        if ref_low is not None:
            inputs[ref_field] = ref_low
    else:
        if ref_high is None:
            raise DataError(
                f"{analyte} has no upper reference limit (ULN): it cannot be graded",
                field="ref_high",
            )
        inputs[ref_field] = ref_high
        if baseline is not None and analyte in BASELINE_FIELDS:
            inputs[BASELINE_FIELDS[analyte]] = baseline
    return inputs, run_calculator(calculator, inputs)
