"""The patient as the engine sees it: normalized units, codes resolved to concept keys.

History-type records (conditions, medications, immunizations, procedures) are read as the
patient's full history: absence means "did not happen". Measurements (labs, observations,
scores) are point-in-time: absence means "unknown".
"""

from __future__ import annotations

import datetime as dt
from datetime import date
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from cartrial.domain.quantity import Code


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Observation(BaseModel):
    """One lab value, observation or score, already converted to the concept's canonical unit.

    ``value`` is numeric (canonical unit); ``result`` holds a qualitative result
    (``positive``/``negative``) for serologies and pregnancy tests. ``original_*`` keep what the
    source said so an explanation can show the conversion.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    concept: str
    effective: date
    value: float | None = None
    unit: str | None = None
    original_value: float | None = None
    original_unit: str | None = None
    result: str | None = None
    ref_low: float | None = None
    ref_high: float | None = None
    code: Code | None = None
    components: dict[str, float | str | bool] = Field(default_factory=dict)
    effective_at: dt.datetime | None = None  # the instant, when the source gave a time of day
    recognized_by: str | None = None  # e.g. "name 'mRSS'" when matched by words, not a code

    @property
    def instant(self) -> tuple[date, float | None]:
        """Sort key: the date, then the instant (UTC seconds; None when only a date is known)."""
        at = self.effective_at
        if at is None:
            return (self.effective, None)
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return (self.effective, at.timestamp())

    def same_instant(self, other: Observation) -> bool:
        """Taken at the same instant, or on the same day with a time of day missing on either
        side (then their order is unknown)."""
        a, b = self.instant, other.instant
        return a[0] == b[0] and (a[1] is None or b[1] is None or a[1] == b[1])


class ConditionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    concept: str
    code: Code | None = None
    onset: date | None = None
    abatement: date | None = None
    active: bool = True
    recorded: date | None = None
    recognized_by: str | None = None  # how a code not listed itself was recognised


class MedicationExposure(BaseModel):
    """A period of exposure to one drug, from MedicationStatement/Request/Administration.

    ``outcome`` is ``failure`` or ``intolerance`` when the record says the drug was stopped for
    lack of efficacy or for toxicity (statusReason), else None.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    concept: str
    drug_classes: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    ongoing: bool = False
    daily_dose_mg: float | None = None
    route: str | None = None
    status: str | None = None
    outcome: str | None = None
    status_reason_text: str | None = None
    code: Code | None = None
    resource_type: str = "MedicationStatement"


class ImmunizationRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    concept: str
    date: dt.date
    live: bool | None = None
    code: Code | None = None


class ProcedureRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    concept: str
    date: dt.date | None = None
    code: Code | None = None


class Unrecognized(BaseModel):
    """A resource or code the engine did not understand: listed, never silently dropped."""

    model_config = ConfigDict(frozen=True)

    resource_type: str
    id: str | None
    reason: str
    text: str | None = None  # the record's own words (code.text / displays), for review
    codes: tuple[Code, ...] = ()
    date: dt.date | None = None  # the record's latest known date (onset, performed, end)


class Patient(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    birth_date: date | None = None
    # a partial birth date (year, year-month) as the interval of possible days; birth_date None
    birth_date_range: tuple[date, date] | None = None
    sex: Sex = Sex.UNKNOWN
    observations: tuple[Observation, ...] = ()
    conditions: tuple[ConditionRecord, ...] = ()
    medications: tuple[MedicationExposure, ...] = ()
    immunizations: tuple[ImmunizationRecord, ...] = ()
    procedures: tuple[ProcedureRecord, ...] = ()
    unrecognized: tuple[Unrecognized, ...] = ()

    def age_on(self, as_of: date) -> int | None:
        """Age in completed years on ``as_of`` (clinical-standards §0.4), None without birthDate."""
        if self.birth_date is None:
            return None
        b = self.birth_date
        years = as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))
        return years

    def age_range_on(self, as_of: date) -> tuple[int, int] | None:
        """(youngest, oldest) possible age in completed years: exact with a full birth date, an
        interval with a partial one, None without any."""
        if self.birth_date is not None:
            age = self.age_on(as_of)
            assert age is not None
            return (age, age)
        if self.birth_date_range is None:
            return None
        first, last = self.birth_date_range
        youngest = Patient(id=self.id, birth_date=min(last, as_of)).age_on(as_of)
        oldest = Patient(id=self.id, birth_date=first).age_on(as_of)
        assert youngest is not None and oldest is not None
        return (youngest, oldest)

    def observations_of(self, concept: str) -> list[Observation]:
        """Observations of one concept, newest first."""
        return list(self._by_concept.get(concept, ()))

    @cached_property
    def _by_concept(self) -> dict[str, tuple[Observation, ...]]:
        """Index built once per (immutable) patient: every criterion looks values up by concept."""
        index: dict[str, list[Observation]] = {}
        for o in self.observations:
            index.setdefault(o.concept, []).append(o)
        return {k: tuple(sorted(v, key=newest_first)) for k, v in index.items()}


def newest_first(o: Observation) -> tuple[int, float]:
    """Newest date first; within a day the later instant first, a date without time last."""
    day, ts = o.instant
    return (-day.toordinal(), -ts if ts is not None else float("inf"))
