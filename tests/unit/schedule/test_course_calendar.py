"""Course calendar: study days to dates across month ends, leap days and year ends."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.domain.errors import DataError
from cartrial.domain.trial import Schedule, Visit
from cartrial.schedule import SEED_COURSE_SCHEDULE, CourseEvent, EventKind, plan_course

D = dt.date


def _by_key(plan_date: dt.date) -> dict[str, CourseEvent]:
    plan = plan_course(SEED_COURSE_SCHEDULE, plan_date)
    return {ev.key: ev for ev in plan.events}


def test_issue_example_2027_03_01_minus_five_days_crosses_february() -> None:
    events = _by_key(D(2027, 3, 1))
    ld = [e for e in events.values() if e.kind is EventKind.LYMPHODEPLETION]
    assert [e.date for e in ld] == [D(2027, 2, 24), D(2027, 2, 25), D(2027, 2, 26)]
    rest = [e.date for e in events.values() if e.kind is EventKind.REST]
    assert rest == [D(2027, 2, 27), D(2027, 2, 28)]  # 2027 is not a leap year
    screening = events["screening"]
    assert screening.window_start == D(2027, 2, 1)
    assert screening.window_end == D(2027, 2, 23)


def test_leap_year_rest_day_on_29_february() -> None:
    plan = plan_course(SEED_COURSE_SCHEDULE, D(2028, 3, 1))
    rest = [e.date for e in plan.events if e.kind is EventKind.REST]
    assert rest == [D(2028, 2, 28), D(2028, 2, 29)]
    assert [e.date for e in plan.events if e.kind is EventKind.LYMPHODEPLETION][0] == D(2028, 2, 25)


def test_infusion_on_leap_day() -> None:
    plan = plan_course(SEED_COURSE_SCHEDULE, D(2028, 2, 29))
    by_day = {(e.kind, e.day, e.visit_kind): e for e in plan.events}
    assert by_day[(EventKind.INFUSION, 0, None)].date == D(2028, 2, 29)
    assert by_day[(EventKind.LYMPHODEPLETION, -5, None)].date == D(2028, 2, 24)
    d4 = by_day[(EventKind.VISIT, 4, "safety")]
    assert d4.date == D(2028, 3, 4)
    assert (d4.window_start, d4.window_end) == (D(2028, 3, 3), D(2028, 3, 5))
    w52 = by_day[(EventKind.VISIT, 364, "follow_up")]
    assert w52.date == D(2029, 2, 27)  # 364 days on (2029-02-28 would be 365: no 29 Feb in 2029)


def test_month_and_year_ends() -> None:
    plan = plan_course(SEED_COURSE_SCHEDULE, D(2027, 1, 31))
    d = {(e.day, e.visit_kind): e.date for e in plan.events if e.kind is EventKind.VISIT}
    assert d[(4, "safety")] == D(2027, 2, 4)
    assert d[(28, "safety")] == D(2027, 2, 28)
    assert d[(56, "efficacy")] == D(2027, 3, 28)
    plan = plan_course(SEED_COURSE_SCHEDULE, D(2027, 12, 30))
    d = {(e.day, e.visit_kind): e.date for e in plan.events if e.kind is EventKind.VISIT}
    assert d[(4, "safety")] == D(2028, 1, 3)
    assert [e.date for e in plan.events if e.kind is EventKind.SCREENING] == [D(2027, 12, 2)]


def test_seed_schedule_has_every_visit_of_the_seed_text() -> None:
    visits = {(v.kind, v.day) for v in SEED_COURSE_SCHEDULE.visits}
    assert {d for k, d in visits if k == "safety"} == {0, 4, 7, 10, 14, 21, 28}
    assert {d for k, d in visits if k == "efficacy"} == {14, 28, 56, 84}
    assert {d for k, d in visits if k == "follow_up"} == {168, 252, 364}
    assert SEED_COURSE_SCHEDULE.lymphodepletion_days == (-5, -4, -3)


def test_events_are_in_date_order_with_windows_around_the_day() -> None:
    plan = plan_course(SEED_COURSE_SCHEDULE, D(2027, 3, 1))
    dates = [e.date for e in plan.events]
    assert dates == sorted(dates)
    assert plan.events[0].kind is EventKind.SCREENING
    for e in plan.events:
        assert e.window_start <= e.date <= e.window_end or e.kind is EventKind.SCREENING


@given(st.dates(min_value=D(1901, 1, 1), max_value=D(2199, 12, 31)))
def test_every_date_is_infusion_plus_study_day(day0: dt.date) -> None:
    plan = plan_course(SEED_COURSE_SCHEDULE, day0)
    for e in plan.events:
        assert (e.date - day0).days == e.day
        assert (e.window_start - day0).days == e.first_day
        assert (e.window_end - day0).days == e.last_day


def test_missing_or_bad_infusion_date_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="infusion_date: is required"):
        plan_course(SEED_COURSE_SCHEDULE, None)
    with pytest.raises(DataError, match="infusion_date"):
        plan_course(SEED_COURSE_SCHEDULE, dt.datetime(2027, 3, 1, 9, 0))
    with pytest.raises(DataError, match="infusion_date"):
        plan_course(SEED_COURSE_SCHEDULE, "2027-03-01")  # type: ignore[arg-type]


def test_bad_schedules_are_refused() -> None:
    with pytest.raises(DataError, match="screening"):
        plan_course(Schedule(screening_start_day=-6, screening_end_day=-28), D(2027, 3, 1))
    twice = Schedule(visits=(Visit(name="D4", day=4), Visit(name="D4", day=4)))
    with pytest.raises(DataError, match="listed twice"):
        plan_course(twice, D(2027, 3, 1))
