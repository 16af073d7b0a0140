"""Course plan exports: table rows, JSON and iCalendar (RFC 5545, via ``icalendar``).

iCalendar events are **all-day** (``DTSTART;VALUE=DATE``, ``DTEND`` = the day after the last
day, exclusive as RFC 5545 §3.6.1 requires), so no calendar application shifts them across a
date line whatever its time zone. UIDs are derived from trial, patient and the event's stable
key, so re-exporting a re-planned course (e.g. a new infusion date) updates the same events
instead of adding copies. ``DTSTAMP`` is passed in (the library never reads the clock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from icalendar import Calendar, Event

from cartrial.domain.errors import DataError
from cartrial.schedule.calendar import CourseEvent, CoursePlan, EventKind, day_label

PRODID = "-//cartrial//course plan//EN"


def window_text(event: CourseEvent) -> str:
    """``2027-03-04 to 2027-03-06 (D3 to D5)`` or ``""`` for a single day."""
    if not event.has_window:
        return ""
    return (
        f"{event.window_start.isoformat()} to {event.window_end.isoformat()} "
        f"({day_label(event.first_day)} to {day_label(event.last_day)})"
    )


def doses_text(event: CourseEvent) -> str:
    return "; ".join(d.label() for d in event.doses)


def course_rows(plan: CoursePlan) -> list[dict[str, str]]:
    """One row per event, as strings for a table."""
    rows = []
    for ev in plan.events:
        rows.append(
            {
                "date": f"{ev.date.isoformat()} {ev.date.strftime('%a')}",
                "day": day_label(ev.day),
                "event": ev.name,
                "kind": ev.visit_kind or ev.kind.value,
                "window": window_text(ev),
                "doses": doses_text(ev),
            }
        )
    return rows


def course_to_json(plan: CoursePlan) -> str:
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False)


def event_uid(plan: CoursePlan, event: CourseEvent) -> str:
    """Stable UID: same trial, patient and event key -> same UID."""
    patient = plan.patient_id or f"infusion-{plan.infusion_date.isoformat()}"
    basis = f"{plan.trial_id or 'course'}|{patient}|{event.key}"
    return f"{hashlib.sha256(basis.encode('utf-8')).hexdigest()[:32]}@cartrial"


def _description(plan: CoursePlan, event: CourseEvent) -> str:
    lines = [f"Study day {day_label(event.day)} (infusion {plan.infusion_date.isoformat()})."]
    if event.kind is EventKind.VISIT and event.has_window:
        lines.append(f"Allowed window: {window_text(event)}.")
    for dose in event.doses:
        lines.append(dose.label())
    if event.kind is EventKind.LYMPHODEPLETION and plan.lymphodepletion is not None:
        ld = plan.lymphodepletion
        lines.append(
            f"BSA {ld.bsa.value:.3f} m² ({ld.bsa.calculator}); CrCl {ld.crcl.value:.1f} mL/min "
            f"({ld.crcl.calculator}); fludarabine renal scheme {ld.regimen.fludarabine_renal_scheme}."
        )
    if plan.trial_id:
        lines.append(f"Trial {plan.trial_id}.")
    return "\n".join(lines)


def course_to_ics(plan: CoursePlan, *, dtstamp: dt.datetime) -> bytes:
    """The course as an iCalendar file (all-day events, stable UIDs)."""
    if dtstamp.tzinfo is None or dtstamp.utcoffset() is None:
        raise DataError("must be a time-zone-aware datetime", field="dtstamp")
    stamp = dtstamp.astimezone(dt.UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = "CAR-cell course"
    if plan.trial_id:
        name += f" {plan.trial_id}"
    if plan.patient_id:
        name += f" - {plan.patient_id}"
    cal.add("x-wr-calname", name)
    for ev in plan.events:
        item = Event()
        item.add("uid", event_uid(plan, ev))
        item.add("dtstamp", stamp)
        start = ev.window_start if ev.kind is EventKind.SCREENING else ev.date
        last = ev.window_end if ev.kind is EventKind.SCREENING else ev.date
        item.add("dtstart", start)
        item.add("dtend", last + dt.timedelta(days=1))
        summary = ev.name
        if ev.doses:
            summary += ": " + doses_text(ev)
        item.add("summary", summary)
        item.add("description", _description(plan, ev))
        item.add("categories", [ev.visit_kind or ev.kind.value])
        item.add("transp", "TRANSPARENT")
        cal.add_component(item)
    out: bytes = cal.to_ical()
    return out


def plan_summary(plan: CoursePlan) -> dict[str, Any]:
    """Headline numbers for a table header (BSA, CrCl, renal category)."""
    if plan.lymphodepletion is None:
        return {}
    ld = plan.lymphodepletion
    return {
        "bsa_m2": ld.bsa.value,
        "crcl_ml_min": ld.crcl.value,
        "fludarabine_renal_category": ld.doses.category,
    }
