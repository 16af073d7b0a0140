"""Trial metadata: what a registry record or a protocol file says about a study.

The eligibility *tree* lives in :mod:`cartrial.criteria` (a Protocol pairs a Trial with its
criteria) so that this module stays free of the criteria language.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Site(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    facility: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    status: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


class Endpoint(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    measure: str
    time_frame: str | None = None
    description: str | None = None


class DoseLevel(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    level: int
    label: str
    cells_per_kg: float | None = None
    cells_total: float | None = None


class Arm(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    label: str
    type: str | None = None
    description: str | None = None
    interventions: tuple[str, ...] = ()


class LymphodepletionAgent(BaseModel):
    """One lymphodepleting drug: mg/m²/day on the listed days relative to infusion (day 0)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    drug: str
    dose_mg_per_m2_per_day: float = Field(gt=0)
    days: tuple[int, ...]


class LymphodepletionRegimen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    agents: tuple[LymphodepletionAgent, ...]
    fludarabine_renal_scheme: str = "fludara_us_label"
    source_text: str | None = None


class Visit(BaseModel):
    """A protocol visit on ``day`` relative to infusion, allowed ``window_before/after`` days."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    day: int
    window_before: int = Field(default=0, ge=0)
    window_after: int = Field(default=0, ge=0)
    kind: str = "safety"


class Schedule(BaseModel):
    """The course around infusion (day 0): screening, lymphodepletion, rest, visits."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    screening_start_day: int = -28
    screening_end_day: int = -6
    lymphodepletion_days: tuple[int, ...] = (-5, -4, -3)
    rest_days: tuple[int, ...] = (-2, -1)
    visits: tuple[Visit, ...] = ()
    dlt_window_days: int | None = None
    source_text: str | None = None


class Trial(BaseModel):
    """A registered study's metadata, independent of its source (CT.gov, protocol YAML)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    nct_id: str
    other_ids: tuple[str, ...] = ()
    title: str
    brief_title: str | None = None
    acronym: str | None = None
    status: str | None = None
    phases: tuple[str, ...] = ()
    study_type: str | None = None
    enrollment: int | None = None
    enrollment_type: str | None = None
    start_date: date | None = None
    primary_completion_date: date | None = None
    completion_date: date | None = None
    last_updated: date | None = None
    conditions: tuple[str, ...] = ()
    diseases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    sponsor: str | None = None
    collaborators: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    design: dict[str, str] = Field(default_factory=dict)
    arms: tuple[Arm, ...] = ()
    interventions: tuple[str, ...] = ()
    product: str | None = None
    target_antigens: tuple[str, ...] = ()
    cell_type: str | None = None
    dose_levels: tuple[DoseLevel, ...] = ()
    lymphodepletion: LymphodepletionRegimen | None = None
    schedule: Schedule | None = None
    primary_endpoints: tuple[Endpoint, ...] = ()
    secondary_endpoints: tuple[Endpoint, ...] = ()
    min_age_years: float | None = None
    max_age_years: float | None = None
    sex: str | None = None
    healthy_volunteers: bool | None = None
    sites: tuple[Site, ...] = ()
    references: tuple[str, ...] = ()
    eligibility_text: str | None = None
    source: str | None = None
