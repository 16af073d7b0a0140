"""Calculators (``/api/v1/calculators``) and dose-escalation decisions (``/api/v1/escalation``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from cartrial.calculators.registry import get_calculator, list_calculators, run_calculator
from cartrial.designs import Boin, ThreePlusThree
from cartrial.designs.base import DoseEscalationDesign
from cartrial.domain.errors import DataError

router = APIRouter(tags=["calculators and designs"])


def calculator_json(name: str) -> dict[str, Any]:
    calc = get_calculator(name)
    return {
        "name": calc.name,
        "description": calc.description,
        "inputs": calc.input_fields(),
        "schema": calc.inputs.model_json_schema(),
    }


@router.get("/calculators", summary="The clinical calculators")
def calculators() -> list[dict[str, Any]]:
    return [
        {"name": c.name, "description": c.description, "inputs": c.input_fields()}
        for c in list_calculators()
    ]


@router.get("/calculators/{name}", summary="One calculator's inputs (JSON schema)")
def calculator(name: str) -> dict[str, Any]:
    try:
        return calculator_json(name)
    except DataError as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/calculators/{name}", summary="Run a calculator")
def run(
    name: str,
    inputs: Annotated[
        dict[str, Any],
        Body(description='Inputs by field name; a quantity may be {"value": x, "unit": "..."}'),
    ],
) -> dict[str, Any]:
    """Value, category, every component and the published reference; a bad input answers 422
    naming the field."""
    try:
        get_calculator(name)
    except DataError as exc:
        raise HTTPException(404, str(exc)) from None
    return run_calculator(name, inputs).to_json_dict()


class EscalationRequest(BaseModel):
    """Counts so far per dose level (level 1 first) and the level of the last cohort."""

    model_config = ConfigDict(extra="forbid")

    design: Literal["boin", "3+3"] = "boin"
    target: float | None = Field(None, gt=0, lt=1, description="BOIN target DLT rate")
    cohort_size: int = Field(3, ge=1, le=12, description="BOIN patients per cohort")
    n_cohorts: int | None = Field(None, ge=1, le=100, description="Maximum number of cohorts")
    n: list[int] = Field(min_length=1, max_length=30, description="Patients treated per level")
    y: list[int] = Field(min_length=1, max_length=30, description="Patients with a DLT per level")
    current_level: int = Field(ge=1, description="1-based level the last cohort received")


def build_design(req: EscalationRequest) -> DoseEscalationDesign:
    if req.design == "3+3":
        return ThreePlusThree(n_cohorts=req.n_cohorts)
    if req.target is None:
        raise DataError("BOIN needs a target DLT rate", field="target")
    return Boin(req.target, cohort_size=req.cohort_size, n_cohorts=req.n_cohorts or 10)


@router.post("/escalation", summary="Next dose for the next cohort (BOIN or 3+3)")
def escalation(req: EscalationRequest) -> dict[str, Any]:
    """The design's decision (escalate, stay, de-escalate, stop) with the rule that fired and
    the design's decision boundaries."""
    design = build_design(req)
    decision = design.decide(req.n, req.y, req.current_level - 1)
    table = design.boundaries()
    return {
        "design": req.design,
        "decision": decision.to_dict(),
        "boundaries": table.to_dict(full=False),
    }
