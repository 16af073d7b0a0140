"""Dose-limiting toxicity (DLT) assessment against a protocol's DLT definition.

The definition is protocol data (:class:`cartrial.criteria.protocol.DltDefinition`: a window in
days after infusion and a list of :class:`~cartrial.criteria.protocol.DltRule`). A rule matches an
adverse event when all its conditions hold:

* ``scale``: the AE is graded on the same scale (``ctcae_v5`` or ``astct`` for CRS/ICANS);
* ``terms``: the AE term is one of them (case- and spacing-insensitive; empty = any term);
* ``category``: the AE category equals it (e.g. ``crs``, ``icans``, ``hematologic``,
  ``non_hematologic``; None = any);
* ``min_grade``: grade >= min_grade;
* ``min_duration_hours``: the AE lasted **more than** this many hours (resolution - onset; a
  date without a time counts as midnight; an unresolved AE counts up to ``as_of``);
* ``after_day``: the AE is still present after that day post-infusion (resolution date later
  than infusion + after_day, or unresolved on such a date) - e.g. "grade 4 neutropenia beyond
  day 28".

Only AEs with onset inside the window (infusion day to infusion + window_days, inclusive)
count. A patient is ``dlt`` when a rule fired, ``pending`` while the window is not over or a
rule cannot be decided yet (an unresolved AE that may still last long enough), else ``no_dlt``.
:func:`dlt_counts_by_dose` turns assessments into the ``n``/``y`` arrays of the escalation
designs (pending patients are not yet evaluable and are counted apart).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cartrial.criteria.protocol import DltDefinition, DltRule
from cartrial.domain.errors import DataError
from cartrial.domain.timewindow import TimeUnit, shift


class AdverseEvent(BaseModel):
    """One adverse event as recorded: term, grade on ``scale``, onset and resolution."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str = Field(min_length=1)
    grade: int = Field(ge=1, le=5)
    scale: str = "ctcae_v5"
    category: str | None = None
    onset: dt.datetime | dt.date
    resolution: dt.datetime | dt.date | None = None
    id: str | None = None

    @model_validator(mode="after")
    def _resolution_after_onset(self) -> AdverseEvent:
        if self.resolution is not None and _instant(self.resolution) < _instant(self.onset):
            raise ValueError("resolution is before onset")
        return self


def _instant(value: dt.date | dt.datetime) -> dt.datetime:
    """A date counts as midnight; aware datetimes are compared in UTC (naive taken as is)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    return dt.datetime.combine(value, dt.time())


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())


class DltStatus(StrEnum):
    DLT = "dlt"
    NO_DLT = "no_dlt"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule_id: str
    rule_text: str
    event: AdverseEvent
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "rule_text": self.rule_text,
            "event": self.event.model_dump(mode="json"),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class DltAssessment:
    status: DltStatus
    fired: tuple[RuleHit, ...]
    pending: tuple[RuleHit, ...]
    window_end: dt.date
    as_of: dt.date

    @property
    def dlt(self) -> bool:
        return self.status is DltStatus.DLT

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "dlt": self.dlt,
            "fired": [h.to_dict() for h in self.fired],
            "pending": [h.to_dict() for h in self.pending],
            "window_end": self.window_end.isoformat(),
            "as_of": self.as_of.isoformat(),
        }


def _matches(rule: DltRule, ae: AdverseEvent) -> bool:
    if _norm(ae.scale) != _norm(rule.scale):
        return False
    if rule.terms and _norm(ae.term) not in {_norm(t) for t in rule.terms}:
        return False
    if rule.category is not None and (
        ae.category is None or _norm(ae.category) != _norm(rule.category)
    ):
        return False
    return ae.grade >= rule.min_grade


def _check(
    rule: DltRule, ae: AdverseEvent, *, infusion: dt.date, as_of: dt.date
) -> tuple[bool | None, str]:
    """(True: fired, False: not, None: cannot tell yet) and the explanation."""
    parts = [f"{ae.term} grade {ae.grade} ({ae.scale}) from {_day(ae.onset).isoformat()}"]
    decided: bool | None = True
    if rule.min_duration_hours is not None:
        end = _instant(ae.resolution) if ae.resolution is not None else _instant(as_of)
        hours = (end - _instant(ae.onset)).total_seconds() / 3600
        if hours > rule.min_duration_hours:
            parts.append(f"lasted {hours:g} h > {rule.min_duration_hours:g} h")
        elif ae.resolution is None:
            parts.append(f"ongoing for {hours:g} h so far (needs > {rule.min_duration_hours:g} h)")
            decided = None
        else:
            return False, f"lasted {hours:g} h, not > {rule.min_duration_hours:g} h"
    if rule.after_day is not None:
        limit = shift(infusion, rule.after_day, TimeUnit.DAYS)
        if ae.resolution is not None:
            if _day(ae.resolution) > limit:
                parts.append(f"still present after day {rule.after_day} ({limit.isoformat()})")
            else:
                return False, f"resolved by day {rule.after_day}"
        elif as_of > limit:
            parts.append(f"unresolved after day {rule.after_day} ({limit.isoformat()})")
        else:
            parts.append(f"unresolved; day {rule.after_day} ({limit.isoformat()}) not reached yet")
            decided = None
    return decided, "; ".join(parts)


def assess_dlt(
    definition: DltDefinition,
    events: Sequence[AdverseEvent],
    *,
    infusion_date: dt.date,
    as_of: dt.date,
) -> DltAssessment:
    """DLT yes / no / pending for one patient, with every rule that fired (``as_of`` explicit)."""
    if infusion_date is None:
        raise DataError("is required", field="infusion_date")
    window_end = shift(infusion_date, definition.window_days, TimeUnit.DAYS)
    fired: list[RuleHit] = []
    pending: list[RuleHit] = []
    for ae in events:
        onset_day = _day(ae.onset)
        if not infusion_date <= onset_day <= window_end:
            continue
        for rule in definition.rules:
            if not _matches(rule, ae):
                continue
            outcome, detail = _check(rule, ae, infusion=infusion_date, as_of=as_of)
            if outcome is True:
                fired.append(RuleHit(rule.id, rule.text, ae, detail))
            elif outcome is None:
                pending.append(RuleHit(rule.id, rule.text, ae, detail))
    if fired:
        status = DltStatus.DLT
    elif pending or as_of < window_end:
        status = DltStatus.PENDING
    else:
        status = DltStatus.NO_DLT
    return DltAssessment(
        status=status,
        fired=tuple(fired),
        pending=tuple(pending),
        window_end=window_end,
        as_of=as_of,
    )


@dataclass(frozen=True, slots=True)
class DltCounts:
    """Per dose level (0-based index): evaluable patients ``n``, with DLT ``y``, ``pending``."""

    n: tuple[int, ...]
    y: tuple[int, ...]
    pending: tuple[int, ...]


def dlt_counts_by_dose(
    assessments: Iterable[tuple[int, DltAssessment]], *, n_doses: int
) -> DltCounts:
    """Counts for the escalation design from ``(dose index, assessment)`` pairs (0-based)."""
    if n_doses < 1:
        raise DataError("must be at least 1", field="n_doses")
    n = [0] * n_doses
    y = [0] * n_doses
    pending = [0] * n_doses
    for dose, assessment in assessments:
        if isinstance(dose, bool) or not isinstance(dose, int) or not 0 <= dose < n_doses:
            raise DataError(f"dose index {dose!r} is outside 0..{n_doses - 1}", field="dose")
        if assessment.status is DltStatus.PENDING:
            pending[dose] += 1
            continue
        n[dose] += 1
        y[dose] += int(assessment.dlt)
    return DltCounts(n=tuple(n), y=tuple(y), pending=tuple(pending))


EXAMPLE_DLT_DEFINITION = DltDefinition(
    window_days=28,
    rules=(
        DltRule(
            id="crs-3", text="CRS grade >= 3 (ASTCT)", category="crs", scale="astct", min_grade=3
        ),
        DltRule(
            id="icans-3",
            text="ICANS grade >= 3 (ASTCT)",
            category="icans",
            scale="astct",
            min_grade=3,
        ),
        DltRule(
            id="nonheme-3-72h",
            text="any grade >= 3 non-haematological adverse event lasting > 72 h",
            category="non_hematologic",
            min_grade=3,
            min_duration_hours=72,
        ),
        DltRule(
            id="neutropenia-4-d28",
            text="grade 4 neutropenia beyond day 28",
            terms=("neutrophil count decreased", "neutropenia"),
            min_grade=4,
            after_day=28,
        ),
    ),
    source_text=(
        "Example rules from the project issue (not from a trial text): DLT window 28 days; CRS or "
        "ICANS grade >= 3; any grade >= 3 non-haematological AE lasting > 72 h; grade 4 "
        "neutropenia beyond day 28."
    ),
)
