"""A patient's lymphodepletion plan: each day's fludarabine and cyclophosphamide dose in mg.

Every number comes from :mod:`cartrial.calculators` (nothing is recomputed here): BSA
(Mosteller by default, or DuBois), creatinine clearance (Cockcroft-Gault), the fludarabine
renal adjustment of the regimen's scheme, and the daily doses (mg/m² × BSA). The regimen - drugs,
mg/m²/day, days relative to infusion, renal scheme - is protocol data
(:class:`~cartrial.domain.trial.LymphodepletionRegimen`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from cartrial.calculators import (
    CalcResult,
    bsa_dubois,
    bsa_mosteller,
    crcl_cockcroft_gault,
    lymphodepletion_daily_doses,
)
from cartrial.domain.errors import DataError
from cartrial.domain.patient import Patient, Sex
from cartrial.domain.trial import LymphodepletionAgent, LymphodepletionRegimen

BsaMethod = Literal["mosteller", "dubois"]
_BSA: dict[str, Callable[..., CalcResult]] = {"mosteller": bsa_mosteller, "dubois": bsa_dubois}

FLUDARABINE = "fludarabine"
CYCLOPHOSPHAMIDE = "cyclophosphamide"


@dataclass(frozen=True, slots=True)
class PatientMeasures:
    """What the dose calculators need, in canonical units (checked by the calculators)."""

    height_cm: float
    weight_kg: float
    sex: Sex | str
    age_years: float
    scr_mg_dl: float
    sources: dict[str, str] = field(default_factory=dict)
    """Where each value came from (e.g. ``creatinine: Observation cr-1, 2027-02-20``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "height_cm": self.height_cm,
            "weight_kg": self.weight_kg,
            "sex": str(self.sex.value if isinstance(self.sex, Sex) else self.sex),
            "age_years": self.age_years,
            "scr_mg_dl": self.scr_mg_dl,
            "sources": dict(self.sources),
        }


def measures_from_patient(patient: Patient, *, on: date) -> PatientMeasures:
    """Height, weight, serum creatinine (newest observation on or before ``on``), sex and age
    in completed years on ``on`` (the first lymphodepletion day)."""
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for concept, label in (
        ("body_height", "height"),
        ("body_weight", "weight"),
        ("creatinine", "serum creatinine"),
    ):
        found = [
            o for o in patient.observations_of(concept) if o.effective <= on and o.value is not None
        ]
        if not found:
            raise DataError(
                f"no {label} observation ({concept}) on or before {on.isoformat()}",
                where=f"patient {patient.id}",
                field=concept,
            )
        obs = found[0]
        assert obs.value is not None
        values[concept] = float(obs.value)
        sources[concept] = f"Observation {obs.id}, {obs.effective.isoformat()}"
    age = patient.age_on(on)
    if age is None:
        raise DataError(
            "birth date is needed for the age", where=f"patient {patient.id}", field="birth_date"
        )
    sources["age"] = f"birth date {patient.birth_date}, age on {on.isoformat()}"
    return PatientMeasures(
        height_cm=values["body_height"],
        weight_kg=values["body_weight"],
        sex=patient.sex,
        age_years=float(age),
        scr_mg_dl=values["creatinine"],
        sources=sources,
    )


@dataclass(frozen=True, slots=True)
class AgentDose:
    """One drug on one day."""

    drug: str
    planned_mg_per_m2: float
    mg_per_m2: float | None
    """After renal adjustment (fludarabine); None when the drug must not be given."""
    daily_mg: float | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "planned_mg_per_m2": self.planned_mg_per_m2,
            "mg_per_m2": self.mg_per_m2,
            "daily_mg": self.daily_mg,
            "note": self.note,
        }

    def label(self) -> str:
        if self.daily_mg is None:
            return f"{self.drug}: do not administer" + (f" ({self.note})" if self.note else "")
        return f"{self.drug} {self.daily_mg:.1f} mg ({self.mg_per_m2:g} mg/m²)"


@dataclass(frozen=True, slots=True)
class LymphodepletionPlan:
    """Per-day doses with the calculator results they come from."""

    regimen: LymphodepletionRegimen
    measures: PatientMeasures
    bsa: CalcResult
    crcl: CalcResult
    doses: CalcResult
    by_day: tuple[tuple[int, tuple[AgentDose, ...]], ...]
    warnings: tuple[str, ...] = ()

    def doses_on(self, day: int) -> tuple[AgentDose, ...]:
        for d, doses in self.by_day:
            if d == day:
                return doses
        return ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "measures": self.measures.to_dict(),
            "bsa": self.bsa.to_json_dict(),
            "crcl": self.crcl.to_json_dict(),
            "doses": self.doses.to_json_dict(),
            "fludarabine_renal_scheme": self.regimen.fludarabine_renal_scheme,
            "by_day": [
                {"day": day, "doses": [d.to_dict() for d in doses]} for day, doses in self.by_day
            ],
            "warnings": list(self.warnings),
        }


def _agent(regimen: LymphodepletionRegimen, drug: str) -> LymphodepletionAgent | None:
    found = [a for a in regimen.agents if a.drug.strip().lower() == drug]
    if len(found) > 1:
        raise DataError(f"{drug} is listed twice in the regimen", field="agents")
    return found[0] if found else None


def plan_lymphodepletion(
    regimen: LymphodepletionRegimen,
    measures: PatientMeasures,
    *,
    bsa_method: BsaMethod = "mosteller",
    crcl_weight_basis: str = "actual",
) -> LymphodepletionPlan:
    """Daily fludarabine / cyclophosphamide doses for this patient on each regimen day.

    BSA by ``bsa_method``; CrCl by Cockcroft-Gault (``crcl_weight_basis``, default actual
    weight as published); fludarabine adjusted for CrCl by the regimen's
    ``fludarabine_renal_scheme``. Only fludarabine and cyclophosphamide are supported: any other
    agent is refused rather than dosed by a formula written here.
    """
    known = {FLUDARABINE, CYCLOPHOSPHAMIDE}
    other = [a.drug for a in regimen.agents if a.drug.strip().lower() not in known]
    if other:
        raise DataError(
            f"no dose calculator for {', '.join(other)} (supported: fludarabine, cyclophosphamide)",
            field="agents",
        )
    if bsa_method not in _BSA:
        raise DataError(f"{bsa_method!r} is not one of {sorted(_BSA)}", field="bsa_method")
    flu = _agent(regimen, FLUDARABINE)
    cy = _agent(regimen, CYCLOPHOSPHAMIDE)
    for a in (flu, cy):
        if a is not None and len(set(a.days)) != len(a.days):
            raise DataError(f"{a.drug} lists a day twice: {list(a.days)}", field="days")

    bsa = _BSA[bsa_method](height_cm=measures.height_cm, weight_kg=measures.weight_kg)
    crcl = crcl_cockcroft_gault(
        age_years=measures.age_years,
        weight_kg=measures.weight_kg,
        scr_mg_dl=measures.scr_mg_dl,
        sex=measures.sex,
        weight_basis=crcl_weight_basis,
        height_cm=measures.height_cm,
    )
    assert isinstance(bsa.value, float) and isinstance(crcl.value, float)
    doses = lymphodepletion_daily_doses(
        bsa_m2=bsa.value,
        fludarabine_mg_per_m2=flu.dose_mg_per_m2_per_day if flu else 0.0,
        cyclophosphamide_mg_per_m2=cy.dose_mg_per_m2_per_day if cy else 0.0,
        crcl_ml_min=crcl.value,
        scheme=regimen.fludarabine_renal_scheme,
        days=len(flu.days) if flu else 0,
        cyclophosphamide_days=len(cy.days) if cy else 0,
    )
    c = doses.components
    warnings: list[str] = []
    flu_note: str | None = None
    if flu is not None:
        category = c["fludarabine_renal_category"]
        tier = c.get("fludarabine_renal_tier")
        if category == "do_not_administer":
            flu_note = f"CrCl {crcl.value:.1f} mL/min ({tier})"
            warnings.append(
                f"fludarabine must not be given: CrCl {crcl.value:.1f} mL/min ({tier}, "
                f"scheme {regimen.fludarabine_renal_scheme})"
            )
        elif category == "reduced":
            flu_note = f"renal adjustment, CrCl {crcl.value:.1f} mL/min ({tier})"
            warnings.append(
                f"fludarabine reduced from {flu.dose_mg_per_m2_per_day:g} to "
                f"{c['fludarabine_adjusted_mg_per_m2']:g} mg/m²/day: CrCl {crcl.value:.1f} mL/min "
                f"({tier}, scheme {regimen.fludarabine_renal_scheme})"
            )

    days = sorted({d for a in (flu, cy) if a is not None for d in a.days})
    by_day: list[tuple[int, tuple[AgentDose, ...]]] = []
    for day in days:
        today: list[AgentDose] = []
        if flu is not None and day in flu.days:
            today.append(
                AgentDose(
                    drug=FLUDARABINE,
                    planned_mg_per_m2=flu.dose_mg_per_m2_per_day,
                    mg_per_m2=c["fludarabine_adjusted_mg_per_m2"],
                    daily_mg=c["fludarabine_daily_mg"],
                    note=flu_note,
                )
            )
        if cy is not None and day in cy.days:
            today.append(
                AgentDose(
                    drug=CYCLOPHOSPHAMIDE,
                    planned_mg_per_m2=cy.dose_mg_per_m2_per_day,
                    mg_per_m2=c["cyclophosphamide_mg_per_m2"],
                    daily_mg=c["cyclophosphamide_daily_mg"],
                )
            )
        by_day.append((day, tuple(today)))
    return LymphodepletionPlan(
        regimen=regimen,
        measures=measures,
        bsa=bsa,
        crcl=crcl,
        doses=doses,
        by_day=tuple(by_day),
        warnings=tuple(warnings),
    )
