"""Public pages: the catalogue (``/``), a trial (``/trials/{nct_id}``) and the anonymous
pre-screening (``/prescreen``). Nothing a visitor submits to the pre-screening is stored or
logged: the bundle or form is read in memory, screened and rendered, then dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from cartrial.domain.patient import Patient
from cartrial.domain.trial import Trial
from cartrial.evaluate import ScreeningResult
from cartrial.services import prescreen_form
from cartrial.services.screening import screen_patient
from cartrial.web.bodies import (
    BadInput,
    BodyTooLarge,
    bundle_to_patient,
    form_file,
    form_text,
    parse_bundle_json,
    read_form,
    too_large_message,
)
from cartrial.web.catalog import Catalog, TrialFilters, tree_rows
from cartrial.web.deps import AppSettings, CatalogDep, Today
from cartrial.web.templating import render

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    """A readable reference of the REST API, rendered from the OpenAPI document (no CDN)."""
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "parameters": op.get("parameters", []),
                    "body": list(op.get("requestBody", {}).get("content", {})),
                    "secured": bool(op.get("security")),
                    "responses": {
                        k: v.get("description", "") for k, v in op.get("responses", {}).items()
                    },
                }
            )
    return render(request, "api_docs.html", {"spec": spec, "operations": operations})


@router.get("/")
def catalogue(
    request: Request,
    catalog: CatalogDep,
    filters: Annotated[TrialFilters, Query()],
) -> Response:
    found = catalog.search(filters)
    ctx = {
        "entries": found,
        "filters": filters,
        "facets": catalog.facets(),
        "total": len(catalog.entries),
    }
    if (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == "results"
    ):
        return render(request, "_trial_list.html", ctx)
    return render(request, "catalogue.html", ctx)


@dataclass(frozen=True)
class TimelineItem:
    day: int
    end_day: int | None
    label: str
    kind: str
    detail: str = ""


def timeline(trial: Trial) -> list[TimelineItem]:
    """The course around infusion (day 0) as dated items, in day order."""
    items: list[TimelineItem] = []
    s = trial.schedule
    if s is not None:
        items.append(
            TimelineItem(s.screening_start_day, s.screening_end_day, "Screening", "screening")
        )
        if s.lymphodepletion_days:
            agents = ""
            if trial.lymphodepletion:
                agents = " + ".join(
                    f"{a.drug} {a.dose_mg_per_m2_per_day:g} mg/m²/day"
                    for a in trial.lymphodepletion.agents
                )
            items.append(
                TimelineItem(
                    min(s.lymphodepletion_days),
                    max(s.lymphodepletion_days),
                    "Lymphodepletion",
                    "lymphodepletion",
                    agents,
                )
            )
        if s.rest_days:
            items.append(TimelineItem(min(s.rest_days), max(s.rest_days), "Rest", "rest"))
        for v in s.visits:
            window = ""
            if v.window_before or v.window_after:
                window = f"window −{v.window_before}/+{v.window_after} days"
            items.append(TimelineItem(v.day, None, v.name, v.kind, window))
        if s.dlt_window_days:
            items.append(TimelineItem(s.dlt_window_days, None, "End of DLT window", "dlt"))
    if not any(i.day == 0 for i in items):
        items.append(TimelineItem(0, None, "CAR-cell infusion", "infusion"))
    items.sort(key=lambda i: (i.day, i.end_day if i.end_day is not None else i.day))
    return items


def day_label(day: int) -> str:
    if day == 0:
        return "Day 0"
    if day > 0 and day % 7 == 0 and day >= 14:
        return f"Week {day // 7}"
    return f"Day {day:+d}"


@router.get("/trials/{nct_id}")
def trial_page(request: Request, nct_id: str, catalog: CatalogDep) -> Response:
    entry = catalog.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"There is no bundled trial {nct_id}.")
    p = entry.protocol
    return render(
        request,
        "trial.html",
        {
            "entry": entry,
            "trial": p.trial,
            "protocol": p,
            "sections": [(name, tree_rows(items)) for name, items in p.sections()],
            "timeline": timeline(p.trial),
            "day_label": day_label,
        },
    )


# ------------------------------------------------------------------ anonymous pre-screening


def _prescreen_context(catalog: Catalog, today: date, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "choices": prescreen_form.choices(),
        "today": today,
        "trials": list(catalog.entries.values()),
        "values": {},
        "errors": [],
        "results": None,
        "mode": "bundle",
    }
    ctx.update(extra)
    return ctx


@router.get("/prescreen")
def prescreen_page(request: Request, catalog: CatalogDep, today: Today) -> Response:
    return render(request, "prescreen.html", _prescreen_context(catalog, today))


def _as_of(raw: str, today: date) -> date:
    if not raw.strip():
        return today
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadInput(f"as_of: {raw!r} is not a date (YYYY-MM-DD)") from None


@router.post("/prescreen")
async def prescreen_submit(
    request: Request,
    catalog: CatalogDep,
    settings: AppSettings,
    today: Today,
) -> Response:
    """Screen an uploaded/pasted bundle (``mode=bundle``) or the short form (``mode=form``)."""
    form = await read_form(request, settings.max_bundle_bytes)
    mode = form_text(form, "mode", "bundle")
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    multi = {"conditions": [v for v in form.getlist("conditions") if isinstance(v, str)]}
    htmx = request.headers.get("hx-request") == "true"
    template = "_prescreen_results.html" if htmx else "prescreen.html"
    ctx = _prescreen_context(catalog, today, values=fields, mode=mode, multi_values=multi)
    status = 200
    try:
        as_of = _as_of(form_text(form, "as_of"), today)
        ctx["as_of"] = as_of
        if mode == "form":
            data = prescreen_form.from_flat_fields(fields, multi)
            patient: Patient = prescreen_form.patient_from_form(data, as_of=as_of)
        else:
            raw = await form_file(form, "bundle", settings.max_bundle_bytes)
            if raw is None:
                text = form_text(form, "bundle_text")
                if len(text.encode("utf-8")) > settings.max_bundle_bytes:
                    raise BodyTooLarge(settings.max_bundle_bytes)
                raw = text.encode("utf-8")
            patient = bundle_to_patient(parse_bundle_json(raw))
        results: list[ScreeningResult] = await run_in_threadpool(
            screen_patient, patient, as_of=as_of, protocols=catalog.protocols.values()
        )
        ctx["results"] = [r.to_json() for r in results]
        ctx["patient_age"] = patient.age_on(as_of)
        ctx["patient_sex"] = patient.sex.value
    except prescreen_form.PrescreenFormError as exc:
        status = 422
        ctx["errors"] = [f"{p.field}: {p.message}" for p in exc.problems]
    except BadInput as exc:
        status = exc.status_code
        ctx["errors"] = [exc.message]
    except BodyTooLarge as exc:
        status = 413
        ctx["errors"] = [too_large_message(exc.limit)]
    return render(request, template, ctx, status_code=status)
