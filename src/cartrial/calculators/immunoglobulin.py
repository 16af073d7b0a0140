"""Hypogammaglobulinemia as a laboratory flag (reference sheet §4.3, decision for §7.5).

CTCAE v5.0 has no hypogammaglobulinemia term (trials report it as "Immune system disorders -
Other, specify"). The platform therefore offers a flag, IgG below a protocol threshold, with the
threshold as a parameter: default < 400 mg/dL (the commonest IVIG trigger); sponsors use < 500
or ≤ 600 mg/dL, selectable with ``threshold_mg_dl`` and ``inclusive``.
"""

from __future__ import annotations

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import flag, real

REF_IGG = (
    "Reference sheet §4.3: no CTCAE v5.0 term; IgG below a protocol threshold (commonly "
    "< 400 mg/dL) used as the hypogammaglobulinemia flag and IVIG trigger."
)


def hypogammaglobulinemia(
    *, igg_mg_dl: float, threshold_mg_dl: float = 400.0, inclusive: bool = False
) -> CalcResult:
    """True when IgG < threshold (or ≤ threshold with ``inclusive``); mg/dL (g/L × 100)."""
    name = "hypogammaglobulinemia"
    igg = real(
        igg_mg_dl,
        "igg_mg_dl",
        where=name,
        lo=0.0,
        hi=10000.0,
        unit="mg/dL",
        hint="IgG must be in mg/dL (g/L × 100)",
    )
    thr = real(
        threshold_mg_dl,
        "threshold_mg_dl",
        where=name,
        lo=0.0,
        lo_open=True,
        hi=5000.0,
        unit="mg/dL",
    )
    inc = flag(inclusive, "inclusive", where=name)
    low = igg <= thr if inc else igg < thr
    return CalcResult(
        calculator=name,
        value=low,
        unit=None,
        category="hypogammaglobulinemia" if low else "not low",
        components={"igg_mg_dl": igg},
        conventions={
            "threshold_mg_dl": thr,
            "comparison": "<=" if inc else "<",
            "ctcae_term": None,
        },
        reference=REF_IGG,
    )
