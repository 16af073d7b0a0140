"""iCalendar export: all-day events whose dates never shift with the time zone; stable UIDs."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from icalendar import Calendar

from cartrial.domain.errors import DataError
from cartrial.schedule import (
    SEED_COURSE_SCHEDULE,
    SEED_FC_REGIMEN,
    CoursePlan,
    PatientMeasures,
    course_rows,
    course_to_ics,
    course_to_json,
    plan_course,
    plan_lymphodepletion,
)

STAMP = dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)


def _plan(day0: dt.date, patient: str | None = "pt-1") -> CoursePlan:
    ld = plan_lymphodepletion(
        SEED_FC_REGIMEN,
        PatientMeasures(height_cm=170, weight_kg=70, sex="male", age_years=50, scr_mg_dl=1.0),
    )
    return plan_course(
        SEED_COURSE_SCHEDULE, day0, lymphodepletion=ld, trial_id="NCT06464679", patient_id=patient
    )


def _events(ics: bytes) -> list[Any]:
    return list(Calendar.from_ical(ics).walk("VEVENT"))


def test_all_day_events_on_the_planned_dates() -> None:
    plan = _plan(dt.date(2028, 2, 29))
    events = _events(course_to_ics(plan, dtstamp=STAMP))
    assert len(events) == len(plan.events)
    for ev, item in zip(events, plan.events, strict=True):
        start = ev.decoded("dtstart")
        end = ev.decoded("dtend")
        assert type(start) is dt.date and type(end) is dt.date  # VALUE=DATE, no time, no zone
        if item.key == "screening":
            assert (start, end) == (item.window_start, item.window_end + dt.timedelta(days=1))
        else:
            assert (start, end) == (item.date, item.date + dt.timedelta(days=1))
    raw = course_to_ics(plan, dtstamp=STAMP).decode()
    assert "DTSTART;VALUE=DATE:20280229" in raw  # infusion on the leap day
    assert "DTSTART;VALUE=DATE:20280224" in raw  # D-5


@pytest.mark.parametrize(
    "zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kolkata"]
)
def test_output_does_not_depend_on_the_local_time_zone(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = course_to_ics(_plan(dt.date(2027, 3, 1)), dtstamp=STAMP)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert course_to_ics(_plan(dt.date(2027, 3, 1)), dtstamp=STAMP) == baseline
        # The same instant given in another offset gives the same file.
        tokyo = STAMP.astimezone(dt.timezone(dt.timedelta(hours=9)))
        assert course_to_ics(_plan(dt.date(2027, 3, 1)), dtstamp=tokyo) == baseline
    finally:
        monkeypatch.undo()
        time.tzset()


def test_uids_are_stable_unique_and_follow_the_patient() -> None:
    a = [str(e["uid"]) for e in _events(course_to_ics(_plan(dt.date(2027, 3, 1)), dtstamp=STAMP))]
    b = [str(e["uid"]) for e in _events(course_to_ics(_plan(dt.date(2027, 3, 1)), dtstamp=STAMP))]
    assert a == b
    assert len(set(a)) == len(a)
    # Re-planned infusion date: same events (same UIDs), so calendars update instead of duplicating.
    moved = [
        str(e["uid"]) for e in _events(course_to_ics(_plan(dt.date(2027, 4, 5)), dtstamp=STAMP))
    ]
    assert moved == a
    other = [
        str(e["uid"])
        for e in _events(course_to_ics(_plan(dt.date(2027, 3, 1), "pt-2"), dtstamp=STAMP))
    ]
    assert not set(other) & set(a)


def test_lymphodepletion_events_carry_the_doses() -> None:
    plan = _plan(dt.date(2027, 3, 1))
    ld = [
        e
        for e in _events(course_to_ics(plan, dtstamp=STAMP))
        if "Lymphodepletion" in str(e["summary"])
    ]
    assert len(ld) == 3
    assert all(
        "fludarabine" in str(e["summary"]) and "cyclophosphamide" in str(e["summary"]) for e in ld
    )


def test_naive_dtstamp_is_refused() -> None:
    with pytest.raises(DataError, match="dtstamp"):
        course_to_ics(_plan(dt.date(2027, 3, 1)), dtstamp=dt.datetime(2027, 1, 1))


def test_json_and_table_rows() -> None:
    plan = _plan(dt.date(2027, 3, 1))
    data = json.loads(course_to_json(plan))
    assert data["infusion_date"] == "2027-03-01"
    assert data["events"][1]["date"] == "2027-02-24" and data["events"][1]["day"] == -5
    assert data["lymphodepletion"]["bsa"]["calculator"] == "bsa_mosteller"
    rows = course_rows(plan)
    assert rows[1]["day"] == "D-5" and "fludarabine" in rows[1]["doses"]
    d4 = next(r for r in rows if r["event"] == "Safety D4")
    assert d4["window"].startswith("2027-03-04 to 2027-03-06")
