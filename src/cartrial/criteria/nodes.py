"""The criteria language: plain typed data, one class per node kind.

Composites (``all_of``, ``any_of``, ``not``, ``at_least``) combine atoms. Every node keeps the
protocol's own words in ``text``; ``note`` records how an ambiguous sentence was read. A
criterion that needs judgment is a :class:`ManualReview` — never dropped, never silently TRUE.
Interpreters (evaluator, renderer, linter, SQL) register one handler per node class.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cartrial.domain.patient import Sex
from cartrial.domain.timewindow import TimeUnit, Window

__all__ = [
    "Age",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Comparator",
    "ConditionHistory",
    "Criterion",
    "Derived",
    "ManualReview",
    "Measurement",
    "MedicationHistory",
    "Not",
    "ProcedureHistory",
    "Review",
    "Score",
    "Serology",
    "SexIs",
    "TimeUnit",
    "Vaccination",
    "Window",
    "ATOM_TYPES",
    "COMPOSITE_TYPES",
    "NODE_TYPES",
]


class Comparator(StrEnum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "=="

    def holds(self, left: float, right: float) -> bool:
        """Compare at reporting precision: values are rounded to 10 dp to absorb float noise."""
        a, b = round(left, 10), round(right, 10)
        if self is Comparator.LT:
            return a < b
        if self is Comparator.LE:
            return a <= b
        if self is Comparator.GT:
            return a > b
        if self is Comparator.GE:
            return a >= b
        return a == b


class Review(StrEnum):
    """Provenance of a criterion: hand-written (manual), parsed (auto) or checked by a person."""

    MANUAL = "manual"
    AUTO = "auto"
    REVIEWED = "reviewed"


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str | None = None
    text: str = ""
    note: str | None = None
    review: Review | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    span: tuple[int, int] | None = None


# ---------------------------------------------------------------- composites


class AllOf(_Node):
    kind: Literal["all_of"] = "all_of"
    items: tuple[Criterion, ...] = Field(min_length=1)


class AnyOf(_Node):
    kind: Literal["any_of"] = "any_of"
    items: tuple[Criterion, ...] = Field(min_length=1)


class Not(_Node):
    kind: Literal["not"] = "not"
    item: Criterion


class AtLeast(_Node):
    kind: Literal["at_least"] = "at_least"
    n: int = Field(ge=1)
    items: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _n_fits(self) -> AtLeast:
        if self.n > len(self.items):
            raise ValueError(f"at_least n={self.n} exceeds the {len(self.items)} items")
        return self


# ---------------------------------------------------------------- atoms


class Age(_Node):
    """Age in completed years on the screening date, bounds inclusive unless stated."""

    kind: Literal["age"] = "age"
    min_years: float | None = Field(default=None, ge=0)
    max_years: float | None = Field(default=None, ge=0)
    min_inclusive: bool = True
    max_inclusive: bool = True

    @model_validator(mode="after")
    def _range(self) -> Age:
        if self.min_years is None and self.max_years is None:
            raise ValueError("age needs min_years or max_years")
        if (
            self.min_years is not None
            and self.max_years is not None
            and self.min_years > self.max_years
        ):
            raise ValueError(f"impossible age range {self.min_years}..{self.max_years}")
        return self


class SexIs(_Node):
    kind: Literal["sex"] = "sex"
    allowed: tuple[Sex, ...] = Field(min_length=1)


class Measurement(_Node):
    """A lab value or observation compared with an absolute threshold or a ULN/LLN multiple.

    Exactly one of ``value`` (with ``unit``), ``uln_multiple`` or ``lln_multiple``. The latest
    value inside ``lookback`` counts (default: the trial's screening window); with
    ``aggregate: any``, any value inside the look-back that meets the threshold does ("serum
    creatinine > 2.5 mg/dL within 8 weeks").
    """

    kind: Literal["measurement"] = "measurement"
    concept: str
    comparator: Comparator
    value: float | None = None
    unit: str | None = None
    uln_multiple: float | None = Field(default=None, gt=0)
    lln_multiple: float | None = Field(default=None, gt=0)
    lookback: Window | None = None
    aggregate: Literal["latest", "any"] = "latest"

    @model_validator(mode="after")
    def _one_threshold(self) -> Measurement:
        given = [x is not None for x in (self.value, self.uln_multiple, self.lln_multiple)]
        if sum(given) != 1:
            raise ValueError("give exactly one of value, uln_multiple, lln_multiple")
        if self.value is not None and not self.unit:
            raise ValueError("an absolute threshold needs its unit")
        _check_lookback(self.lookback)
        return self


class Derived(_Node):
    """A value computed by a calculator (CrCl, eGFR) from the record, compared to a threshold.

    A directly reported value of the same concept inside the look-back also counts when
    ``accept_reported`` is true.
    """

    kind: Literal["derived"] = "derived"
    calculator: Literal["crcl_cockcroft_gault", "egfr_ckd_epi_2021", "egfr_bedside_schwartz"]
    comparator: Comparator
    value: float
    unit: str
    weight_basis: Literal["actual", "ideal", "adjusted"] = "actual"
    accept_reported: bool = True
    lookback: Window | None = None

    @model_validator(mode="after")
    def _lookback(self) -> Derived:
        _check_lookback(self.lookback)
        return self


class Score(_Node):
    """A disease-activity score, reported as an Observation or computed from its items."""

    kind: Literal["score"] = "score"
    instrument: str
    comparator: Comparator
    value: float
    lookback: Window | None = None

    @model_validator(mode="after")
    def _lookback(self) -> Score:
        _check_lookback(self.lookback)
        return self


class Serology(_Node):
    """A qualitative test result (HBsAg, anti-HCV, HIV, syphilis, hCG, autoantibodies).

    ``also`` names other tests of the same thing (urine hCG beside serum hCG, HIV Ag/Ab beside
    HIV Ab); the latest result across them all counts.
    """

    kind: Literal["serology"] = "serology"
    concept: str
    also: tuple[str, ...] = ()
    result: Literal["positive", "negative"]
    lookback: Window | None = None
    ever: bool = False

    @model_validator(mode="after")
    def _lookback(self) -> Serology:
        _check_lookback(self.lookback)
        if self.ever and self.lookback is not None:
            raise ValueError("'ever' and 'lookback' are exclusive")
        return self


class ConditionHistory(_Node):
    """A condition from a concept set in the record (history: absent = did not happen)."""

    kind: Literal["condition"] = "condition"
    concepts: tuple[str, ...] = Field(min_length=1)
    active_only: bool = False
    onset_within: Window | None = None
    onset_at_least: Window | None = None

    @model_validator(mode="after")
    def _windows(self) -> ConditionHistory:
        _check_lookback(self.onset_within)
        _check_lookback(self.onset_at_least)
        return self


class MedicationHistory(_Node):
    """Prior or current therapy from drug concepts and/or drug classes.

    - ``within``: an exposure overlapping the window before screening (a washout).
    - ``within`` with unit ``half_lives``: the window is that many of each drug's half-lives.
    - ``min_distinct`` agents (or classes, with ``distinct_by: class``) must qualify.
    - ``min_duration``: an exposure at least this long.
    - ``min_daily_dose_mg`` / ``min_dose_mg_per_kg_day``: dose thresholds (glucocorticoids
      compared as prednisone-equivalent; mg/kg needs a body weight).
    - ``outcome``: ``failure`` (or ``failure_or_intolerance``) counts an exposure whose
      statusReason says lack of efficacy (or intolerance), or one that lasted ``min_duration``
      while a condition in ``active_disease`` is still active.
    """

    kind: Literal["medication"] = "medication"
    drugs: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    exclude_routes: tuple[str, ...] = ()
    within: Window | None = None
    min_distinct: int = Field(default=1, ge=1)
    distinct_by: Literal["agent", "class"] = "agent"
    min_duration: Window | None = None
    min_daily_dose_mg: float | None = Field(default=None, gt=0)
    min_dose_mg_per_kg_day: float | None = Field(default=None, gt=0)
    outcome: Literal["any", "failure", "failure_or_intolerance"] = "any"
    active_disease: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> MedicationHistory:
        if not self.drugs and not self.classes:
            raise ValueError("medication needs drugs or classes")
        if self.min_duration is not None and self.min_duration.unit is TimeUnit.HALF_LIVES:
            raise ValueError("min_duration cannot be in half-lives")
        return self


class Vaccination(_Node):
    """Vaccination within a window; ``live_only`` restricts to live-attenuated vaccines."""

    kind: Literal["vaccine"] = "vaccine"
    live_only: bool = True
    concepts: tuple[str, ...] = ()
    within: Window | None = None

    @model_validator(mode="after")
    def _lookback(self) -> Vaccination:
        _check_lookback(self.within)
        return self


class ProcedureHistory(_Node):
    kind: Literal["procedure"] = "procedure"
    concepts: tuple[str, ...] = Field(min_length=1)
    within: Window | None = None

    @model_validator(mode="after")
    def _lookback(self) -> ProcedureHistory:
        _check_lookback(self.within)
        return self


class ManualReview(_Node):
    """A criterion that needs the investigator's judgment; its sentence is shown to confirm."""

    kind: Literal["manual"] = "manual"
    data_hint: str | None = None


def _check_lookback(window: Window | None) -> None:
    if window is not None and window.unit is TimeUnit.HALF_LIVES:
        raise ValueError("only medication windows may be in half-lives")


Criterion = Annotated[
    AllOf
    | AnyOf
    | Not
    | AtLeast
    | Age
    | SexIs
    | Measurement
    | Derived
    | Score
    | Serology
    | ConditionHistory
    | MedicationHistory
    | Vaccination
    | ProcedureHistory
    | ManualReview,
    Field(discriminator="kind"),
]

# The composites refer to ``Criterion`` before it exists; with ``defer_build`` pydantic resolves
# it at the first validation, so a start that reads cached protocols builds no schema at all.

COMPOSITE_TYPES: tuple[type[_Node], ...] = (AllOf, AnyOf, Not, AtLeast)
ATOM_TYPES: tuple[type[_Node], ...] = (
    Age,
    SexIs,
    Measurement,
    Derived,
    Score,
    Serology,
    ConditionHistory,
    MedicationHistory,
    Vaccination,
    ProcedureHistory,
    ManualReview,
)
NODE_TYPES: tuple[type[_Node], ...] = COMPOSITE_TYPES + ATOM_TYPES
