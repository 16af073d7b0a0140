"""The conduct records: the only code that queries the conduct tables, and the use cases that
write them (each write audited with its reason, nothing deleted, corrections appended).

Like the other repositories it never commits: the caller's transaction (one per request, or
the CLI's ``sessions.begin()``) does, so nothing is half-stored when a step fails.

Site scoping: enrolments are read joined to their workspace patient, so the session's site
scope (:mod:`cartrial.persistence.scope`, which filters ``patients`` rows) hides another site's
enrolments and everything reached through them (404). Only the DLT counts per dose level, which
the escalation decision needs trial-wide, are taken over every site
(:meth:`ConductStore.all_enrolments`): numbers, no patient rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cartrial.calculators.registry import run_calculator
from cartrial.conduct.grading import LAB_TERMS, anc_series_per_ul, grade_event, lab_grade
from cartrial.conduct.terms import AeTerm, ae_term, term_for_calculator
from cartrial.domain.errors import DataError
from cartrial.domain.patient import Patient
from cartrial.domain.trial import LymphodepletionRegimen, Trial
from cartrial.persistence.conduct_models import (
    AdverseEventVersion,
    ConductAudit,
    ConductSetup,
    EfficacyAssessment,
    Enrolment,
    EscalationRecord,
    LabValue,
    VisitMark,
)
from cartrial.persistence.models import PatientRecord, User
from cartrial.persistence.repositories import Audit
from cartrial.schedule.course import plan_patient_course

RELATEDNESS = ("not_related", "unlikely", "possible", "probable", "definite")
ACTIONS = ("none", "treatment_given", "dose_not_changed", "hospitalisation", "other")
OUTCOMES = ("recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal")
KINETICS_ANALYTES: dict[str, str] = {
    "cd19_abs": "/uL",
    "car_copies": "copies/ug DNA",
    "car_cells": "/uL",
    "igg": "mg/dL",
    "anti_dsdna": "[IU]/mL",
    "anc": "10*9/L",
    "platelets": "10*9/L",
    "hemoglobin": "g/dL",
    "alc": "10*9/L",
    "wbc": "10*9/L",
    "alt": "U/L",
    "ast": "U/L",
    "bilirubin_total": "mg/dL",
    "creatinine": "mg/dL",
}
"""Analytes stored per enrolment, in the canonical unit of the vocabulary (``car_copies`` and
``car_cells`` have no LOINC code: entered by hand)."""


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DataError(f"a reason for the change is required ({what})", field="reason")
    return text[:500]


def _choice(value: str, options: tuple[str, ...], field: str) -> str:
    if value not in options:
        raise DataError(f"{value!r} is not one of {', '.join(options)}", field=field)
    return value


def _grade(value: int | None, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise DataError(f"must be a grade from 1 to 5, got {value!r}", field=field)
    return value


def ae_view(ae: AdverseEventVersion) -> dict[str, Any]:
    """The audited values of one AE version."""
    return {
        "version": ae.version,
        "term": ae.term,
        "onset": ae.onset.isoformat(),
        "resolution": ae.resolution.isoformat() if ae.resolution else None,
        "serious": ae.serious,
        "related_ld": ae.related_ld,
        "related_car": ae.related_car,
        "action": ae.action,
        "outcome": ae.outcome,
        "observations": ae.observations,
        "computed_grade": ae.computed_grade,
        "investigator_grade": ae.investigator_grade,
        "grade_status": ae.grade_status,
        "override_reason": ae.override_reason,
    }


@dataclass(frozen=True)
class VisitRow:
    key: str
    kind: str
    name: str
    day: int
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    doses: list[dict[str, Any]]
    mark: VisitMark | None


@dataclass(frozen=True)
class EfficacyRow:
    assessment: EfficacyAssessment
    baseline: EfficacyAssessment | None
    change: float | None


class ConductStore:
    def __init__(self, db: Session, user: User | None) -> None:
        self.db = db
        self.user = user
        self.username = user.username if user else "system"

    # -------------------------------------------------------------- audit
    def _audit(
        self,
        trial_id: str,
        entity: str,
        key: str,
        action: str,
        *,
        enrolment: Enrolment | None = None,
        reason: str = "",
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.db.add(
            ConductAudit(
                username=self.username,
                trial_id=trial_id,
                enrolment_id=enrolment.id if enrolment else None,
                entity=entity,
                entity_key=key[:80],
                action=action,
                reason=reason[:500],
                before=before,
                after=after,
            )
        )
        if enrolment is not None:  # the workspace-wide trail of who touched which patient
            verb = "create" if action == "create" else "update"
            Audit(self.db).record(
                self.user, verb, enrolment.patient_id, f"conduct: {entity} {action}"
            )
        self.db.flush()

    def audit_trail(
        self, trial_id: str, *, enrolment_id: int | None = None, entity_key: str | None = None
    ) -> Sequence[ConductAudit]:
        visible = (
            self._scoped().where(Enrolment.trial_id == trial_id).with_only_columns(Enrolment.id)
        )
        stmt = select(ConductAudit).where(
            ConductAudit.trial_id == trial_id,
            ConductAudit.enrolment_id.is_(None) | ConductAudit.enrolment_id.in_(visible),
        )
        if enrolment_id is not None:
            stmt = stmt.where(ConductAudit.enrolment_id == enrolment_id)
        if entity_key is not None:
            stmt = stmt.where(ConductAudit.entity_key == entity_key)
        return self.db.scalars(stmt.order_by(ConductAudit.id)).all()

    # -------------------------------------------------------------- set-up
    def setup(self, trial_id: str) -> ConductSetup | None:
        return self.db.scalar(select(ConductSetup).where(ConductSetup.trial_id == trial_id))

    def create_setup(
        self,
        trial: Trial,
        *,
        design: str,
        target: float | None,
        cohort_size: int,
        dose_levels: Sequence[str],
        n_cohorts: int | None = None,
        regimen: LymphodepletionRegimen | None = None,
    ) -> ConductSetup:
        """Set a trial up for conduct once. A regimen may be given only when the protocol has
        none, and must say where its doses come from (``source_text``)."""
        if self.setup(trial.nct_id) is not None:
            raise DataError(f"{trial.nct_id} is already set up for conduct", field="trial")
        _choice(design, ("boin", "3+3"), "design")
        if design == "boin" and (target is None or not 0 < target < 1):
            raise DataError("BOIN needs a target DLT rate strictly between 0 and 1", field="target")
        labels = [str(x).strip() for x in dose_levels if str(x).strip()]
        if not labels:
            raise DataError("give at least one dose level", field="dose_levels")
        if regimen is not None:
            if trial.lymphodepletion is not None:
                raise DataError(
                    "the protocol gives its own lymphodepletion regimen", field="regimen"
                )
            if not (regimen.source_text or "").strip():
                raise DataError("say where the regimen's doses come from", field="regimen")
        row = ConductSetup(
            trial_id=trial.nct_id,
            design=design,
            target=target if design == "boin" else None,
            cohort_size=cohort_size,
            n_cohorts=n_cohorts,
            dose_levels=labels,
            regimen=None if regimen is None else regimen.model_dump(mode="json"),
            created_by=self.username,
        )
        self.db.add(row)
        self.db.flush()
        self._audit(
            trial.nct_id,
            "setup",
            trial.nct_id,
            "create",
            after={
                "design": design,
                "target": target,
                "dose_levels": labels,
                "regimen": row.regimen,
            },
        )
        return row

    @staticmethod
    def trial_for_conduct(trial: Trial, setup: ConductSetup | None) -> Trial:
        """The trial with the set-up's regimen when the protocol has none."""
        if setup is None or setup.regimen is None or trial.lymphodepletion is not None:
            return trial
        regimen = LymphodepletionRegimen.model_validate(setup.regimen)
        return trial.model_copy(update={"lymphodepletion": regimen})

    # -------------------------------------------------------------- enrolment
    @staticmethod
    def _scoped() -> Select[tuple[Enrolment]]:
        """Enrolments joined to their patient: the session's site scope applies."""
        return select(Enrolment).join(PatientRecord, PatientRecord.id == Enrolment.patient_id)

    def _enrolment_query(self, trial_id: str) -> Select[tuple[Enrolment]]:
        return self._scoped().where(Enrolment.trial_id == trial_id)

    def enrolments(self, trial_id: str) -> Sequence[Enrolment]:
        """The trial's enrolments the session may see (its site's, or all for an admin)."""
        return self.db.scalars(self._enrolment_query(trial_id).order_by(Enrolment.id)).all()

    def all_enrolments(self, trial_id: str) -> Sequence[Enrolment]:
        """Every site's enrolments, for the trial-wide DLT counts only (never shown)."""
        stmt = select(Enrolment).where(Enrolment.trial_id == trial_id).order_by(Enrolment.id)
        return self.db.scalars(stmt).all()

    def enrolment(self, enrolment_id: int) -> Enrolment | None:
        return self.db.scalar(self._scoped().where(Enrolment.id == enrolment_id))

    def enrol(
        self,
        trial: Trial,
        record: PatientRecord,
        patient: Patient,
        *,
        dose_level: int,
        planned_infusion: dt.date,
        enrolled_on: dt.date,
        decision: EscalationRecord | None = None,
    ) -> Enrolment:
        """Enrol a workspace patient at ``dose_level`` (1-based) and plan the course (doses from
        BSA and CrCl on the first lymphodepletion day). The escalation decision followed, if
        any, is recorded with who accepted it (the current user)."""
        setup = self.setup(trial.nct_id)
        if setup is None:
            raise DataError(f"{trial.nct_id} is not set up for conduct", field="trial")
        if not 1 <= dose_level <= len(setup.dose_levels):
            raise DataError(
                f"dose level must be 1 to {len(setup.dose_levels)}, got {dose_level}",
                field="dose_level",
            )
        if planned_infusion < enrolled_on:
            raise DataError(
                "the infusion cannot be planned before enrolment", field="planned_infusion"
            )
        already = self.db.scalar(
            select(Enrolment).where(
                Enrolment.trial_id == trial.nct_id, Enrolment.patient_id == record.id
            )
        )
        if already is not None:
            raise DataError(
                f"this patient is already enrolled as {already.subject_code}", field="patient"
            )
        plan = plan_patient_course(self.trial_for_conduct(trial, setup), patient, planned_infusion)
        count = int(
            self.db.scalar(
                select(func.count())
                .select_from(Enrolment)
                .where(Enrolment.trial_id == trial.nct_id)
            )
            or 0
        )
        row = Enrolment(
            trial_id=trial.nct_id,
            patient_id=record.id,
            subject_code=f"{trial.nct_id}-{count + 1:03d}",
            dose_level=dose_level,
            enrolled_on=enrolled_on,
            planned_infusion=planned_infusion,
            decision_id=decision.id if decision else None,
            accepted_by=self.username,
            course=plan.to_dict(),
        )
        self.db.add(row)
        self.db.flush()
        self._audit(
            trial.nct_id,
            "enrolment",
            row.subject_code,
            "create",
            enrolment=row,
            after={
                "dose_level": dose_level,
                "planned_infusion": planned_infusion.isoformat(),
                "decision_id": row.decision_id,
                "decided_level": None if decision is None else decision.decision.get("next_level"),
                "follows_decision": None
                if decision is None
                else decision.decision.get("next_level") == dose_level,
                "accepted_by": self.username,
            },
        )
        return row

    # -------------------------------------------------------------- visits
    def visit_marks(self, enrolment: Enrolment) -> dict[str, VisitMark]:
        """The current mark of each visit (the newest row per visit key)."""
        rows = self.db.scalars(
            select(VisitMark).where(VisitMark.enrolment_id == enrolment.id).order_by(VisitMark.id)
        ).all()
        return {r.visit_key: r for r in rows}

    def visits(self, enrolment: Enrolment) -> list[VisitRow]:
        marks = self.visit_marks(enrolment)
        out = []
        for ev in enrolment.course["events"]:
            if ev["kind"] not in ("lymphodepletion", "infusion", "visit"):
                continue
            out.append(
                VisitRow(
                    key=ev["key"],
                    kind=ev["kind"],
                    name=ev["name"],
                    day=ev["day"],
                    date=dt.date.fromisoformat(ev["date"]),
                    window_start=dt.date.fromisoformat(ev["window_start"]),
                    window_end=dt.date.fromisoformat(ev["window_end"]),
                    doses=ev.get("doses", []),
                    mark=marks.get(ev["key"]),
                )
            )
        return out

    def mark_visit(
        self,
        enrolment: Enrolment,
        visit_key: str,
        *,
        status: str,
        visit_date: dt.date | None,
        reason: str = "",
    ) -> VisitMark:
        """Mark a visit done (with its date) or missed; outside its window it is flagged.
        Re-marking a visit is a correction and needs a reason."""
        _choice(status, ("done", "missed"), "status")
        event = next((e for e in enrolment.course["events"] if e["key"] == visit_key), None)
        if event is None:
            raise DataError(f"the course has no visit {visit_key!r}", field="visit_key")
        if status == "done" and visit_date is None:
            raise DataError("give the date the visit took place", field="visit_date")
        previous = self.visit_marks(enrolment).get(visit_key)
        if previous is not None:
            reason = _reason(reason, "the visit was already marked")
        out = False
        if visit_date is not None:
            out = not (
                dt.date.fromisoformat(event["window_start"])
                <= visit_date
                <= dt.date.fromisoformat(event["window_end"])
            )
        row = VisitMark(
            enrolment_id=enrolment.id,
            visit_key=visit_key,
            status=status,
            visit_date=visit_date if status == "done" else None,
            out_of_window=out and status == "done",
            supersedes_id=previous.id if previous else None,
            reason=reason,
            recorded_by=self.username,
        )
        self.db.add(row)
        self.db.flush()
        self._audit(
            enrolment.trial_id,
            "visit",
            f"{enrolment.subject_code}/{visit_key}",
            "correct" if previous else "create",
            enrolment=enrolment,
            reason=reason,
            before=None
            if previous is None
            else {
                "status": previous.status,
                "date": previous.visit_date.isoformat() if previous.visit_date else None,
            },
            after={
                "status": status,
                "date": visit_date.isoformat() if visit_date else None,
                "out_of_window": row.out_of_window,
            },
        )
        return row

    def infusion_date(self, enrolment: Enrolment) -> dt.date | None:
        """The actual infusion date: the infusion visit marked done (None before that)."""
        mark = self.visit_marks(enrolment).get("infusion")
        return mark.visit_date if mark is not None and mark.status == "done" else None

    @staticmethod
    def treatment_start(enrolment: Enrolment, infusion: dt.date) -> dt.date:
        """First day of study treatment: the first lymphodepletion day (else the infusion)."""
        ld_days = [e["day"] for e in enrolment.course["events"] if e["kind"] == "lymphodepletion"]
        return infusion + dt.timedelta(days=min(ld_days)) if ld_days else infusion

    # -------------------------------------------------------------- adverse events
    def _ae_versions(self, ae_key: str) -> Sequence[AdverseEventVersion]:
        return self.db.scalars(
            select(AdverseEventVersion)
            .where(AdverseEventVersion.ae_key == ae_key)
            .order_by(AdverseEventVersion.version)
        ).all()

    def ae(self, ae_key: str) -> AdverseEventVersion | None:
        versions = self._ae_versions(ae_key)
        return versions[-1] if versions else None

    def ae_history(self, ae_key: str) -> Sequence[AdverseEventVersion]:
        return self._ae_versions(ae_key)

    def current_aes(self, enrolment_ids: Iterable[int]) -> list[AdverseEventVersion]:
        """The newest version of every AE of these enrolments, by onset."""
        ids = list(enrolment_ids)
        if not ids:
            return []
        latest = (
            select(AdverseEventVersion.ae_key, func.max(AdverseEventVersion.version).label("v"))
            .where(AdverseEventVersion.enrolment_id.in_(ids))
            .group_by(AdverseEventVersion.ae_key)
            .subquery()
        )
        stmt = (
            select(AdverseEventVersion)
            .join(
                latest,
                (AdverseEventVersion.ae_key == latest.c.ae_key)
                & (AdverseEventVersion.version == latest.c.v),
            )
            .order_by(AdverseEventVersion.onset, AdverseEventVersion.id)
        )
        return list(self.db.scalars(stmt).all())

    def _observations_for(
        self, enrolment: Enrolment, term: AeTerm, observations: Mapping[str, Any]
    ) -> dict[str, Any]:
        obs = dict(observations)
        if term.calculator == "icaht_grade_from_series" and not obs.get("anc_per_ul_by_day"):
            infusion = self.infusion_date(enrolment)
            if infusion is None:
                raise DataError(
                    "ICAHT is counted from the infusion: mark the infusion done first",
                    field="anc_per_ul_by_day",
                )
            series = anc_series_per_ul(
                ((lab.effective, lab.value) for lab in self.labs(enrolment, "anc")),
                infusion=infusion,
            )
            if not series:
                raise DataError(
                    "no ANC values after the infusion are stored", field="anc_per_ul_by_day"
                )
            obs["anc_per_ul_by_day"] = {str(k): v for k, v in sorted(series.items())}
        return obs

    @staticmethod
    def _grades(
        term: AeTerm,
        observations: Mapping[str, Any],
        investigator_grade: int | None,
        override_reason: str,
    ) -> tuple[dict[str, Any] | None, int | None, int | None, str, str]:
        result = grade_event(term, observations)
        computed = None if result is None else result.to_json_dict()
        computed_grade: int | None = None
        if (
            result is not None
            and isinstance(result.value, int)
            and not isinstance(result.value, bool)
        ):
            computed_grade = result.value
        inv = _grade(investigator_grade, "investigator_grade")
        if result is None:
            if inv is None:
                raise DataError(
                    f"{term.term} has no calculator: enter the grade", field="investigator_grade"
                )
            return computed, None, inv, "entered", ""
        if inv is None:
            if computed_grade is None:
                raise DataError(
                    f"the grade cannot be computed from these observations ({result.category}): "
                    "enter the grade with a reason",
                    field="investigator_grade",
                )
            if computed_grade == 0:
                raise DataError(
                    f"these observations grade as 0 ({result.category}): not an adverse event "
                    "of this term; enter the grade with a reason to record it anyway",
                    field="investigator_grade",
                )
            return computed, computed_grade, None, "computed", ""
        if inv == computed_grade:
            return computed, computed_grade, inv, "confirmed", ""
        return (
            computed,
            computed_grade,
            inv,
            "overridden",
            _reason(override_reason, "grade override"),
        )

    def record_ae(
        self,
        enrolment: Enrolment,
        *,
        term: str,
        onset: dt.date,
        observations: Mapping[str, Any] | None = None,
        resolution: dt.date | None = None,
        serious: bool = False,
        related_ld: str = "not_related",
        related_car: str = "not_related",
        action: str = "none",
        outcome: str = "not_recovered",
        investigator_grade: int | None = None,
        override_reason: str = "",
        source: str = "form",
    ) -> AdverseEventVersion:
        """A new adverse event graded from its observations by the term's calculator."""
        t = ae_term(term)
        if resolution is not None and resolution < onset:
            raise DataError("resolution is before onset", field="resolution")
        _choice(related_ld, RELATEDNESS, "related_ld")
        _choice(related_car, RELATEDNESS, "related_car")
        _choice(action, ACTIONS, "action")
        _choice(outcome, OUTCOMES, "outcome")
        obs = self._observations_for(enrolment, t, observations or {})
        computed, cgrade, igrade, status, why = self._grades(
            t, obs, investigator_grade, override_reason
        )
        row = AdverseEventVersion(
            ae_key=uuid.uuid4().hex[:16],
            version=1,
            enrolment_id=enrolment.id,
            term=t.term,
            category=t.category,
            scale=t.scale,
            onset=onset,
            resolution=resolution,
            serious=serious,
            related_ld=related_ld,
            related_car=related_car,
            action=action,
            outcome=outcome,
            observations=obs,
            computed=computed,
            computed_grade=cgrade,
            investigator_grade=igrade,
            grade_status=status,
            override_reason=why,
            source=source,
            recorded_by=self.username,
        )
        self.db.add(row)
        self.db.flush()
        self._audit(
            enrolment.trial_id,
            "adverse_event",
            row.ae_key,
            "override" if status == "overridden" else "create",
            enrolment=enrolment,
            reason=why,
            after=ae_view(row),
        )
        return row

    def _new_version(self, old: AdverseEventVersion, **changes: Any) -> AdverseEventVersion:
        values = {
            c.key: getattr(old, c.key)
            for c in AdverseEventVersion.__table__.columns
            if c.key not in ("id", "recorded_at")
        }
        values.update(changes)
        values["version"] = old.version + 1
        values["recorded_by"] = self.username
        row = AdverseEventVersion(**values)
        self.db.add(row)
        self.db.flush()
        return row

    def confirm_grade(
        self, ae_key: str, *, investigator_grade: int, reason: str = ""
    ) -> AdverseEventVersion:
        """The investigator confirms the computed grade or overrides it (reason required);
        the computed grade stays in the record beside the investigator's."""
        old = self.ae(ae_key)
        if old is None:
            raise DataError(f"there is no adverse event {ae_key!r}", field="ae")
        inv = _grade(investigator_grade, "investigator_grade")
        if old.computed_grade is not None and inv == old.computed_grade:
            status, why = "confirmed", reason.strip()[:500]
        elif old.computed_grade is None:
            status, why = "entered", _reason(reason, "grade change")
        else:
            status, why = "overridden", _reason(reason, "grade override")
        row = self._new_version(
            old,
            investigator_grade=inv,
            grade_status=status,
            override_reason=why,
            reason_for_change=why or "grade confirmed",
        )
        enrolment = self.db.get(Enrolment, old.enrolment_id)
        assert enrolment is not None
        self._audit(
            enrolment.trial_id,
            "adverse_event",
            ae_key,
            "override" if status == "overridden" else "confirm",
            enrolment=enrolment,
            reason=why,
            before=ae_view(old),
            after=ae_view(row),
        )
        return row

    def correct_ae(self, ae_key: str, *, reason: str, **changes: Any) -> AdverseEventVersion:
        """A correction of an AE's facts (dates, seriousness, relatedness, observations...):
        a new version with the reason; observations are re-graded."""
        old = self.ae(ae_key)
        if old is None:
            raise DataError(f"there is no adverse event {ae_key!r}", field="ae")
        why = _reason(reason, "correction")
        allowed = {
            "onset",
            "resolution",
            "serious",
            "related_ld",
            "related_car",
            "action",
            "outcome",
            "observations",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise DataError(f"cannot correct {', '.join(sorted(unknown))}", field="changes")
        updates: dict[str, Any] = dict(changes)
        if "observations" in changes:
            enrolment = self.db.get(Enrolment, old.enrolment_id)
            assert enrolment is not None
            t = ae_term(old.term)
            obs = self._observations_for(enrolment, t, changes["observations"])
            result = grade_event(t, obs)
            updates["observations"] = obs
            updates["computed"] = None if result is None else result.to_json_dict()
            if result is not None and isinstance(result.value, int):
                updates["computed_grade"] = result.value
                if old.investigator_grade is not None:
                    updates["grade_status"] = (
                        "confirmed" if old.investigator_grade == result.value else "overridden"
                    )
        res, ons = updates.get("resolution", old.resolution), updates.get("onset", old.onset)
        if res is not None and res < ons:
            raise DataError("resolution is before onset", field="resolution")
        row = self._new_version(old, reason_for_change=why, **updates)
        enrolment = self.db.get(Enrolment, old.enrolment_id)
        assert enrolment is not None
        self._audit(
            enrolment.trial_id,
            "adverse_event",
            ae_key,
            "correct",
            enrolment=enrolment,
            reason=why,
            before=ae_view(old),
            after=ae_view(row),
        )
        return row

    # -------------------------------------------------------------- labs
    def labs(self, enrolment: Enrolment, analyte: str | None = None) -> list[LabValue]:
        """Current lab values (a corrected value replaces the one it supersedes), by date."""
        stmt = select(LabValue).where(LabValue.enrolment_id == enrolment.id)
        if analyte is not None:
            stmt = stmt.where(LabValue.analyte == analyte)
        rows = self.db.scalars(stmt.order_by(LabValue.effective, LabValue.id)).all()
        superseded = {r.supersedes_id for r in rows if r.supersedes_id is not None}
        return [r for r in rows if r.id not in superseded]

    def add_labs(
        self,
        enrolment: Enrolment,
        values: Iterable[tuple[str, float, str, dt.date, float | None, float | None, str | None]],
        *,
        source: str,
    ) -> list[tuple[LabValue, AdverseEventVersion | None]]:
        """Store lab values ``(analyte, value, unit, date, ref_low, ref_high, source_id)`` in
        the analyte's canonical unit and grade each gradable one at once: a grade >= 1 opens an
        adverse event of the CTCAE term (or raises the grade of the open one, as a new version),
        a grade 0 resolves the open lab-sourced event of that term."""
        out: list[tuple[LabValue, AdverseEventVersion | None]] = []
        for analyte, value, unit, when, low, high, source_id in values:
            expected = KINETICS_ANALYTES.get(analyte)
            if expected is None:
                raise DataError(f"{analyte!r} is not a stored analyte", field="analyte")
            if unit != expected:
                raise DataError(f"{analyte} must be in {expected}, got {unit!r}", field="unit")
            lab = LabValue(
                enrolment_id=enrolment.id,
                analyte=analyte,
                value=value,
                unit=unit,
                effective=when,
                ref_low=low,
                ref_high=high,
                source=source,
                source_id=source_id,
                recorded_by=self.username,
            )
            self.db.add(lab)
            self.db.flush()
            self._audit(
                enrolment.trial_id,
                "lab",
                f"{enrolment.subject_code}/{analyte}/{lab.id}",
                "create",
                enrolment=enrolment,
                after={
                    "analyte": analyte,
                    "value": value,
                    "unit": unit,
                    "date": when.isoformat(),
                    "source": source,
                },
            )
            out.append((lab, self._grade_lab(enrolment, lab)))
        return out

    def _baseline_lab(self, enrolment: Enrolment, analyte: str) -> float | None:
        infusion = self.infusion_date(enrolment) or enrolment.planned_infusion
        start = self.treatment_start(enrolment, infusion)
        before = [lab for lab in self.labs(enrolment, analyte) if lab.effective < start]
        return before[-1].value if before else None

    def _grade_lab(self, enrolment: Enrolment, lab: LabValue) -> AdverseEventVersion | None:
        if lab.analyte not in LAB_TERMS:
            return None
        infusion = self.infusion_date(enrolment) or enrolment.planned_infusion
        if lab.effective < self.treatment_start(enrolment, infusion):
            return None  # a baseline value, not an adverse event
        try:
            graded = lab_grade(
                lab.analyte,
                lab.value,
                ref_low=lab.ref_low,
                ref_high=lab.ref_high,
                baseline=self._baseline_lab(enrolment, lab.analyte),
            )
        except DataError:
            return None  # no ULN on the value: shown ungraded, never guessed
        if graded is None:
            return None
        inputs, result = graded
        if not isinstance(result.value, int):
            return None  # e.g. "grade 0 or 1" without an LLN: not opened automatically
        term = term_for_calculator(LAB_TERMS[lab.analyte][0])
        open_ae = next(
            (
                ae
                for ae in self.current_aes([enrolment.id])
                if ae.term == term.term and ae.source == "lab" and ae.resolution is None
            ),
            None,
        )
        grade = result.value
        if grade == 0:
            if open_ae is None:
                return None
            return self._lab_version(
                enrolment, open_ae, lab, resolution=lab.effective, outcome="recovered"
            )
        if open_ae is None:
            return self.record_ae(
                enrolment, term=term.term, onset=lab.effective, observations=inputs, source="lab"
            )
        if open_ae.computed_grade is not None and grade <= open_ae.computed_grade:
            return None
        return self._lab_version(
            enrolment,
            open_ae,
            lab,
            computed_grade=grade,
            computed=result.to_json_dict(),
            observations=inputs,
        )

    def _lab_version(
        self, enrolment: Enrolment, old: AdverseEventVersion, lab: LabValue, **changes: Any
    ) -> AdverseEventVersion:
        why = f"graded from {lab.analyte} on {lab.effective.isoformat()}"
        row = self._new_version(old, reason_for_change=why, **changes)
        self._audit(
            enrolment.trial_id,
            "adverse_event",
            old.ae_key,
            "correct",
            enrolment=enrolment,
            reason=why,
            before=ae_view(old),
            after=ae_view(row),
        )
        return row

    # -------------------------------------------------------------- efficacy
    def record_efficacy(
        self,
        enrolment: Enrolment,
        *,
        visit_key: str,
        instrument: str,
        assessed_on: dt.date,
        items: Mapping[str, Any],
        assessment_key: str | None = None,
        reason: str = "",
    ) -> EfficacyAssessment:
        """An instrument entered by its items and computed by its calculator; with
        ``assessment_key`` a correction of an earlier assessment (reason required)."""
        if not any(e["key"] == visit_key for e in enrolment.course["events"]):
            raise DataError(f"the course has no visit {visit_key!r}", field="visit_key")
        result = run_calculator(instrument, dict(items))
        value = result.value
        numeric = (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
        old: EfficacyAssessment | None = None
        if assessment_key is not None:
            old = self.db.scalar(
                select(EfficacyAssessment)
                .where(EfficacyAssessment.assessment_key == assessment_key)
                .order_by(EfficacyAssessment.version.desc())
                .limit(1)
            )
            if old is None:
                raise DataError(f"there is no assessment {assessment_key!r}", field="assessment")
            reason = _reason(reason, "correction")
        row = EfficacyAssessment(
            assessment_key=old.assessment_key if old else uuid.uuid4().hex[:16],
            version=old.version + 1 if old else 1,
            enrolment_id=enrolment.id,
            visit_key=visit_key,
            instrument=instrument,
            assessed_on=assessed_on,
            items=dict(items),
            result=result.to_json_dict(),
            value=numeric,
            category=(result.category or (str(value) if numeric is None else None)),
            reason_for_change=reason,
            recorded_by=self.username,
        )
        self.db.add(row)
        self.db.flush()
        self._audit(
            enrolment.trial_id,
            "efficacy",
            row.assessment_key,
            "correct" if old else "create",
            enrolment=enrolment,
            reason=reason,
            before=None if old is None else {"items": old.items, "value": old.value},
            after={
                "instrument": instrument,
                "items": dict(items),
                "value": numeric,
                "category": row.category,
            },
        )
        return row

    def efficacy(self, enrolment: Enrolment) -> list[EfficacyRow]:
        """Current assessments by date, each with its baseline (the latest of the same
        instrument before the first study treatment) and the change from it."""
        rows = self.db.scalars(
            select(EfficacyAssessment)
            .where(EfficacyAssessment.enrolment_id == enrolment.id)
            .order_by(EfficacyAssessment.assessed_on, EfficacyAssessment.version)
        ).all()
        current: dict[str, EfficacyAssessment] = {}
        for r in rows:
            current[r.assessment_key] = r
        ordered = sorted(current.values(), key=lambda r: (r.assessed_on, r.id))
        infusion = self.infusion_date(enrolment) or enrolment.planned_infusion
        start = self.treatment_start(enrolment, infusion)
        out = []
        for a in ordered:
            base_candidates = [
                b for b in ordered if b.instrument == a.instrument and b.assessed_on < start
            ]
            base = base_candidates[-1] if base_candidates else None
            change = None
            if (
                base is not None
                and base is not a
                and base.value is not None
                and a.value is not None
            ):
                change = a.value - base.value
            out.append(EfficacyRow(a, base, change))
        return out

    # -------------------------------------------------------------- decisions
    def record_decision(
        self,
        trial_id: str,
        *,
        as_of: dt.date,
        design: str,
        snapshot: dict[str, Any],
        decision: dict[str, Any],
    ) -> EscalationRecord:
        row = EscalationRecord(
            trial_id=trial_id,
            as_of=as_of,
            design=design,
            snapshot=snapshot,
            decision=decision,
            recorded_by=self.username,
        )
        self.db.add(row)
        self.db.flush()
        self._audit(trial_id, "decision", str(row.id), "decide", after=decision)
        return row

    def decisions(self, trial_id: str) -> Sequence[EscalationRecord]:
        return self.db.scalars(
            select(EscalationRecord)
            .where(EscalationRecord.trial_id == trial_id)
            .order_by(EscalationRecord.id.desc())
        ).all()

    def decision(self, decision_id: int) -> EscalationRecord | None:
        return self.db.get(EscalationRecord, decision_id)

    def record_export(self, trial_id: str, what: str, cut: dt.date) -> None:
        """Audit an export (report, CSV) of the trial's records at a data cut, in the conduct
        trail and in the workspace audit log (a list export: no patient id)."""
        self._audit(trial_id, "report", f"{what}@{cut.isoformat()}", "export")
        Audit(self.db).record(self.user, "export", None, f"conduct {trial_id}: {what}")

    def record_view(self, enrolment: Enrolment, what: str) -> None:
        """A view of a patient's conduct record, in the workspace audit log."""
        Audit(self.db).record(self.user, "view", enrolment.patient_id, f"conduct: {what}")

    def trials_in_conduct(self) -> list[str]:
        return list(self.db.scalars(select(ConductSetup.trial_id).order_by(ConductSetup.trial_id)))
