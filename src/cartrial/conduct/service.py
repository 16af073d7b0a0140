"""Use cases over the stored records: the DLT board of a trial and the data of its safety
report, both as of an explicit date (``as_of`` / the data cut)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cartrial.conduct.board import Board, DesignParams, PatientInput, build_board, dlt_definition
from cartrial.conduct.efficacy import INSTRUMENTS
from cartrial.conduct.report import AeRow, EfficacyRow, ReportData, SubjectRow
from cartrial.conduct.store import ConductStore
from cartrial.conduct.terms import ae_terms
from cartrial.criteria.protocol import Protocol
from cartrial.domain.errors import DataError
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.persistence.conduct_models import AdverseEventVersion, ConductSetup, Enrolment
from cartrial.persistence.models import PatientRecord
from cartrial.schedule.dlt import AdverseEvent


def design_params(setup: ConductSetup) -> DesignParams:
    return DesignParams(
        design=setup.design,
        target=setup.target,
        cohort_size=setup.cohort_size,
        n_cohorts=setup.n_cohorts,
        n_levels=len(setup.dose_levels),
    )


def _event(ae: AdverseEventVersion, as_of: dt.date) -> AdverseEvent | None:
    grade = ae.grade
    if grade is None or grade < 1 or ae.onset > as_of:
        return None
    resolution = ae.resolution if ae.resolution is not None and ae.resolution <= as_of else None
    return AdverseEvent(
        term=ae.term,
        grade=grade,
        scale=ae.scale,
        category=ae.category,
        onset=ae.onset,
        resolution=resolution,
        id=ae.ae_key,
    )


def patient_inputs(
    store: ConductStore, enrolments: Sequence[Enrolment], as_of: dt.date
) -> list[PatientInput]:
    aes = store.current_aes(e.id for e in enrolments)
    out = []
    for e in enrolments:
        events = tuple(
            ev for ae in aes if ae.enrolment_id == e.id if (ev := _event(ae, as_of)) is not None
        )
        infusion = store.infusion_date(e)
        out.append(
            PatientInput(
                subject=e.subject_code,
                dose_level=e.dose_level,
                infusion=infusion if infusion is not None and infusion <= as_of else None,
                events=events,
            )
        )
    return out


def trial_board(
    store: ConductStore, protocol: Protocol, setup: ConductSetup, as_of: dt.date
) -> Board:
    """The board over every site's patients (the decision is trial-wide); pages show only the
    rows of :meth:`ConductStore.enrolments` (the session's site)."""
    definition, label = dlt_definition(protocol.dlt)
    enrolments = store.all_enrolments(protocol.trial.nct_id)
    return build_board(
        patient_inputs(store, enrolments, as_of),
        definition=definition,
        definition_label=label,
        params=design_params(setup),
        as_of=as_of,
    )


def report_data(
    store: ConductStore, protocol: Protocol, setup: ConductSetup, cut: dt.date
) -> ReportData:
    """Every row of the safety report, from the stored records, as of the data cut."""
    trial_id = protocol.trial.nct_id
    enrolments = store.enrolments(trial_id)
    board = trial_board(store, protocol, setup, cut)
    status = {row.subject: row.status for row in board.rows}
    dlt_keys = {
        hit.event.id for row in board.rows if row.assessment for hit in row.assessment.fired
    }
    terms = ae_terms()
    subjects: list[SubjectRow] = []
    by_id = {e.id: e for e in enrolments}
    for e in enrolments:
        infusion = store.infusion_date(e)
        record = store.db.get(PatientRecord, e.patient_id)
        sex, age = "unknown", None
        if record is not None:
            try:
                patient = patient_from_bundle(record.bundle)
                sex, age = patient.sex.value, patient.age_on(e.enrolled_on)
            except DataError:
                pass
        marks = [m.visit_date for m in store.visit_marks(e).values() if m.visit_date]
        subjects.append(
            SubjectRow(
                subject=e.subject_code,
                dose_level=e.dose_level,
                enrolled_on=e.enrolled_on,
                infusion=infusion if infusion is not None and infusion <= cut else None,
                treatment_start=None if infusion is None else store.treatment_start(e, infusion),
                sex=sex,
                age=age,
                dlt_status=status.get(e.subject_code, "not_infused"),
                last_contact=max((d for d in marks if d <= cut), default=None),
            )
        )
    aes = []
    for ae in store.current_aes(by_id):
        grade = ae.grade
        if grade is None:
            continue
        e = by_id[ae.enrolment_id]
        aes.append(
            AeRow(
                subject=e.subject_code,
                dose_level=e.dose_level,
                term=ae.term,
                soc=terms[ae.term].soc if ae.term in terms else "",
                category=ae.category,
                scale=ae.scale,
                grade=grade,
                onset=ae.onset,
                resolution=ae.resolution,
                serious=ae.serious,
                related_ld=ae.related_ld,
                related_car=ae.related_car,
                action=ae.action,
                outcome=ae.outcome,
                grade_status=ae.grade_status,
                computed_grade=ae.computed_grade,
                investigator_grade=ae.investigator_grade,
                dlt=ae.ae_key in dlt_keys,
                ae_key=ae.ae_key,
            )
        )
    efficacy = []
    for e in enrolments:
        days = {ev["key"]: ev["day"] for ev in e.course["events"]}
        names = {ev["key"]: ev["name"] for ev in e.course["events"]}
        for row in store.efficacy(e):
            a = row.assessment
            efficacy.append(
                EfficacyRow(
                    subject=e.subject_code,
                    dose_level=e.dose_level,
                    instrument=INSTRUMENTS.get(a.instrument, a.instrument),
                    visit=names.get(a.visit_key, a.visit_key),
                    day=days.get(a.visit_key),
                    assessed_on=a.assessed_on,
                    value=a.value,
                    category=a.category,
                    change=row.change,
                )
            )
    decisions = tuple(
        {"id": d.id, "as_of": d.as_of.isoformat(), "by": d.recorded_by, **d.decision}
        for d in store.decisions(trial_id)
        if d.as_of <= cut
    )
    return ReportData(
        trial_id=trial_id,
        title=protocol.trial.brief_title or protocol.trial.title,
        cut=cut,
        dose_labels=tuple(setup.dose_levels),
        subjects=tuple(subjects),
        aes=tuple(aes),
        efficacy=tuple(efficacy),
        dlt_definition=board.definition_label,
        decisions=decisions,
    )
