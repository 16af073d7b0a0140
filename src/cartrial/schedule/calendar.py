"""A patient's course as dated events: screening window, lymphodepletion, rest, infusion, visits.

Study days are relative to the infusion (day 0 = infusion date, day -1 = the day before; there is
no "day 0 gap"). Dates are plain calendar dates (no time, no time zone): a day number maps to the
same date wherever the plan is read. Day arithmetic goes through
:func:`cartrial.domain.timewindow.shift`, the project's one module for calendar arithmetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cartrial.domain.errors import DataError
from cartrial.domain.timewindow import TimeUnit, shift
from cartrial.domain.trial import Schedule
from cartrial.schedule.lymphodepletion import AgentDose, LymphodepletionPlan


class EventKind(StrEnum):
    SCREENING = "screening"
    LYMPHODEPLETION = "lymphodepletion"
    REST = "rest"
    INFUSION = "infusion"
    VISIT = "visit"


def day_label(day: int) -> str:
    """``D-5``, ``D0``, ``D14``."""
    return f"D{day}"


@dataclass(frozen=True, slots=True)
class CourseEvent:
    """One dated item of the course; ``window_start``/``window_end`` are inclusive."""

    key: str
    """Stable identifier within a course (e.g. ``ld-d-5``, ``visit-safety-d4``)."""
    kind: EventKind
    name: str
    day: int
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    first_day: int
    last_day: int
    visit_kind: str | None = None
    doses: tuple[AgentDose, ...] = ()

    @property
    def has_window(self) -> bool:
        return self.window_start != self.window_end

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "name": self.name,
            "day": self.day,
            "date": self.date.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "window_days": [self.first_day, self.last_day],
            "visit_kind": self.visit_kind,
            "doses": [d.to_dict() for d in self.doses],
        }


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """The calendar of one patient's course, in date order."""

    infusion_date: dt.date
    schedule: Schedule
    events: tuple[CourseEvent, ...]
    lymphodepletion: LymphodepletionPlan | None = None
    trial_id: str | None = None
    patient_id: str | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "trial": self.trial_id,
            "patient": self.patient_id,
            "infusion_date": self.infusion_date.isoformat(),
            "events": [e.to_dict() for e in self.events],
            "lymphodepletion": None
            if self.lymphodepletion is None
            else self.lymphodepletion.to_dict(),
            "notes": list(self.notes),
        }


_KIND_ORDER = {
    EventKind.SCREENING: 0,
    EventKind.LYMPHODEPLETION: 1,
    EventKind.REST: 2,
    EventKind.INFUSION: 3,
    EventKind.VISIT: 4,
}


def check_infusion_date(value: object) -> dt.date:
    if value is None:
        raise DataError("is required (the planned infusion date, day 0)", field="infusion_date")
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise DataError(
            f"must be a calendar date (YYYY-MM-DD), got {value!r}", field="infusion_date"
        )
    return value


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def plan_course(
    schedule: Schedule,
    infusion_date: dt.date | None,
    *,
    lymphodepletion: LymphodepletionPlan | None = None,
    trial_id: str | None = None,
    patient_id: str | None = None,
    notes: tuple[str, ...] = (),
) -> CoursePlan:
    """Date every part of ``schedule`` around ``infusion_date`` (day 0).

    Lymphodepletion days are the schedule's days plus any day of the regimen; each carries that
    day's doses when a :class:`LymphodepletionPlan` is given.
    """
    day0 = check_infusion_date(infusion_date)
    if schedule.screening_start_day > schedule.screening_end_day:
        raise DataError(
            f"screening starts on day {schedule.screening_start_day} after it ends on day "
            f"{schedule.screening_end_day}",
            field="screening_start_day",
        )

    def on(day: int) -> dt.date:
        return shift(day0, day, TimeUnit.DAYS)

    events: list[CourseEvent] = []

    def add(
        key: str,
        kind: EventKind,
        name: str,
        day: int,
        first: int,
        last: int,
        visit_kind: str | None = None,
        doses: tuple[AgentDose, ...] = (),
    ) -> None:
        events.append(
            CourseEvent(
                key=key,
                kind=kind,
                name=name,
                day=day,
                date=on(day),
                window_start=on(first),
                window_end=on(last),
                first_day=first,
                last_day=last,
                visit_kind=visit_kind,
                doses=doses,
            )
        )

    s, e = schedule.screening_start_day, schedule.screening_end_day
    add("screening", EventKind.SCREENING, f"Screening ({day_label(s)} to {day_label(e)})", s, s, e)

    ld_days = set(schedule.lymphodepletion_days)
    extra_notes = list(notes)
    if lymphodepletion is not None:
        regimen_days = {d for d, _ in lymphodepletion.by_day}
        if regimen_days != ld_days:
            extra_notes.append(
                f"lymphodepletion days differ: schedule {sorted(ld_days)}, regimen "
                f"{sorted(regimen_days)}; the calendar shows both"
            )
        ld_days |= regimen_days
    for day in sorted(ld_days):
        doses = () if lymphodepletion is None else lymphodepletion.doses_on(day)
        add(
            f"ld-{_slug(day_label(day))}",
            EventKind.LYMPHODEPLETION,
            f"Lymphodepletion {day_label(day)}",
            day,
            day,
            day,
            doses=doses,
        )
    for day in sorted(schedule.rest_days):
        add(
            f"rest-{_slug(day_label(day))}",
            EventKind.REST,
            f"Rest / observation {day_label(day)}",
            day,
            day,
            day,
        )
    add("infusion", EventKind.INFUSION, "CAR-cell infusion (D0)", 0, 0, 0)
    seen: set[str] = set()
    for visit in schedule.visits:
        key = f"visit-{_slug(visit.kind)}-{_slug(visit.name)}"
        if key in seen:
            raise DataError(f"visit {visit.name!r} ({visit.kind}) is listed twice", field="visits")
        seen.add(key)
        add(
            key,
            EventKind.VISIT,
            visit.name,
            visit.day,
            visit.day - visit.window_before,
            visit.day + visit.window_after,
            visit_kind=visit.kind,
        )
    events.sort(key=lambda ev: (ev.date, _KIND_ORDER[ev.kind]))
    return CoursePlan(
        infusion_date=day0,
        schedule=schedule,
        events=tuple(events),
        lymphodepletion=lymphodepletion,
        trial_id=trial_id,
        patient_id=patient_id,
        notes=tuple(extra_notes),
    )
