"""The short pre-screening form filled in from a demo patient's record (what a coordinator
would copy from the chart): the latest value of every datum the form offers, the diagnosis,
other conditions, therapies with dates, doses and why they stopped, procedures and vaccines."""

from __future__ import annotations

from datetime import date
from typing import Any

from cartrial import vocab
from cartrial.domain.patient import Patient


def form_values(patient: Patient, as_of: date, choices: dict[str, Any]) -> dict[str, Any]:
    """Field name → value (a list for the repeated ``conditions`` checkboxes)."""
    assert patient.birth_date is not None
    fields: dict[str, Any] = {
        "mode": "form",
        "as_of": as_of.isoformat(),
        "age": str(patient.age_on(as_of)),
        "sex": patient.sex.value,
    }
    diagnoses = {d["key"] for d in choices["diagnoses"]}
    others = {c["key"] for c in choices["conditions"]}
    dx = next(c for c in patient.conditions if c.concept in diagnoses)
    fields["diagnosis"] = dx.concept
    if dx.onset is not None:
        fields["diagnosis_years"] = f"{(as_of - dx.onset).days / 365.25:.1f}"
    fields["conditions"] = sorted(
        {c.concept for c in patient.conditions if c.concept in others or c.concept in diagnoses}
        - {dx.concept}
    )
    labs = {row["key"] for row in choices["labs"] + choices["imaging"]}
    serologies = {row["key"] for row in choices["serologies"]}
    scores = {row["key"] for row in choices["scores"]}
    for concept in {o.concept for o in patient.observations}:
        latest = patient.observations_of(concept)[0]
        if concept in labs and latest.value is not None:
            fields[f"lab.{concept}.value"] = f"{latest.value:g}"
            fields[f"lab.{concept}.unit"] = vocab.lab(concept).canonical_unit or ""
        elif concept in scores and latest.value is not None:
            fields[f"score.{concept}"] = f"{latest.value:g}"
        elif concept in serologies:
            result = latest.result or ("positive" if latest.value else None)
            if result in ("positive", "negative"):
                fields[f"serology.{concept}"] = result
    for i, med in enumerate(patient.medications[: choices["max_therapies"]], 1):
        fields[f"therapy.{i}.drug"] = med.concept
        if med.start:
            fields[f"therapy.{i}.start"] = med.start.isoformat()
        if med.end and not med.ongoing:
            fields[f"therapy.{i}.end"] = med.end.isoformat()
        if med.daily_dose_mg:
            fields[f"therapy.{i}.daily_dose_mg"] = f"{med.daily_dose_mg:g}"
        if med.outcome in ("failure", "intolerance"):
            fields[f"therapy.{i}.outcome"] = med.outcome
    procedures = {p["key"] for p in choices["procedures"]}
    for proc in patient.procedures:
        if proc.concept in procedures and proc.date:
            fields[f"procedure.{proc.concept}"] = proc.date.isoformat()
    for i, imm in enumerate(patient.immunizations[: choices["max_vaccines"]], 1):
        fields[f"vaccine.{i}.concept"] = imm.concept
        fields[f"vaccine.{i}.date"] = imm.date.isoformat()
    return fields
