"""Tables of trial conduct (issue 17): set-up, enrolments, visits, adverse events, labs,
efficacy assessments, escalation decisions and the conduct audit trail.

Nothing here is ever deleted or updated in place once written (21 CFR Part 11 style): a
correction is a new row (``version`` + 1 of the same ``*_key``, or ``supersedes_id``) carrying
its reason for change, and every write has a :class:`ConductAudit` row with the values before
and after. The current state of an item is its newest version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cartrial.persistence.models import Base, utcnow

CONDUCT_AUDIT_ACTIONS: tuple[str, ...] = (
    "create",
    "correct",
    "confirm",
    "override",
    "decide",
    "export",
)


class ConductSetup(Base):
    """How a trial is run here: escalation design, dose levels, and (when the protocol gives
    none) the lymphodepletion regimen entered at set-up with its source."""

    __tablename__ = "conduct_setups"
    __table_args__ = (CheckConstraint("design IN ('boin', '3+3')", name="design"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(20), unique=True)
    design: Mapped[str] = mapped_column(String(10))
    target: Mapped[float | None] = mapped_column(Float, default=None)
    cohort_size: Mapped[int] = mapped_column(Integer, default=3)
    n_cohorts: Mapped[int | None] = mapped_column(Integer, default=None)
    dose_levels: Mapped[list[str]] = mapped_column(JSON)
    regimen: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationRecord(Base):
    """One escalation decision with the exact data it used (re-computable from ``snapshot``)."""

    __tablename__ = "conduct_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(20), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    design: Mapped[str] = mapped_column(String(10))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrolment(Base):
    """A workspace patient enrolled into a trial at a dose level, with the planned course."""

    __tablename__ = "conduct_enrolments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trial_id: Mapped[str] = mapped_column(String(20), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    subject_code: Mapped[str] = mapped_column(String(40), unique=True)
    dose_level: Mapped[int] = mapped_column(Integer)
    enrolled_on: Mapped[date] = mapped_column(Date)
    planned_infusion: Mapped[date] = mapped_column(Date)
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("conduct_decisions.id", ondelete="RESTRICT"), default=None
    )
    accepted_by: Mapped[str] = mapped_column(String(80))
    course: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisitMark(Base):
    """A visit marked done or missed; a correction supersedes an earlier mark."""

    __tablename__ = "conduct_visits"
    __table_args__ = (
        CheckConstraint("status IN ('done', 'missed')", name="status"),
        Index("ix_conduct_visits_enrolment_key", "enrolment_id", "visit_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("conduct_enrolments.id"))
    visit_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))
    visit_date: Mapped[date | None] = mapped_column(Date, default=None)
    out_of_window: Mapped[bool] = mapped_column(Boolean, default=False)
    supersedes_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdverseEventVersion(Base):
    """One version of one adverse event (``ae_key``); the newest version is the current one.

    ``computed_grade`` is what the calculator gave from ``observations`` (with ``computed``,
    the whole result); ``investigator_grade`` is the grade the investigator confirmed or set,
    with ``override_reason`` when it differs. Both are always kept.
    """

    __tablename__ = "conduct_adverse_events"
    __table_args__ = (
        UniqueConstraint("ae_key", "version", name="uq_conduct_adverse_events_ae_key_version"),
        CheckConstraint(
            "grade_status IN ('computed', 'confirmed', 'overridden', 'entered')",
            name="grade_status",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ae_key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("conduct_enrolments.id"), index=True)
    term: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    scale: Mapped[str] = mapped_column(String(20))
    onset: Mapped[date] = mapped_column(Date)
    resolution: Mapped[date | None] = mapped_column(Date, default=None)
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    related_ld: Mapped[str] = mapped_column(String(20), default="not_related")
    related_car: Mapped[str] = mapped_column(String(20), default="not_related")
    action: Mapped[str] = mapped_column(String(40), default="none")
    outcome: Mapped[str] = mapped_column(String(40), default="not_recovered")
    observations: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    computed_grade: Mapped[int | None] = mapped_column(Integer, default=None)
    investigator_grade: Mapped[int | None] = mapped_column(Integer, default=None)
    grade_status: Mapped[str] = mapped_column(String(12))
    override_reason: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20), default="form")
    reason_for_change: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def grade(self) -> int | None:
        """The grade that counts: the investigator's when given, else the computed one."""
        return (
            self.investigator_grade
            if self.investigator_grade is not None
            else (self.computed_grade)
        )


class LabValue(Base):
    """A laboratory or kinetics value in the concept's canonical unit (FHIR or typed in)."""

    __tablename__ = "conduct_labs"
    __table_args__ = (Index("ix_conduct_labs_enrolment_analyte", "enrolment_id", "analyte"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("conduct_enrolments.id"))
    analyte: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    effective: Mapped[date] = mapped_column(Date)
    ref_low: Mapped[float | None] = mapped_column(Float, default=None)
    ref_high: Mapped[float | None] = mapped_column(Float, default=None)
    source: Mapped[str] = mapped_column(String(20), default="form")
    source_id: Mapped[str | None] = mapped_column(String(200), default=None)
    supersedes_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class EfficacyAssessment(Base):
    """One version of one instrument assessed at a visit, by its items, with the result."""

    __tablename__ = "conduct_efficacy"
    __table_args__ = (
        UniqueConstraint(
            "assessment_key", "version", name="uq_conduct_efficacy_assessment_key_version"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("conduct_enrolments.id"), index=True)
    visit_key: Mapped[str] = mapped_column(String(80))
    instrument: Mapped[str] = mapped_column(String(40))
    assessed_on: Mapped[date] = mapped_column(Date)
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    category: Mapped[str | None] = mapped_column(String(120), default=None)
    reason_for_change: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConductAudit(Base):
    """Who wrote or changed which conduct record, why, and the values before and after."""

    __tablename__ = "conduct_audit"
    __table_args__ = (
        CheckConstraint(
            "action IN ('create', 'correct', 'confirm', 'override', 'decide', 'export')",
            name="action",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(80))
    trial_id: Mapped[str] = mapped_column(String(20), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
