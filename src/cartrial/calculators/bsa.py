"""Body surface area (m², unrounded): Mosteller and DuBois. Reference sheet §2.1."""

from __future__ import annotations

import math

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import check_height_cm, check_weight_kg

REF_MOSTELLER = (
    "Mosteller RD. Simplified calculation of body-surface area. N Engl J Med 1987;317:1098."
)
REF_DUBOIS = (
    "Du Bois D, Du Bois EF. A formula to estimate the approximate surface area if height and "
    "weight be known. Arch Intern Med 1916;17:863-71."
)


def bsa_mosteller(*, height_cm: float, weight_kg: float) -> CalcResult:
    """BSA (m²) = √(height[cm] × weight[kg] / 3600). Source: Mosteller, NEJM 1987;317:1098."""
    name = "bsa_mosteller"
    h = check_height_cm(height_cm, name)
    w = check_weight_kg(weight_kg, name)
    bsa = math.sqrt(h * w / 3600.0)
    return CalcResult(
        calculator=name,
        value=bsa,
        unit="m2",
        components={"height_cm": h, "weight_kg": w},
        conventions={"rounding": "none"},
        reference=REF_MOSTELLER,
    )


def bsa_dubois(*, height_cm: float, weight_kg: float) -> CalcResult:
    """BSA (m²) = 0.007184 × W^0.425 × H^0.725. Source: Du Bois & Du Bois, Arch Intern Med 1916."""
    name = "bsa_dubois"
    h = check_height_cm(height_cm, name)
    w = check_weight_kg(weight_kg, name)
    bsa = 0.007184 * w**0.425 * h**0.725
    return CalcResult(
        calculator=name,
        value=bsa,
        unit="m2",
        components={"height_cm": h, "weight_kg": w},
        conventions={"rounding": "none"},
        reference=REF_DUBOIS,
    )
