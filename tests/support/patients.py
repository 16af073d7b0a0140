"""Builders for synthetic patients used by the evaluator tests (no FHIR needed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    Observation,
    Patient,
    ProcedureRecord,
    Sex,
)

AS_OF = date(2026, 11, 22)


def obs(concept: str, value: float | None, unit: str | None, when: date, **kw: Any) -> Observation:
    return Observation(
        id=kw.pop("id", f"{concept}-{when.isoformat()}"),
        concept=concept,
        effective=when,
        value=value,
        unit=unit,
        original_value=value,
        original_unit=unit,
        **kw,
    )


def patient(**kw: Any) -> Patient:
    base: dict[str, Any] = {"id": "p1", "birth_date": date(1980, 5, 1), "sex": Sex.FEMALE}
    base.update(kw)
    for key in ("observations", "conditions", "medications", "immunizations", "procedures"):
        if key in base:
            base[key] = tuple(base[key])
    return Patient(**base)


__all__ = [
    "AS_OF",
    "ConditionRecord",
    "ImmunizationRecord",
    "MedicationExposure",
    "ProcedureRecord",
    "obs",
    "patient",
]
