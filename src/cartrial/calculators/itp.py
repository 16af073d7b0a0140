"""Immune thrombocytopenia response (IWG). Reference sheet §5.6."""

from __future__ import annotations

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import flag, integer, real
from cartrial.domain import DataError

REF_ITP = (
    "Rodeghiero F, Stasi R, Gernsheimer T, et al. Standardization of terminology, definitions "
    "and outcome criteria in immune thrombocytopenic purpura of adults and children: report "
    "from an international working group. Blood 2009;113:2386-93."
)

LEVELS = {2: "CR", 1: "R", 0: "NR"}


def _level(count: float, baseline: float, bleeding: bool) -> int:
    if bleeding:
        return 0
    if count >= 100.0:
        return 2
    if count >= 30.0 and count >= 2.0 * baseline:
        return 1
    return 0


def itp_response_iwg(
    *,
    platelet_count_10e9_l: float,
    baseline_platelet_count_10e9_l: float,
    bleeding: bool,
    confirmatory_platelet_count_10e9_l: float | None = None,
    days_between_counts: int | None = None,
) -> CalcResult:
    """IWG ITP response (Rodeghiero 2009).

    CR: platelets ≥ 100 ×10⁹/L and no bleeding. R: ≥ 30 ×10⁹/L **and** ≥ 2 × baseline, and no
    bleeding. NR: otherwise (< 30, < 2-fold, or bleeding). Baseline = count at the start of the
    treatment assessed. Confirmation: CR/R need 2 counts ≥ 7 days apart; NR needs 2 counts
    ≥ 1 day apart. With a confirmatory count the confirmed level is the lower of the two counts'
    levels, provided the spacing rule for that level holds; ``bleeding`` applies to both.
    ``value`` is "CR", "R" or "NR"; ``components["confirmed"]`` says whether it is confirmed.
    """
    name = "itp_response_iwg"
    count = real(
        platelet_count_10e9_l,
        "platelet_count_10e9_l",
        where=name,
        lo=0.0,
        hi=5000.0,
        unit="10*9/L",
        hint="platelets must be in 10⁹/L",
    )
    base = real(
        baseline_platelet_count_10e9_l,
        "baseline_platelet_count_10e9_l",
        where=name,
        lo=0.0,
        hi=5000.0,
        unit="10*9/L",
    )
    bleed = flag(bleeding, "bleeding", where=name)
    level = _level(count, base, bleed)
    second: float | None = None
    days: int | None = None
    confirmed = False
    if confirmatory_platelet_count_10e9_l is not None:
        second = real(
            confirmatory_platelet_count_10e9_l,
            "confirmatory_platelet_count_10e9_l",
            where=name,
            lo=0.0,
            hi=5000.0,
            unit="10*9/L",
        )
        if days_between_counts is None:
            raise DataError(
                "is required with a confirmatory count", where=name, field="days_between_counts"
            )
        days = integer(days_between_counts, "days_between_counts", where=name, lo=0, hi=3650)
        level = min(level, _level(second, base, bleed))
        confirmed = days >= (7 if level > 0 else 1)
    label = LEVELS[level]
    return CalcResult(
        calculator=name,
        value=label,
        category=label if confirmed else f"{label} (unconfirmed)",
        components={
            "platelet_count_10e9_l": count,
            "baseline_platelet_count_10e9_l": base,
            "fold_increase": None if base == 0 else count / base,
            "bleeding": bleed,
            "confirmatory_platelet_count_10e9_l": second,
            "days_between_counts": days,
            "confirmed": confirmed,
        },
        conventions={
            "R": ">= 30 AND >= 2 x baseline (IWG text), no bleeding",
            "confirmation": "CR/R: 2 counts >= 7 days apart; NR: >= 1 day apart",
        },
        reference=REF_ITP,
    )
