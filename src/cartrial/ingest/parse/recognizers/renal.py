"""Renal function thresholds (eGFR, creatinine clearance): which calculator the text names or
implies, and which unit; a measured (24-hour urine) clearance is not a calculator."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    AllOf,
    AnyOf,
    Comparator,
    Criterion,
    Derived,
    ManualReview,
    Not,
)
from cartrial.ingest.parse.hits import Ctx, Hit, merge_notes, window
from cartrial.ingest.parse.recognizers.common import exception_after
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


def derived_hit(
    ctx: Ctx,
    text: str,
    base: int,
    m: re.Match[str],
    cmp: Comparator,
    value: float,
    unit: str | None,
    note: str | None,
    conf_adj: float,
) -> Hit | None:
    names = m.group("names")
    around = text[max(0, m.start() - 40) : min(len(text), m.end() + 120)]
    is_crcl = bool(re.search(r"clearance|crcl|ccr|clcr", names, _I))
    calculator: str
    conf = 0.95
    notes: list[str] = []
    if re.search(r"schwartz", around, _I):
        calculator = "egfr_bedside_schwartz"
    elif re.search(r"cockcroft|gault", around, _I):
        calculator = "crcl_cockcroft_gault"
    elif re.search(r"ckd[- ]?epi", around, _I):
        calculator = "egfr_ckd_epi_2021"
    elif re.search(r"mdrd", around, _I):
        calculator = "egfr_ckd_epi_2021"
        notes.append("MDRD named; CKD-EPI 2021 used")
        conf = 0.7
    elif re.search(r"24[- ]?h(?:our)?|measured|urine\s+collection", around, _I):
        return None  # a measured clearance is a lab, not a calculator: leave for review
    elif is_crcl:
        calculator = "crcl_cockcroft_gault"
        notes.append("formula not named; Cockcroft-Gault assumed")
        conf = 0.8
    else:
        calculator = "egfr_ckd_epi_2021"
        notes.append("formula not named; CKD-EPI 2021 assumed (bedside Schwartz for children)")
        conf = 0.8
    canonical = "mL/min" if calculator == "crcl_cockcroft_gault" else "mL/min/{1.73_m2}"
    if unit is None:
        conf = min(conf, 0.75)
        notes.append(f"no unit written; {canonical} assumed")
    elif unit not in ("mL/min", "mL/min/{1.73_m2}", "mL/s"):
        return None
    elif unit != canonical:
        notes.append(f"written as {unit}")
    if m.group("mult"):
        return None
    conf *= conf_adj
    note_all = merge_notes(note, *notes)
    exc = exception_after(text, m.end())
    claim_end = m.end() + (exc.end() if exc else 0)
    exc_text = (m.end() + exc.start("body"), m.end() + exc.end("body")) if exc else None
    paren = re.match(r"\s*\((?P<inner>[^()]*)\)", text[m.end() :])
    if (
        exc is None
        and paren is not None
        and re.search(
            r"formula|equation|cockcroft|gault|ckd|mdrd|schwartz|except|unless",
            paren.group("inner"),
            _I,
        )
    ):
        claim_end = m.end() + paren.end()
        e_in = re.search(r"\b(?:except|unless|excluding)\b.*", paren.group("inner"), _I)
        if e_in is not None:
            off = m.end() + paren.start("inner")
            exc_text = (off + e_in.start(), off + e_in.end())

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        node = Derived(
            calculator=calculator,
            comparator=cmp,
            value=value,
            unit=canonical,
            lookback=window(w),
            **c.common(
                *((a, b) if exc_text is None else (base + m.start(), base + m.end())), cf, note_all
            ),
        )
        if exc_text is None:
            return node
        manual = ManualReview(
            data_hint="exception to a threshold",
            **c.common(base + exc_text[0], base + exc_text[1], 1.0),
        )
        if c.section == "exclusion":
            return AllOf(
                items=(
                    node,
                    Not(item=manual, **c.common(base + exc_text[0], base + exc_text[1], 1.0)),
                ),
                **c.common(a, b, cf * 0.9),
            )
        return AnyOf(
            items=(node, manual), **c.common(a, b, cf * 0.9, "threshold with an exception")
        )

    return Hit(
        base + m.start(),
        base + m.end(),
        build,
        frozenset({"within"}),
        conf,
        claim=(base + m.start(), base + claim_end),
        exc_zone=(base + exc_text[0], base + exc_text[1]) if exc_text else None,
    )
