"""A computable protocol: a trial's metadata plus its inclusion and exclusion criteria."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cartrial.criteria.nodes import Criterion
from cartrial.criteria.walk import assign_ids, iter_nodes
from cartrial.domain.trial import Trial

SCHEMA_VERSION = 1


class DltRule(BaseModel):
    """One dose-limiting-toxicity rule as the protocol states it (graded by ``scale``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str
    text: str
    terms: tuple[str, ...] = ()
    category: str | None = None
    scale: str = "ctcae_v5"
    min_grade: int = Field(ge=1, le=5)
    min_duration_hours: float | None = None
    after_day: int | None = None


class DltDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    window_days: int = Field(gt=0)
    rules: tuple[DltRule, ...] = ()
    source_text: str | None = None


class ProtocolCriteria(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    inclusion: tuple[Criterion, ...] = ()
    exclusion: tuple[Criterion, ...] = ()


class Protocol(BaseModel):
    """``schema_version`` travels with every stored protocol; see :mod:`cartrial.criteria.serde`."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    schema_version: int = SCHEMA_VERSION
    trial: Trial
    screening_window_days: int = Field(default=28, gt=0)
    criteria: ProtocolCriteria
    dlt: DltDefinition | None = None

    @model_validator(mode="after")
    def _assign_ids(self) -> Protocol:
        inc = tuple(
            assign_ids(c, c.id or f"inc-{i}") for i, c in enumerate(self.criteria.inclusion, 1)
        )
        exc = tuple(
            assign_ids(c, c.id or f"exc-{i}") for i, c in enumerate(self.criteria.exclusion, 1)
        )
        seen: set[str] = set()
        for top in inc + exc:
            for node in iter_nodes(top):
                assert node.id is not None
                if node.id in seen:
                    raise ValueError(f"duplicate criterion id {node.id!r}")
                seen.add(node.id)
        object.__setattr__(self, "criteria", ProtocolCriteria(inclusion=inc, exclusion=exc))
        return self

    @property
    def nct_id(self) -> str:
        return self.trial.nct_id

    def sections(self) -> tuple[tuple[str, tuple[Criterion, ...]], ...]:
        return (("inclusion", self.criteria.inclusion), ("exclusion", self.criteria.exclusion))
