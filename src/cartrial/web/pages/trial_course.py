"""The trial page's visit calendar with dates once an infusion date is entered, and the same
calendar as an iCalendar download (``course_to_ics``, the file ``cartrial plan --format ics``
writes). Without a patient no lymphodepletion doses are computed (they need height, weight and
creatinine); the calendar says so."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from cartrial.domain.errors import DataError
from cartrial.domain.trial import Trial
from cartrial.schedule import SEED_COURSE_SCHEDULE, CoursePlan, course_rows, course_to_ics
from cartrial.schedule import plan_course as _plan_course
from cartrial.web.finder_deps import FinderDep
from cartrial.web.templating import render

router = APIRouter()


def plan_for_trial(trial: Trial, infusion: dt.date) -> CoursePlan:
    """The trial's course dated around ``infusion`` (no patient: no doses)."""
    notes = []
    schedule = trial.schedule
    if schedule is None:
        schedule = SEED_COURSE_SCHEDULE
        notes.append(
            "the protocol has no visit schedule: using the seed trials' common course "
            "(NCT07193667; visit windows are a project assumption)"
        )
    notes.append("doses are computed per patient (cartrial plan --patient)")
    return _plan_course(schedule, infusion, trial_id=trial.nct_id, notes=tuple(notes))


def _trial(finder: FinderDep, nct_id: str) -> Trial:
    """The trial as its page shows it (a bundled protocol or a catalogue entry)."""
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"There is no trial {nct_id} in the catalogue.")
    return entry.trial


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise HTTPException(422, f"infusion: {raw!r} is not a date (YYYY-MM-DD)") from None


@router.get("/trials/{nct_id}/calendar")
def calendar_dates(
    request: Request,
    nct_id: str,
    finder: FinderDep,
    infusion: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The dated calendar (an htmx fragment, or the partial alone when requested directly)."""
    trial = _trial(finder, nct_id)
    ctx: dict[str, object] = {"trial": trial, "infusion": infusion, "rows": None, "error": None}
    status = 200
    if infusion.strip():
        try:
            plan = plan_for_trial(trial, _date(infusion))
            ctx["rows"] = course_rows(plan)
            ctx["notes"] = plan.notes
        except DataError as exc:
            ctx["error"], status = str(exc), 422
    return render(request, "_trial_calendar_dates.html", ctx, status_code=status)


@router.get("/trials/{nct_id}/calendar.ics")
def calendar_ics(
    nct_id: str,
    finder: FinderDep,
    infusion: Annotated[str, Query(max_length=20)],
) -> Response:
    trial = _trial(finder, nct_id)
    day0 = _date(infusion)
    try:
        payload = course_to_ics(plan_for_trial(trial, day0), dtstamp=dt.datetime.now(dt.UTC))
    except DataError as exc:
        raise HTTPException(422, str(exc)) from None
    name = f"{trial.nct_id}-course-{day0.isoformat()}.ics"
    return Response(
        payload,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
