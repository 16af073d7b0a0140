"""Numbers as a person would write them: rounded to the precision of the source, no float noise.

A converted value cannot be more precise than the value it came from: creatinine reported as
62 µmol/L is 0.70 mg/dL, not 0.701357 mg/dL. The number of significant figures of the source is
read from the source value as written (at least two are kept).
"""

from __future__ import annotations

import math

from cartrial.explain.names import unit_display

_MAX_SIG = 6


def significant_figures(value: float | str) -> int:
    """Significant figures of a value as written (``62`` → 2, ``0.50`` → 2, ``3200`` → 2)."""
    text = str(value).strip().lstrip("+-<>=≤≥ ")
    if "e" in text.lower():
        text = text.lower().split("e", 1)[0]
    if text.endswith(".0") and isinstance(value, float):
        text = text[:-2]  # a float cannot tell 62 from 62.0: read the shorter
    digits = text.replace(".", "").lstrip("0")
    if "." not in text:
        digits = digits.rstrip("0") or digits
    return max(1, min(_MAX_SIG, len(digits)))


def round_sig(value: float, sig: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, sig - 1 - math.floor(math.log10(abs(value))))


def fmt_number(value: float, sig: int | None = None) -> str:
    """``value`` to ``sig`` significant figures (default: up to 6, trailing zeros dropped),
    always in positional notation and keeping the zeros ``sig`` implies (0.70)."""
    if sig is None:
        text = f"{round_sig(value, _MAX_SIG):.10f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    sig = max(2, sig)
    rounded = round_sig(value, sig)
    if rounded == 0:
        return "0"
    decimals = max(0, sig - 1 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:.{decimals}f}"


def fmt_quantity(
    value: float | str | bool | None,
    unit: str | None,
    original_value: float | str | None = None,
    original_unit: str | None = None,
) -> str:
    """A measured value with its unit in display form, rounded to the source's precision; when
    the source was in another unit, the value as reported follows in brackets."""
    if value is None:
        return ""
    if isinstance(value, (bool, str)):
        return str(value).lower() if isinstance(value, bool) else value
    converted = original_unit is not None and original_unit != unit
    sig = significant_figures(original_value) if original_value is not None else None
    text = with_unit(fmt_number(value, sig if converted else None), unit)
    if converted and isinstance(original_value, (int, float)):
        text += f" (reported {with_unit(fmt_number(float(original_value)), original_unit)})"
    return text


def with_unit(number: str, unit: str | None) -> str:
    shown = unit_display(unit)
    if not shown:
        return number
    if shown in ("%",) or shown.startswith("× "):
        return f"{number} {shown}" if shown.startswith("× ") else f"{number}{shown}"
    return f"{number} {shown}"
