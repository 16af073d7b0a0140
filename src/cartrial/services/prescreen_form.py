"""The short pre-screening form (no FHIR bundle at hand) mapped to a :class:`Patient`.

A referring physician or a patient fills in age, sex, diagnosis, a few key labs with their units,
disease-activity scores and recent therapies. The form is validated once (pydantic), labs are
converted to their canonical units with :func:`cartrial.vocab.convert` (an unknown unit is an
error naming the field, never a guess), and a Patient is built for the screening engine.

Conventions (shown on the form):

* the values are taken as measured on the screening date ``as_of``;
* age is in completed years on ``as_of`` (the birth date is placed half a year before the
  birthday, so the age holds for the whole screening window);
* conditions and therapies are read as the full history: one not listed did not happen.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cartrial import vocab
from cartrial.criteria.nodes import (
    ConditionHistory,
    Derived,
    Measurement,
    ProcedureHistory,
    Score,
    Serology,
)
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.walk import iter_nodes
from cartrial.domain.errors import DataError
from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    Observation,
    Patient,
    ProcedureRecord,
    Sex,
)
from cartrial.domain.timewindow import add_months
from cartrial.explain import names
from cartrial.services.bundled_protocols import load_protocols

FORM_PATIENT_ID = "prescreen-form"

KEY_LABS: tuple[str, ...] = (
    "creatinine",
    "egfr_ckd_epi_2021",
    "alt",
    "ast",
    "bilirubin_total",
    "hemoglobin",
    "wbc",
    "anc",
    "alc",
    "platelets",
    "igg",
    "lvef",
    "dlco_pct_pred",
    "body_weight",
    "body_height",
)
"""Numeric labs offered on the form (vocabulary concept keys)."""

SEROLOGIES: tuple[str, ...] = ("hbsag", "anti_hbc_total", "anti_hcv", "hiv_ab", "hcg_serum_qual")
SCORES: tuple[str, ...] = (
    "sledai_2k",
    "das28_crp",
    "das28_esr",
    "cdai",
    "mrss",
    "essdai",
    "haq_di",
    "mmt8",
)
MAX_THERAPIES = 8
MAX_VACCINES = 2


class FieldProblem(BaseModel):
    field: str
    message: str


class PrescreenFormError(DataError):
    """Every problem of a submitted form, each naming its field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        text = "; ".join(f"{p.field}: {p.message}" for p in self.problems)
        super().__init__(text or "the form could not be read", field=None)


class LabValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float
    unit: str = Field("", max_length=40)

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v


class Therapy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drug: str
    start: date | None = None
    end: date | None = Field(None, description="Last dose; empty = ongoing")
    outcome: Literal["failure", "intolerance"] | None = Field(
        None, description="Stopped for lack of efficacy (failure) or toxicity (intolerance)"
    )
    daily_dose_mg: float | None = Field(None, gt=0, le=100_000)

    @field_validator("drug")
    @classmethod
    def _known_drug(cls, v: str) -> str:
        if v not in vocab.concept_keys("medications"):
            raise ValueError(f"unknown drug {v!r}")
        return v

    @model_validator(mode="after")
    def _dates(self) -> Therapy:
        if self.start and self.end and self.end < self.start:
            raise ValueError("the last dose is before the first")
        return self


class Event(BaseModel):
    """A procedure or an immunisation on a date (history: one not listed did not happen)."""

    model_config = ConfigDict(extra="forbid")

    concept: str
    day: dt.date


class PrescreenForm(BaseModel):
    """The validated form. Keys are vocabulary concept keys."""

    model_config = ConfigDict(extra="forbid")

    age: int = Field(ge=0, le=120, description="Completed years on the screening date")
    sex: Sex
    diagnosis: str
    diagnosis_years: float | None = Field(None, ge=0, le=100, description="Years since diagnosis")
    conditions: list[str] = Field(default_factory=list, max_length=60)
    labs: dict[str, LabValue] = Field(default_factory=dict)
    serology: dict[str, Literal["positive", "negative"]] = Field(default_factory=dict)
    scores: dict[str, float] = Field(default_factory=dict)
    therapies: list[Therapy] = Field(default_factory=list, max_length=MAX_THERAPIES)
    procedures: list[Event] = Field(default_factory=list, max_length=20)
    vaccines: list[Event] = Field(default_factory=list, max_length=MAX_VACCINES)

    @field_validator("procedures")
    @classmethod
    def _known_procedures(cls, v: list[Event]) -> list[Event]:
        known = vocab.concept_keys("procedures")
        bad = [e.concept for e in v if e.concept not in known]
        if bad:
            raise ValueError(f"unknown procedure(s) {', '.join(bad)}")
        return v

    @field_validator("vaccines")
    @classmethod
    def _known_vaccines(cls, v: list[Event]) -> list[Event]:
        known = vocab.concept_keys("vaccines")
        bad = [e.concept for e in v if e.concept not in known]
        if bad:
            raise ValueError(f"unknown vaccine(s) {', '.join(bad)}")
        return v

    @field_validator("diagnosis")
    @classmethod
    def _known_diagnosis(cls, v: str) -> str:
        if v not in vocab.concept_keys("conditions"):
            raise ValueError(f"unknown diagnosis {v!r}")
        return v

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, v: list[str]) -> list[str]:
        known = vocab.concept_keys("conditions")
        bad = [c for c in v if c not in known]
        if bad:
            raise ValueError(f"unknown condition(s) {', '.join(bad)}")
        return list(dict.fromkeys(v))

    @field_validator("labs", "serology", "scores")
    @classmethod
    def _known_concepts(cls, v: dict[str, Any]) -> dict[str, Any]:
        known = vocab.concept_keys("labs")
        bad = [k for k in v if k not in known]
        if bad:
            raise ValueError(f"unknown test(s) {', '.join(bad)}")
        return v


@dataclass(frozen=True)
class ConvertedLab:
    concept: str
    value: float
    unit: str
    original_value: float
    original_unit: str


def validate_form(data: Mapping[str, Any]) -> tuple[PrescreenForm, list[ConvertedLab]]:
    """Validate the nested form data and convert every lab; all problems are reported at once."""
    try:
        form = PrescreenForm.model_validate(dict(data))
    except ValidationError as exc:
        raise PrescreenFormError(
            [
                FieldProblem(
                    field=".".join(str(p) for p in e["loc"]) or "form",
                    message=str(e["msg"]).removeprefix("Value error, "),
                )
                for e in exc.errors()
            ]
        ) from None
    problems: list[FieldProblem] = []
    converted: list[ConvertedLab] = []
    for concept, lab in form.labs.items():
        try:
            value, unit = vocab.convert(concept, lab.value, lab.unit)
        except DataError as exc:
            problems.append(FieldProblem(field=f"labs.{concept}.unit", message=_unit_message(exc)))
            continue
        converted.append(ConvertedLab(concept, value, unit, lab.value, lab.unit))
    for instrument, value in form.scores.items():
        if not math.isfinite(value) or value < 0:
            problems.append(
                FieldProblem(field=f"scores.{instrument}", message="must be a number ≥ 0")
            )
    if problems:
        raise PrescreenFormError(problems)
    return form, converted


def _unit_message(exc: DataError) -> str:
    text = str(exc)
    prefix = f"{exc.where} / {exc.field}: " if exc.where and exc.field else ""
    return text.removeprefix(prefix) if prefix else text


def to_patient(form: PrescreenForm, labs: Sequence[ConvertedLab], *, as_of: date) -> Patient:
    """The Patient the form describes, every value dated ``as_of``."""
    observations: list[Observation] = [
        Observation(
            id=f"form-{lab.concept}",
            concept=lab.concept,
            effective=as_of,
            value=lab.value,
            unit=lab.unit,
            original_value=lab.original_value,
            original_unit=lab.original_unit,
        )
        for lab in labs
    ]
    observations += [
        Observation(id=f"form-{concept}", concept=concept, effective=as_of, result=result)
        for concept, result in form.serology.items()
    ]
    for instrument, value in form.scores.items():
        unit = vocab.lab(instrument).canonical_unit
        observations.append(
            Observation(
                id=f"form-{instrument}", concept=instrument, effective=as_of, value=value, unit=unit
            )
        )
    onset = None
    if form.diagnosis_years is not None:
        onset = as_of - timedelta(days=round(form.diagnosis_years * 365.25))
    conditions = [
        ConditionRecord(
            id="form-diagnosis", concept=form.diagnosis, onset=onset, active=True, recorded=as_of
        )
    ]
    conditions += [
        ConditionRecord(id=f"form-{c}", concept=c, active=True, recorded=as_of)
        for c in form.conditions
        if c != form.diagnosis
    ]
    medications = []
    for i, t in enumerate(form.therapies, 1):
        ongoing = t.end is None
        medications.append(
            MedicationExposure(
                id=f"form-therapy-{i}",
                concept=t.drug,
                drug_classes=tuple(sorted(vocab.drug(t.drug).classes)),
                start=t.start,
                end=t.end,
                ongoing=ongoing,
                daily_dose_mg=t.daily_dose_mg,
                status="active" if ongoing else "completed",
                outcome=t.outcome,
            )
        )
    procedures = tuple(
        ProcedureRecord(id=f"form-procedure-{i}", concept=e.concept, date=e.day)
        for i, e in enumerate(form.procedures, 1)
    )
    immunizations = tuple(
        ImmunizationRecord(
            id=f"form-vaccine-{i}",
            concept=e.concept,
            date=e.day,
            live=vocab.vaccine_is_live(e.concept),
        )
        for i, e in enumerate(form.vaccines, 1)
    )
    return Patient(
        id=FORM_PATIENT_ID,
        birth_date=add_months(as_of, -(form.age * 12 + 6)),
        sex=form.sex,
        observations=tuple(observations),
        conditions=tuple(conditions),
        medications=tuple(medications),
        procedures=procedures,
        immunizations=immunizations,
    )


def patient_from_form(data: Mapping[str, Any], *, as_of: date) -> Patient:
    form, labs = validate_form(data)
    return to_patient(form, labs, as_of=as_of)


# ------------------------------------------------------------------ HTML form fields


def from_flat_fields(
    fields: Mapping[str, str], multi: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Nested form data from flat HTML field names.

    ``age``, ``sex``, ``diagnosis``, ``diagnosis_years``, ``conditions`` (repeated),
    ``lab.<concept>.value`` / ``lab.<concept>.unit``, ``serology.<concept>``,
    ``score.<instrument>``, ``therapy.<n>.drug|start|end|outcome|daily_dose_mg``,
    ``procedure.<concept>`` (its date), ``vaccine.<n>.concept|date``.
    Empty fields are left out (a lab left blank is unknown, not zero).
    """

    def text(name: str) -> str:
        return (fields.get(name) or "").strip()

    data: dict[str, Any] = {}
    for name in ("age", "sex", "diagnosis", "diagnosis_years"):
        if text(name):
            data[name] = text(name)
    data["conditions"] = [c for c in multi.get("conditions", ()) if c]
    labs: dict[str, Any] = {}
    serology: dict[str, str] = {}
    scores: dict[str, str] = {}
    therapies: dict[int, dict[str, str]] = {}
    procedures: list[dict[str, str]] = []
    vaccines: dict[int, dict[str, str]] = {}
    for name, raw in fields.items():
        value = (raw or "").strip()
        parts = name.split(".")
        if parts[0] == "lab" and len(parts) == 3 and parts[2] == "value" and value:
            labs[parts[1]] = {"value": value, "unit": text(f"lab.{parts[1]}.unit")}
        elif parts[0] == "serology" and len(parts) == 2 and value:
            serology[parts[1]] = value
        elif parts[0] == "score" and len(parts) == 2 and value:
            scores[parts[1]] = value
        elif parts[0] == "therapy" and len(parts) == 3 and parts[1].isdigit() and value:
            therapies.setdefault(int(parts[1]), {})[parts[2]] = value
        elif parts[0] == "procedure" and len(parts) == 2 and value:
            procedures.append({"concept": parts[1], "day": value})
        elif parts[0] == "vaccine" and len(parts) == 3 and parts[1].isdigit() and value:
            key = "day" if parts[2] == "date" else parts[2]
            vaccines.setdefault(int(parts[1]), {})[key] = value
    data["labs"] = labs
    data["serology"] = serology
    data["scores"] = scores
    data["therapies"] = [therapies[k] for k in sorted(therapies) if therapies[k].get("drug")]
    data["procedures"] = procedures
    data["vaccines"] = [vaccines[k] for k in sorted(vaccines) if vaccines[k].get("concept")]
    return data


def _criteria_concepts(protocols: Iterable[Protocol]) -> dict[str, set[str]]:
    """Every datum the protocols' computable criteria read, by kind."""
    found: dict[str, set[str]] = {
        k: set() for k in ("labs", "serology", "scores", "conditions", "procedures")
    }
    for protocol in protocols:
        for _section, items in protocol.sections():
            for top in items:
                for node in iter_nodes(top):
                    if isinstance(node, Measurement):
                        found["labs"].add(node.concept)
                    elif isinstance(node, Derived):
                        found["labs"].update(CALCULATOR_INPUTS.get(node.calculator, ()))
                    elif isinstance(node, Serology):
                        found["serology"].update((node.concept, *node.also))
                    elif isinstance(node, Score):
                        found["scores"].add(node.instrument)
                    elif isinstance(node, ConditionHistory):
                        found["conditions"].update(node.concepts)
                    elif isinstance(node, ProcedureHistory):
                        found["procedures"].update(node.concepts)
    return found


CALCULATOR_INPUTS: dict[str, tuple[str, ...]] = {
    "crcl_cockcroft_gault": ("creatinine", "body_weight"),
    "egfr_bedside_schwartz": ("creatinine", "body_height"),
    "egfr_ckd_epi_2021": ("creatinine",),
}
"""What the renal formulas read from the record besides age and sex."""


def _lab_row(key: str) -> dict[str, Any]:
    info = vocab.lab(key)
    units = [info.canonical_unit or ""] + [a.unit for a in info.alternative_units]
    return {
        "key": key,
        "display": names.concept_name(key),
        "units": [
            {"value": u, "label": names.unit_display(u) or "—"} for u in dict.fromkeys(units)
        ],
        "group": names.order_group(key),
    }


def lab_choices(protocols: Iterable[Protocol] = ()) -> list[dict[str, Any]]:
    """For the form: each lab or measurement (the key labs and every one a bundled criterion
    reads), with its canonical unit first and the accepted alternatives."""
    keys = set(KEY_LABS) | _criteria_concepts(protocols)["labs"]
    rows = [_lab_row(k) for k in keys if not names.is_score(k)]
    return sorted(rows, key=lambda r: (r["group"] != "labs", str(r["display"]).casefold()))


def choices(protocols: Iterable[Protocol] | None = None) -> dict[str, Any]:
    """Everything the form offers: every datum any bundled trial's computable criteria can use
    (``protocols`` default to the bundled ones)."""
    chosen = list(protocols) if protocols is not None else list(load_protocols().values())
    used = _criteria_concepts(chosen)
    conditions = vocab.concept_keys("conditions")

    def cond_rows(keys: Iterable[str]) -> list[dict[str, str]]:
        rows = [{"key": k, "display": vocab.display("conditions", k)} for k in keys]
        return sorted(rows, key=lambda r: r["display"].casefold())

    diagnoses = {k for k in conditions if vocab.condition(k).group == "target_disease"}
    other = {k for k in conditions if vocab.condition(k).group == "exclusion"}
    other |= used["conditions"] - diagnoses
    drugs = sorted(
        (
            {"key": k, "display": vocab.display("medications", k)}
            for k in vocab.concept_keys("medications")
        ),
        key=lambda r: r["display"].casefold(),
    )
    labs = lab_choices(chosen)
    serologies = sorted(set(SEROLOGIES) | used["serology"])
    scores = sorted(set(SCORES) | used["scores"])
    live = sorted(k for k in vocab.concept_keys("vaccines") if vocab.vaccine_is_live(k))
    return {
        "diagnoses": cond_rows(diagnoses),
        "conditions": cond_rows(other),
        "labs": [r for r in labs if r["group"] == "labs"],
        "imaging": [r for r in labs if r["group"] != "labs"],
        "serologies": [{"key": k, "display": names.concept_name(k)} for k in serologies],
        "scores": sorted(
            ({"key": k, "display": names.concept_name(k)} for k in scores),
            key=lambda r: r["display"].casefold(),
        ),
        "procedures": [
            {"key": k, "display": vocab.display("procedures", k)}
            for k in sorted(used["procedures"])
        ],
        "vaccines": [{"key": k, "display": vocab.display("vaccines", k)} for k in live],
        "drugs": drugs,
        "max_therapies": MAX_THERAPIES,
        "max_vaccines": MAX_VACCINES,
    }


def field_id(key: str, kind: str) -> str:
    """The HTML id of the form field that answers a missing datum (``ask next``)."""
    return {"labs": f"lab-{key}", "serology": f"sero-{key}", "scores": f"score-{key}"}[kind]
