"""EHA/EBMT immune effector cell-associated hematotoxicity (ICAHT) grading. Reference sheet §3.3.

ANC is in cells/µL throughout. Early ICAHT covers day 0 to day +30 after infusion; late ICAHT
covers day +31 onwards (to day +100 by default), non-transient and not due to relapse or new
therapy.

Counting rules chosen for reference sheet §7.2 (parameters where sponsors may differ):

* Neutropenic runs (ANC ≤ threshold) separated by ≤ ``join_gap_days`` (default 2) days above
  the threshold are joined and the gap days counted: recovery is stable only after ≥ 3
  consecutive days above the threshold (Rejeski 2023; CIBMTR engraftment; Liang's automation).
* The early duration is that of the longest joined run (Liang), not a sum over runs separated by
  a stable recovery.
* Missing days inside the series are filled by linear interpolation for gaps of up to
  ``max_interpolation_gap_days`` (default 7, Liang); longer gaps stay missing and count as
  not neutropenic. Days before the first and after the last measurement are not counted.
* Grade 4 "no count recovery": a joined ANC ≤ 500 run that starts by day 3 and lasts to the
  last measurement (Liang), applied only when the series is complete (``series_complete``).
* Late ICAHT, rule ``nadir`` (default, Liang): the grade of the nadir, provided a second value
  ≤ 1500 shows the cytopenia is non-transient; a single measurement ≤ 1500 is "unconfirmed"
  (value None) unless ``documented_non_transient``. Rule ``second_lowest``: the grade of the
  second-lowest value (both measurements must meet the grade).
"""

from __future__ import annotations

from collections.abc import Mapping

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import choice, flag, integer, real
from cartrial.domain import DataError

REF_ICAHT = (
    "Rejeski K, Subklewe M, Aljurf M, et al. Immune effector cell-associated hematotoxicity: "
    "EHA/EBMT consensus grading and best practice recommendations. Blood 2023;142(10):865-877. "
    "Series operationalisation after Liang EC, automated ICAHT grading "
    "(github.com/emilyliangmd/automatedicahtgrading)."
)

ANC_MAX_PER_UL = 100_000.0
LATE_THRESHOLDS = ((100.0, 4), (500.0, 3), (1000.0, 2), (1500.0, 1))
LATE_RULES = ("nadir", "second_lowest")
PHASES = ("early", "late")


def _early_grade(d500: int, d100: int, no_recovery: bool) -> int:
    if no_recovery or d500 >= 31 or d100 >= 14:
        return 4
    if d500 >= 14 or d100 >= 7:
        return 3
    if d500 >= 7:
        return 2
    if d500 >= 1:
        return 1
    return 0


def _late_grade(anc: float) -> int:
    for threshold, grade in LATE_THRESHOLDS:
        if anc <= threshold:
            return grade
    return 0


def _anc(value: object, field: str, where: str) -> float:
    """ANC in cells/µL. A fractional value below 100 is a count in 10⁹/L (0.8 × 10⁹/L =
    800/µL): counts per µL are whole numbers, so it is refused with the conversion, never
    graded as 0.8 cells/µL."""
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 < value < 100
        and float(value) != int(value)
    ):
        raise DataError(
            f"{value:g} cells/µL looks like a count in ×10⁹/L; ICAHT takes cells/µL: "
            f"{value:g} ×10⁹/L = {value * 1000:g} cells/µL",
            where=where,
            field=field,
        )
    return real(
        value,
        field,
        where=where,
        lo=0.0,
        hi=ANC_MAX_PER_UL,
        unit="cells/uL",
        hint="ANC must be in cells/µL (×10⁹/L × 1000)",
    )


def icaht_grade(
    *,
    phase: str,
    days_anc_le_500: int | None = None,
    days_anc_le_100: int = 0,
    no_recovery_above_500: bool = False,
    anc_per_ul: float | None = None,
    non_transient: bool = True,
) -> CalcResult:
    """ICAHT grade from summarised inputs (Rejeski 2023, reference sheet §3.3).

    ``phase="early"`` (d0-30): ``days_anc_le_500`` (1-6 → 1, 7-13 → 2, ≥ 14 → 3),
    ``days_anc_le_100`` (≥ 7 → 3, ≥ 14 → 4), ``no_recovery_above_500`` (never > 500/µL in
    d0-30 → 4; 31 days ≤ 500 also means no recovery).
    ``phase="late"`` (after d30): ``anc_per_ul`` ≤ 1500 → 1, ≤ 1000 → 2, ≤ 500 → 3, ≤ 100 → 4,
    graded only if ``non_transient`` (≥ 2 measurements or otherwise documented).
    """
    name = "icaht_grade"
    ph = choice(phase, "phase", where=name, options=PHASES)
    if ph == "early":
        if days_anc_le_500 is None:
            raise DataError("is required for the early phase", where=name, field="days_anc_le_500")
        d500 = integer(days_anc_le_500, "days_anc_le_500", where=name, lo=0, hi=31)
        d100 = integer(days_anc_le_100, "days_anc_le_100", where=name, lo=0, hi=31)
        if d100 > d500:
            raise DataError(
                f"{d100} days ≤ 100/µL cannot exceed {d500} days ≤ 500/µL",
                where=name,
                field="days_anc_le_100",
            )
        no_rec = flag(no_recovery_above_500, "no_recovery_above_500", where=name)
        grade = _early_grade(d500, d100, no_rec)
        return CalcResult(
            calculator=name,
            value=grade,
            category=f"early grade {grade}" if grade else "no early ICAHT",
            components={
                "days_anc_le_500": d500,
                "days_anc_le_100": d100,
                "no_recovery_above_500": no_rec,
            },
            conventions={"phase": "early (day 0 to +30)"},
            reference=REF_ICAHT,
        )
    if anc_per_ul is None:
        raise DataError("is required for the late phase", where=name, field="anc_per_ul")
    anc = _anc(anc_per_ul, "anc_per_ul", name)
    confirmed = flag(non_transient, "non_transient", where=name)
    provisional = _late_grade(anc)
    grade = provisional if confirmed else 0
    return CalcResult(
        calculator=name,
        value=grade,
        category=(
            f"late grade {grade}"
            if grade
            else ("transient (not late ICAHT)" if provisional else "no late ICAHT")
        ),
        components={
            "anc_per_ul": anc,
            "grade_if_non_transient": provisional,
            "non_transient": confirmed,
        },
        conventions={"phase": "late (after day +30)"},
        reference=REF_ICAHT,
    )


def _interpolate(series: dict[int, float], max_gap: int) -> dict[int, float]:
    """Fill interior gaps of up to ``max_gap`` missing days by linear interpolation."""
    days = sorted(series)
    out = dict(series)
    for a, b in zip(days, days[1:], strict=False):
        missing = b - a - 1
        if 0 < missing <= max_gap:
            for d in range(a + 1, b):
                out[d] = series[a] + (series[b] - series[a]) * (d - a) / (b - a)
    return out


def _joined_runs(
    values: Mapping[int, float], first: int, last: int, threshold: float, join_gap: int
) -> list[tuple[int, int]]:
    """Runs of days with ANC ≤ threshold in [first, last], joined across ≤ join_gap other days."""
    runs: list[tuple[int, int]] = []
    for day in range(first, last + 1):
        v = values.get(day)
        if v is None or v > threshold:
            continue
        if runs and day - runs[-1][1] - 1 <= join_gap:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _longest(runs: list[tuple[int, int]]) -> int:
    return max((end - start + 1 for start, end in runs), default=0)


def icaht_grade_from_series(
    *,
    anc_per_ul_by_day: Mapping[int, float],
    phase: str = "early",
    series_complete: bool = True,
    join_gap_days: int = 2,
    max_interpolation_gap_days: int = 7,
    late_rule: str = "nadir",
    late_end_day: int = 100,
    documented_non_transient: bool = False,
) -> CalcResult:
    """Early and late ICAHT from a daily ANC series (day relative to infusion -> cells/µL).

    ``value`` is the grade of ``phase``; both phases' durations, runs and grades are in the
    components. Counting rules: see the module docstring (reference sheet §3.3 and §7.2).
    ``series_complete=False`` marks an interim assessment: the no-recovery grade 4 rule is not
    applied and the category says "provisional".
    """
    name = "icaht_grade_from_series"
    ph = choice(phase, "phase", where=name, options=PHASES)
    if not isinstance(anc_per_ul_by_day, Mapping) or not anc_per_ul_by_day:
        raise DataError(
            "must be a non-empty mapping of day -> ANC (cells/µL)",
            where=name,
            field="anc_per_ul_by_day",
        )
    series: dict[int, float] = {}
    for day, anc in anc_per_ul_by_day.items():
        d = integer(day, "anc_per_ul_by_day", where=name, lo=-30, hi=3650)
        series[d] = _anc(anc, f"anc_per_ul_by_day[{d}]", name)
    complete = flag(series_complete, "series_complete", where=name)
    gap = integer(join_gap_days, "join_gap_days", where=name, lo=0, hi=7)
    max_interp = integer(
        max_interpolation_gap_days, "max_interpolation_gap_days", where=name, lo=0, hi=30
    )
    rule = choice(late_rule, "late_rule", where=name, options=LATE_RULES)
    end = integer(late_end_day, "late_end_day", where=name, lo=31, hi=3650)
    documented = flag(documented_non_transient, "documented_non_transient", where=name)

    # --- early: day 0 .. +30 -----------------------------------------------------------------
    early_raw = {d: v for d, v in series.items() if 0 <= d <= 30}
    early: dict[str, object]
    if early_raw:
        filled = _interpolate(early_raw, max_interp)
        first, last = min(early_raw), max(early_raw)
        runs500 = _joined_runs(filled, first, last, 500.0, gap)
        runs100 = _joined_runs(filled, first, last, 100.0, gap)
        d500, d100 = _longest(runs500), _longest(runs100)
        no_recovery = complete and any(s <= 3 and e == last for s, e in runs500)
        early_grade: int | None = _early_grade(d500, d100, no_recovery)
        early = {
            "first_day": first,
            "last_day": last,
            "interpolated_days": sorted(set(filled) - set(early_raw)),
            "runs_anc_le_500": [list(r) for r in runs500],
            "runs_anc_le_100": [list(r) for r in runs100],
            "longest_days_anc_le_500": d500,
            "longest_days_anc_le_100": d100,
            "no_recovery_above_500": no_recovery,
            "grade": early_grade,
        }
    else:
        early_grade = None
        early = {"grade": None, "note": "no ANC between day 0 and day +30"}

    # --- late: day +31 .. late_end_day ---------------------------------------------------------
    late_values = sorted(v for d, v in series.items() if 31 <= d <= end)
    late_grade: int | None
    late_status: str
    if not late_values:
        late_grade, late_status = None, "no ANC after day +30"
    else:
        nadir = late_values[0]
        second = late_values[1] if len(late_values) > 1 else None
        if rule == "second_lowest" and second is not None:
            late_grade = _late_grade(second)
            late_status = f"late grade {late_grade}" if late_grade else "no late ICAHT"
        elif _late_grade(nadir) == 0:
            late_grade, late_status = 0, "no late ICAHT"
        elif documented or (rule == "nadir" and second is not None and second <= 1500.0):
            late_grade = _late_grade(nadir)
            late_status = f"late grade {late_grade}"
        elif second is None:
            late_grade, late_status = None, "unconfirmed (single measurement <= 1500/uL)"
        else:
            late_grade, late_status = 0, "transient (not late ICAHT)"
    late: dict[str, object] = {
        "window": [31, end],
        "measurements": len(late_values),
        "nadir_anc_per_ul": late_values[0] if late_values else None,
        "second_lowest_anc_per_ul": late_values[1] if len(late_values) > 1 else None,
        "grade": late_grade,
        "status": late_status,
    }

    if ph == "early":
        value = early_grade
        if early_grade is None:
            category = "not assessable (no ANC in day 0-30)"
        else:
            category = f"early grade {early_grade}" if early_grade else "no early ICAHT"
            if not complete:
                category += " (provisional)"
    else:
        value, category = late_grade, late_status
    return CalcResult(
        calculator=name,
        value=value,
        category=category,
        components={"early": early, "late": late},
        conventions={
            "phase": ph,
            "join_gap_days": gap,
            "gap_days_counted": True,
            "duration": "longest joined run",
            "max_interpolation_gap_days": max_interp,
            "interpolation": "linear",
            "no_recovery_rule": "run <= 500/uL starting by day 3 lasting to the last measurement"
            if complete
            else "not applied (series_complete=false)",
            "late_rule": rule,
            "late_window_end_day": end,
            "series_complete": complete,
        },
        reference=REF_ICAHT,
    )
