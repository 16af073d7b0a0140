"""Trial conduct for one patient: the dated course (screening, lymphodepletion with doses,
infusion, visits), its exports (table, JSON, iCalendar) and DLT assessment."""

from cartrial.schedule.calendar import CourseEvent, CoursePlan, EventKind, day_label, plan_course
from cartrial.schedule.course import plan_patient_course
from cartrial.schedule.defaults import SEED_COURSE_SCHEDULE, SEED_FC_REGIMEN
from cartrial.schedule.dlt import (
    EXAMPLE_DLT_DEFINITION,
    AdverseEvent,
    DltAssessment,
    DltCounts,
    DltStatus,
    RuleHit,
    assess_dlt,
    dlt_counts_by_dose,
)
from cartrial.schedule.export import course_rows, course_to_ics, course_to_json, event_uid
from cartrial.schedule.lymphodepletion import (
    AgentDose,
    LymphodepletionPlan,
    PatientMeasures,
    measures_from_patient,
    plan_lymphodepletion,
)

__all__ = [
    "EXAMPLE_DLT_DEFINITION",
    "SEED_COURSE_SCHEDULE",
    "SEED_FC_REGIMEN",
    "AdverseEvent",
    "AgentDose",
    "CourseEvent",
    "CoursePlan",
    "DltAssessment",
    "DltCounts",
    "DltStatus",
    "EventKind",
    "LymphodepletionPlan",
    "PatientMeasures",
    "RuleHit",
    "assess_dlt",
    "course_rows",
    "course_to_ics",
    "course_to_json",
    "day_label",
    "dlt_counts_by_dose",
    "event_uid",
    "measures_from_patient",
    "plan_course",
    "plan_lymphodepletion",
    "plan_patient_course",
]
