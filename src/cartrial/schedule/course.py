"""Plan one patient's course for one trial: calendar plus lymphodepletion doses."""

from __future__ import annotations

import datetime as dt

from cartrial.domain.patient import Patient
from cartrial.domain.timewindow import TimeUnit, shift
from cartrial.domain.trial import Trial
from cartrial.schedule.calendar import CoursePlan, check_infusion_date, plan_course
from cartrial.schedule.defaults import SEED_COURSE_SCHEDULE
from cartrial.schedule.lymphodepletion import (
    BsaMethod,
    LymphodepletionPlan,
    measures_from_patient,
    plan_lymphodepletion,
)


def plan_patient_course(
    trial: Trial,
    patient: Patient,
    infusion_date: dt.date | None,
    *,
    bsa_method: BsaMethod = "mosteller",
    crcl_weight_basis: str = "actual",
) -> CoursePlan:
    """The trial's course dated around ``infusion_date`` with this patient's FC doses.

    The trial's own schedule is used when it has one, else the seed trials' common course
    (:data:`~cartrial.schedule.defaults.SEED_COURSE_SCHEDULE`, with a note). Doses need the
    trial's lymphodepletion regimen: without one the calendar has no doses (a regimen is never
    assumed). Height, weight and creatinine are the newest observations on or before the first
    lymphodepletion day, and the age is the age on that day.
    """
    day0 = check_infusion_date(infusion_date)
    notes: list[str] = []
    schedule = trial.schedule
    if schedule is None:
        schedule = SEED_COURSE_SCHEDULE
        notes.append(
            "the protocol has no visit schedule: using the seed trials' common course "
            "(NCT07193667; visit windows are a project assumption)"
        )
    ld: LymphodepletionPlan | None = None
    regimen = trial.lymphodepletion
    if regimen is None:
        notes.append("the protocol gives no lymphodepletion regimen: doses are not computed")
    else:
        days = [d for a in regimen.agents for d in a.days] or list(schedule.lymphodepletion_days)
        first_day = shift(day0, min(days), TimeUnit.DAYS) if days else day0
        measures = measures_from_patient(patient, on=first_day)
        ld = plan_lymphodepletion(
            regimen, measures, bsa_method=bsa_method, crcl_weight_basis=crcl_weight_basis
        )
        notes.extend(ld.warnings)
    return plan_course(
        schedule,
        day0,
        lymphodepletion=ld,
        trial_id=trial.nct_id,
        patient_id=patient.id,
        notes=tuple(notes),
    )
