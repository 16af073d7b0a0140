"""RA-type composites: DAS28-ESR/CRP, CDAI, SDAI, EULAR response, ACR20/50/70.

Reference sheet §5.5. Comparisons follow §0.2: DAS28 values and DAS28 changes are rounded to
2 dp (reporting precision, halves up) before they are compared with a threshold, so a DAS28 drop
of 3.64 − 2.44 is 1.20 (not > 1.2). CDAI/SDAI sums and ACR percent improvements are computed in
exact decimal arithmetic on the numbers as given.
"""

from __future__ import annotations

import math
from decimal import Decimal

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import dec, integer, real, round_half_up

REF_DAS28 = (
    "Prevoo MLL, van 't Hof MA, Kuper HH, et al. Modified disease activity scores that include "
    "twenty-eight-joint counts. Arthritis Rheum 1995;38:44-8; DAS28-CRP per das-score.nl."
)
REF_CDAI_SDAI = (
    "Aletaha D, Smolen JS. The Simplified Disease Activity Index (SDAI) and the Clinical Disease "
    "Activity Index (CDAI). Clin Exp Rheumatol 2005;23(5 Suppl 39):S100-8."
)
REF_EULAR = (
    "van Gestel AM, Prevoo ML, van 't Hof MA, et al. Development and validation of the European "
    "League Against Rheumatism response criteria for rheumatoid arthritis. Arthritis Rheum "
    "1996;39:34-40."
)
REF_ACR = (
    "Felson DT, Anderson JJ, Boers M, et al. American College of Rheumatology preliminary "
    "definition of improvement in rheumatoid arthritis. Arthritis Rheum 1995;38:727-35."
)


def das28_category(das28: float) -> str:
    """DAS28 activity at 2 dp: remission < 2.6; low ≤ 3.2; moderate > 3.2-≤ 5.1; high > 5.1."""
    d = round_half_up(das28, 2)
    if d < 2.6:
        return "remission"
    if d <= 3.2:
        return "low"
    if d <= 5.1:
        return "moderate"
    return "high"


def _joints(value: object, field: str, where: str, hi: int = 28) -> int:
    return integer(value, field, where=where, lo=0, hi=hi)


def _ptgh(value: object, where: str) -> float:
    return real(
        value,
        "ptgh_0_100",
        where=where,
        lo=0.0,
        hi=100.0,
        hint="patient global health is on a 0-100 mm VAS",
    )


def _das28_result(
    name: str, value: float, components: dict[str, object], marker: str
) -> CalcResult:
    return CalcResult(
        calculator=name,
        value=value,
        category=das28_category(value),
        components={**components, "das28_2dp": round_half_up(value, 2)},
        conventions={
            "categories": "remission < 2.6, low <= 3.2, moderate <= 5.1, high > 5.1",
            "category_precision": "value rounded to 2 dp (halves up) before categorising",
            "acute_phase_reactant": marker,
        },
        reference=REF_DAS28,
    )


def das28_esr(*, tjc28: int, sjc28: int, esr_mm_h: float, ptgh_0_100: float) -> CalcResult:
    """DAS28-ESR = 0.56·√TJC28 + 0.28·√SJC28 + 0.70·ln(ESR) + 0.014·PtGH (Prevoo 1995)."""
    name = "das28_esr"
    t = _joints(tjc28, "tjc28", name)
    s = _joints(sjc28, "sjc28", name)
    esr = real(
        esr_mm_h,
        "esr_mm_h",
        where=name,
        lo=0.0,
        lo_open=True,
        hi=200.0,
        unit="mm/h",
        hint="ln(ESR) needs ESR > 0",
    )
    g = _ptgh(ptgh_0_100, name)
    terms = {
        "tjc_term": 0.56 * math.sqrt(t),
        "sjc_term": 0.28 * math.sqrt(s),
        "esr_term": 0.70 * math.log(esr),
        "ptgh_term": 0.014 * g,
    }
    value = sum(terms.values())
    return _das28_result(
        name, value, {"tjc28": t, "sjc28": s, "esr_mm_h": esr, "ptgh_0_100": g, **terms}, "ESR"
    )


def das28_crp(*, tjc28: int, sjc28: int, crp_mg_l: float, ptgh_0_100: float) -> CalcResult:
    """DAS28-CRP = 0.56·√TJC28 + 0.28·√SJC28 + 0.36·ln(CRP mg/L + 1) + 0.014·PtGH + 0.96."""
    name = "das28_crp"
    t = _joints(tjc28, "tjc28", name)
    s = _joints(sjc28, "sjc28", name)
    crp = real(
        crp_mg_l,
        "crp_mg_l",
        where=name,
        lo=0.0,
        hi=500.0,
        unit="mg/L",
        hint="CRP must be in mg/L (mg/dL × 10)",
    )
    g = _ptgh(ptgh_0_100, name)
    terms = {
        "tjc_term": 0.56 * math.sqrt(t),
        "sjc_term": 0.28 * math.sqrt(s),
        "crp_term": 0.36 * math.log(crp + 1.0),
        "ptgh_term": 0.014 * g,
        "constant": 0.96,
    }
    value = sum(terms.values())
    return _das28_result(
        name, value, {"tjc28": t, "sjc28": s, "crp_mg_l": crp, "ptgh_0_100": g, **terms}, "CRP"
    )


_CDAI_CUTS = ((Decimal("2.8"), "remission"), (Decimal(10), "low"), (Decimal(22), "moderate"))
_SDAI_CUTS = ((Decimal("3.3"), "remission"), (Decimal(11), "low"), (Decimal(26), "moderate"))


def _band(total: Decimal, cuts: tuple[tuple[Decimal, str], ...]) -> str:
    return next((label for cut, label in cuts if total <= cut), "high")


def _cdai_parts(name: str, tjc28: int, sjc28: int, ptga: float, evga: float) -> dict[str, float]:
    return {
        "tjc28": _joints(tjc28, "tjc28", name),
        "sjc28": _joints(sjc28, "sjc28", name),
        "ptga_0_10": real(
            ptga, "ptga_0_10", where=name, lo=0.0, hi=10.0, hint="patient global is on a 0-10 scale"
        ),
        "evga_0_10": real(
            evga,
            "evga_0_10",
            where=name,
            lo=0.0,
            hi=10.0,
            hint="evaluator global is on a 0-10 scale",
        ),
    }


def cdai(*, tjc28: int, sjc28: int, ptga_0_10: float, evga_0_10: float) -> CalcResult:
    """CDAI = TJC28 + SJC28 + PtGA (0-10) + EvGA (0-10), 0-76; remission ≤ 2.8, low ≤ 10,
    moderate ≤ 22, high > 22. Source: Aletaha D, Smolen JS. CER 2005;23:S100."""
    name = "cdai"
    parts = _cdai_parts(name, tjc28, sjc28, ptga_0_10, evga_0_10)
    total = sum((dec(v) for v in parts.values()), Decimal(0))
    return CalcResult(
        calculator=name,
        value=float(total),
        category=_band(total, _CDAI_CUTS),
        components=dict(parts),
        conventions={
            "categories": "remission <= 2.8, low <= 10, moderate <= 22, high > 22",
            "arithmetic": "exact decimal sum",
        },
        reference=REF_CDAI_SDAI,
    )


def sdai(
    *, tjc28: int, sjc28: int, ptga_0_10: float, evga_0_10: float, crp_mg_dl: float
) -> CalcResult:
    """SDAI = CDAI + CRP (mg/dL), 0-86; remission ≤ 3.3, low ≤ 11, moderate ≤ 26, high > 26.
    Source: Aletaha D, Smolen JS. CER 2005;23:S100."""
    name = "sdai"
    parts = _cdai_parts(name, tjc28, sjc28, ptga_0_10, evga_0_10)
    parts["crp_mg_dl"] = real(
        crp_mg_dl,
        "crp_mg_dl",
        where=name,
        lo=0.0,
        hi=50.0,
        unit="mg/dL",
        hint="SDAI uses CRP in mg/dL (mg/L ÷ 10)",
    )
    total = sum((dec(v) for v in parts.values()), Decimal(0))
    return CalcResult(
        calculator=name,
        value=float(total),
        category=_band(total, _SDAI_CUTS),
        components=dict(parts),
        conventions={
            "categories": "remission <= 3.3, low <= 11, moderate <= 26, high > 26",
            "arithmetic": "exact decimal sum",
        },
        reference=REF_CDAI_SDAI,
    )


def eular_response(*, das28_baseline: float, das28_current: float) -> CalcResult:
    """EULAR response (van Gestel 1996) from DAS28 at baseline and now.

    Improvement (baseline − current) and current DAS28 are rounded to 2 dp first.
    current ≤ 3.2: > 1.2 good, > 0.6-≤ 1.2 moderate, ≤ 0.6 none; > 3.2-≤ 5.1: > 0.6 moderate;
    > 5.1: > 1.2 moderate, otherwise none.
    """
    name = "eular_response"
    b = real(das28_baseline, "das28_baseline", where=name, lo=0.0, hi=10.0)
    c = real(das28_current, "das28_current", where=name, lo=0.0, hi=10.0)
    improvement = round_half_up(dec(b) - dec(c), 2)
    current = round_half_up(c, 2)
    if improvement > 1.2:
        response = "good" if current <= 3.2 else "moderate"
    elif improvement > 0.6:
        response = "moderate" if current <= 5.1 else "none"
    else:
        response = "none"
    return CalcResult(
        calculator=name,
        value=response,
        category=response,
        components={
            "improvement": improvement,
            "das28_current_2dp": current,
            "das28_baseline": b,
            "das28_current": c,
        },
        conventions={"precision": "improvement and current DAS28 rounded to 2 dp (halves up)"},
        reference=REF_EULAR,
    )


ACR_CORE_SET = ("pain", "patient_global", "physician_global", "haq_di", "acute_phase_reactant")


def _improvement_pct(baseline: float, followup: float) -> Decimal | None:
    b = dec(baseline)
    if b == 0:
        return None
    return (b - dec(followup)) / b * Decimal(100)


def acr_response(
    *,
    tjc68_baseline: int | None = None,
    tjc68_followup: int | None = None,
    sjc66_baseline: int | None = None,
    sjc66_followup: int | None = None,
    pain_baseline: float | None = None,
    pain_followup: float | None = None,
    patient_global_baseline: float | None = None,
    patient_global_followup: float | None = None,
    physician_global_baseline: float | None = None,
    physician_global_followup: float | None = None,
    haq_di_baseline: float | None = None,
    haq_di_followup: float | None = None,
    acute_phase_reactant_baseline: float | None = None,
    acute_phase_reactant_followup: float | None = None,
) -> CalcResult:
    """ACR20/50/70 (Felson 1995): ≥ N % improvement in tender (68) and swollen (66) joint counts
    and in ≥ 3 of 5: pain, patient global, physician global, HAQ-DI, acute-phase reactant (ESR
    or CRP, same one at both visits). Percent improvement = (B − F)/B × 100, exact decimal; a
    measure with baseline 0 cannot improve. ``value`` is 70, 50, 20 or 0.

    A measure missing at either visit is unknown. Each level is decided only when the missing
    measures could not change it (e.g. the joint counts fail, or 3 of the 5 core measures are
    already met and both counts improve); ``value`` is then given and ``components.missing``
    lists what was not needed. When a missing measure could change the response level, ``value``
    is None and the category names the levels left open.
    """
    name = "acr_response"
    given: dict[str, tuple[object, object]] = {
        "tjc68": (tjc68_baseline, tjc68_followup),
        "sjc66": (sjc66_baseline, sjc66_followup),
        "pain": (pain_baseline, pain_followup),
        "patient_global": (patient_global_baseline, patient_global_followup),
        "physician_global": (physician_global_baseline, physician_global_followup),
        "haq_di": (haq_di_baseline, haq_di_followup),
        "acute_phase_reactant": (acute_phase_reactant_baseline, acute_phase_reactant_followup),
    }
    pairs: dict[str, tuple[float, float]] = {}
    missing: list[str] = []
    for key, (b, f) in given.items():
        if b is None or f is None:
            missing.append(key)
            continue
        if key in ("tjc68", "sjc66"):
            top = 68 if key == "tjc68" else 66
            pairs[key] = (
                _joints(b, f"{key}_baseline", name, top),
                _joints(f, f"{key}_followup", name, top),
            )
        else:
            pairs[key] = (
                real(b, f"{key}_baseline", where=name, lo=0.0, hi=1000.0),
                real(f, f"{key}_followup", where=name, lo=0.0, hi=1000.0),
            )
    pct = {k: _improvement_pct(b, f) for k, (b, f) in pairs.items()}
    met: dict[int, bool | None] = {}
    for level in (20, 50, 70):
        cut = Decimal(level)

        def ok(key: str, cut: Decimal = cut) -> bool | None:
            if key not in pct:
                return None
            p = pct[key]
            return p is not None and p >= cut

        joints = [ok("tjc68"), ok("sjc66")]
        core = [ok(k) for k in ACR_CORE_SET]
        sure, open_ = sum(c is True for c in core), sum(c is None for c in core)
        if False in joints or sure + open_ < 3:
            met[level] = False
        elif all(j is True for j in joints) and sure >= 3:
            met[level] = True
        else:
            met[level] = None
    decided = all(m is not None for m in met.values())
    value: int | None = None
    if decided:
        value = max((lvl for lvl, m in met.items() if m), default=0)
        category = f"ACR{value}" if value else "no ACR20"
    else:
        reached = max((lvl for lvl, m in met.items() if m), default=0)
        open_levels = ", ".join(f"ACR{lvl}" for lvl, m in met.items() if m is None)
        category = (
            f"{'ACR' + str(reached) if reached else 'no certain ACR20'}; {open_levels} "
            f"undetermined (missing: {', '.join(missing)})"
        )
    if missing and decided:
        category += f" (decided without {', '.join(missing)})"
    return CalcResult(
        calculator=name,
        value=value,
        category=category,
        components={
            "improvement_percent": {k: None if p is None else float(p) for k, p in pct.items()},
            "acr20": met[20],
            "acr50": met[50],
            "acr70": met[70],
            "missing": missing,
        },
        conventions={
            "percent": "(baseline - follow-up) / baseline x 100, exact decimal",
            "baseline_zero": "cannot improve",
            "missing": "a level is decided only if no value of the missing measures could change it",
        },
        reference=REF_ACR,
    )
