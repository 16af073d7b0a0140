"""Explicit unit conversion for calculator inputs given as ``{"value": x, "unit": "..."}``.

Each input field is named with its canonical unit (``scr_mg_dl``, ``height_cm`` ...). A bare number
is taken to be in that unit; a quantity object is converted with the factor listed here, and a unit
that is not listed is refused with an error naming the field: never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

from cartrial.calculators.renal import CREATININE_UMOL_PER_MG_DL

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
LENGTH_CM = {"cm": 1.0, "m": 100.0, "in": 2.54, "[in_i]": 2.54}
MASS_KG = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "[lb_av]": 0.45359237}
COUNT_10E9_L = {
    "10*9/L": 1.0,
    "10^9/L": 1.0,
    "10*3/uL": 1.0,
    "10^3/uL": 1.0,
    "10*3/mm3": 1.0,
    "/uL": 0.001,
    "cells/uL": 0.001,
    "/mm3": 0.001,
}
COUNT_PER_UL = {
    "/uL": 1.0,
    "cells/uL": 1.0,
    "/mm3": 1.0,
    "10*9/L": 1000.0,
    "10^9/L": 1000.0,
    "10*3/uL": 1000.0,
}
HGB_G_DL = {"g/dL": 1.0, "g/L": 0.1}
CRP_MG_L = {"mg/L": 1.0, "mg/dL": 10.0}
CRP_MG_DL = {"mg/dL": 1.0, "mg/L": 0.1}
ENZYME_U_L = {"U/L": 1.0, "IU/L": 1.0, "[IU]/L": 1.0}
ESR_MM_H = {"mm/h": 1.0, "mm/[h]": 1.0}
IGG_MG_DL = {"mg/dL": 1.0, "g/L": 100.0}


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
