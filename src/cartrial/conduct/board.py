"""The DLT board: the protocol's DLT definition applied to each treated patient's adverse
events (:func:`cartrial.schedule.assess_dlt`), DLT-evaluable patients and DLTs per dose level,
and the escalation design's decision from those counts.

A decision is reproducible: :func:`snapshot` holds every event and parameter it used, and
:func:`decide_snapshot` recomputes the decision from the snapshot alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cartrial.criteria.protocol import DltDefinition
from cartrial.designs import Boin, Decision, ThreePlusThree
from cartrial.designs.base import DoseEscalationDesign
from cartrial.domain.errors import DataError
from cartrial.schedule.dlt import (
    EXAMPLE_DLT_DEFINITION,
    AdverseEvent,
    DltAssessment,
    DltCounts,
    assess_dlt,
    dlt_counts_by_dose,
)

EXAMPLE_LABEL = (
    "example DLT rules, not from a trial: the protocol file has no DLT definition "
    "(schedule/dlt.py EXAMPLE_DLT_DEFINITION)"
)


@dataclass(frozen=True)
class DesignParams:
    design: str
    target: float | None
    cohort_size: int
    n_cohorts: int | None
    n_levels: int

    def build(self) -> DoseEscalationDesign:
        if self.design == "3+3":
            return ThreePlusThree(n_cohorts=self.n_cohorts)
        if self.target is None:
            raise DataError("BOIN needs a target DLT rate", field="target")
        return Boin(self.target, cohort_size=self.cohort_size, n_cohorts=self.n_cohorts or 10)

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "target": self.target,
            "cohort_size": self.cohort_size,
            "n_cohorts": self.n_cohorts,
            "n_levels": self.n_levels,
        }


@dataclass(frozen=True)
class PatientInput:
    """What the board needs of one enrolment."""

    subject: str
    dose_level: int
    """1-based."""
    infusion: dt.date | None
    events: tuple[AdverseEvent, ...]


@dataclass(frozen=True)
class BoardRow:
    subject: str
    dose_level: int
    infusion: dt.date | None
    assessment: DltAssessment | None

    @property
    def status(self) -> str:
        return "not_infused" if self.assessment is None else self.assessment.status.value


@dataclass(frozen=True)
class Board:
    as_of: dt.date
    definition: DltDefinition
    definition_label: str
    params: DesignParams
    rows: tuple[BoardRow, ...]
    counts: DltCounts
    current_level: int | None
    decision: Decision | None
    note: str | None
    inputs: tuple[PatientInput, ...]


def dlt_definition(protocol_dlt: DltDefinition | None) -> tuple[DltDefinition, str]:
    """The protocol's DLT definition, else the example rules with their label."""
    if protocol_dlt is not None:
        return protocol_dlt, "the protocol's DLT definition"
    return EXAMPLE_DLT_DEFINITION, EXAMPLE_LABEL


def _current_level(patients: Sequence[PatientInput]) -> int | None:
    """The level the last cohort received: that of the latest infusion."""
    infused = [(p.infusion, i, p.dose_level) for i, p in enumerate(patients) if p.infusion]
    return max(infused)[2] if infused else None


def build_board(
    patients: Sequence[PatientInput],
    *,
    definition: DltDefinition,
    definition_label: str,
    params: DesignParams,
    as_of: dt.date,
) -> Board:
    rows: list[BoardRow] = []
    pairs: list[tuple[int, DltAssessment]] = []
    for p in patients:
        if not 1 <= p.dose_level <= params.n_levels:
            raise DataError(
                f"{p.subject}: dose level {p.dose_level} is outside 1..{params.n_levels}",
                field="dose_level",
            )
        if p.infusion is None or p.infusion > as_of:
            rows.append(BoardRow(p.subject, p.dose_level, p.infusion, None))
            continue
        assessment = assess_dlt(definition, p.events, infusion_date=p.infusion, as_of=as_of)
        rows.append(BoardRow(p.subject, p.dose_level, p.infusion, assessment))
        pairs.append((p.dose_level - 1, assessment))
    counts = dlt_counts_by_dose(pairs, n_doses=params.n_levels)
    current = _current_level([p for p in patients if p.infusion and p.infusion <= as_of])
    decision: Decision | None = None
    note: str | None = None
    if current is None:
        note = "no patient infused yet: the first cohort starts at level 1"
    else:
        try:
            decision = params.build().decide(list(counts.n), list(counts.y), current - 1)
        except DataError as exc:
            note = f"no decision yet: {exc}"
    return Board(
        as_of=as_of,
        definition=definition,
        definition_label=definition_label,
        params=params,
        rows=tuple(rows),
        counts=counts,
        current_level=current,
        decision=decision,
        note=note,
        inputs=tuple(patients),
    )


def snapshot(board: Board) -> dict[str, Any]:
    """Everything the decision used, as JSON: re-computable with :func:`decide_snapshot`."""
    return {
        "as_of": board.as_of.isoformat(),
        "params": board.params.to_dict(),
        "definition": board.definition.model_dump(mode="json"),
        "definition_label": board.definition_label,
        "patients": [
            {
                "subject": p.subject,
                "dose_level": p.dose_level,
                "infusion": p.infusion.isoformat() if p.infusion else None,
                "events": [e.model_dump(mode="json") for e in p.events],
            }
            for p in board.inputs
        ],
        "n": list(board.counts.n),
        "y": list(board.counts.y),
        "pending": list(board.counts.pending),
        "current_level": board.current_level,
    }


def board_from_snapshot(data: Mapping[str, Any]) -> Board:
    """Rebuild the board (and so the decision) from a stored snapshot."""
    params = DesignParams(**data["params"])
    patients = [
        PatientInput(
            subject=p["subject"],
            dose_level=p["dose_level"],
            infusion=dt.date.fromisoformat(p["infusion"]) if p["infusion"] else None,
            events=tuple(AdverseEvent.model_validate(e) for e in p["events"]),
        )
        for p in data["patients"]
    ]
    return build_board(
        patients,
        definition=DltDefinition.model_validate(data["definition"]),
        definition_label=data["definition_label"],
        params=params,
        as_of=dt.date.fromisoformat(data["as_of"]),
    )


def decide_snapshot(data: Mapping[str, Any]) -> Decision | None:
    return board_from_snapshot(data).decision
