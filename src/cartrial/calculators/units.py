"""Explicit unit conversion for calculator inputs given as ``{"value": x, "unit": "..."}``.

Each input field is named with its canonical unit (``scr_mg_dl``, ``height_cm`` ...). A bare number
is taken to be in that unit; a quantity object is converted with the factor listed here, and a unit
that is not listed is refused with an error naming the field: never guessed.

The accepted units are listed here; their dimensional factors come from the package's one unit
converter (:func:`cartrial.vocab.units.exact_factor`, exact definitions, no pint). Only the
analyte-specific factors (creatinine and bilirubin by molar mass) and two conventions (an
enzyme's IU/L is its U/L; ``mm/[h]`` is ESR's mm/h) are written out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

from cartrial.calculators.renal import CREATININE_UMOL_PER_MG_DL
from cartrial.vocab.units import exact_factor

BILIRUBIN_UMOL_PER_MG_DL = 17.1
"""µmol/L per mg/dL of bilirubin (MW 584.66 g/mol)."""

# canonical unit -> {accepted unit spelling: factor to canonical}
CREATININE = {
    "mg/dL": 1.0,
    "umol/L": 1.0 / CREATININE_UMOL_PER_MG_DL,
    "µmol/L": 1.0 / CREATININE_UMOL_PER_MG_DL,
}
BILIRUBIN = {
    "mg/dL": 1.0,
    "umol/L": 1.0 / BILIRUBIN_UMOL_PER_MG_DL,
    "µmol/L": 1.0 / BILIRUBIN_UMOL_PER_MG_DL,
}


def _dimensional(canonical: str, spellings: tuple[str, ...]) -> dict[str, float]:
    """{spelling: factor to ``canonical``} from the unit converter; a spelling it cannot convert
    exactly is a programming error, reported at import."""
    table: dict[str, float] = {}
    for unit in spellings:
        factor = exact_factor(unit, canonical)
        if factor is None:
            raise ValueError(f"{unit!r} does not convert exactly to {canonical!r}")
        table[unit] = factor
    return table


LENGTH_CM = _dimensional("cm", ("cm", "m", "in", "[in_i]"))
MASS_KG = _dimensional("kg", ("kg", "g", "lb", "[lb_av]"))
COUNT_10E9_L = _dimensional(
    "10*9/L", ("10*9/L", "10^9/L", "10*3/uL", "10^3/uL", "10*3/mm3", "/uL", "cells/uL", "/mm3")
)
COUNT_PER_UL = _dimensional("/uL", ("/uL", "cells/uL", "/mm3", "10*9/L", "10^9/L", "10*3/uL"))
HGB_G_DL = _dimensional("g/dL", ("g/dL", "g/L"))
CRP_MG_L = _dimensional("mg/L", ("mg/L", "mg/dL"))
CRP_MG_DL = _dimensional("mg/dL", ("mg/dL", "mg/L"))
# enzyme activity: IU/L and U/L are the same number by convention (not a dimensional identity)
ENZYME_U_L = {"U/L": 1.0, "IU/L": 1.0, "[IU]/L": 1.0}
ESR_MM_H = {**_dimensional("mm/h", ("mm/h",)), "mm/[h]": 1.0}
IGG_MG_DL = _dimensional("mg/dL", ("mg/dL", "g/L"))


def _converter(canonical: str, table: Mapping[str, float]) -> Callable[[Any], Any]:
    def convert(v: Any) -> Any:
        if not isinstance(v, Mapping):
            return v
        if set(v) != {"value", "unit"}:
            raise ValueError(
                f'a quantity must be {{"value": number, "unit": string}}, got keys {sorted(v)}'
            )
        value, unit = v["value"], v["unit"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"quantity value must be a number, got {value!r}")
        if unit not in table:
            raise ValueError(
                f"unknown unit {unit!r}; expected {canonical} or one of {sorted(table)}"
            )
        return float(value) * table[unit]

    return convert


ScrMgDl = Annotated[float, BeforeValidator(_converter("mg/dL", CREATININE))]
BilirubinMgDl = Annotated[float, BeforeValidator(_converter("mg/dL", BILIRUBIN))]
HeightCm = Annotated[float, BeforeValidator(_converter("cm", LENGTH_CM))]
WeightKg = Annotated[float, BeforeValidator(_converter("kg", MASS_KG))]
Count10e9L = Annotated[float, BeforeValidator(_converter("10*9/L", COUNT_10E9_L))]
CountPerUl = Annotated[float, BeforeValidator(_converter("/uL", COUNT_PER_UL))]
HgbGDl = Annotated[float, BeforeValidator(_converter("g/dL", HGB_G_DL))]
CrpMgL = Annotated[float, BeforeValidator(_converter("mg/L", CRP_MG_L))]
CrpMgDl = Annotated[float, BeforeValidator(_converter("mg/dL", CRP_MG_DL))]
EnzymeUL = Annotated[float, BeforeValidator(_converter("U/L", ENZYME_U_L))]
EsrMmH = Annotated[float, BeforeValidator(_converter("mm/h", ESR_MM_H))]
IggMgDl = Annotated[float, BeforeValidator(_converter("mg/dL", IGG_MG_DL))]
