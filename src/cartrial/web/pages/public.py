"""Public pages: the catalogue of every CAR-cell trial (``/``) and a trial
(``/trials/{nct_id}``). The anonymous pre-screening (``/prescreen``) is in
:mod:`cartrial.web.pages.prescreen`. A place typed for distances serves that request only and
is never logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from cartrial.domain.trial import Trial
from cartrial.finder.summary import link_numbers
from cartrial.web.catalog import PAGE_SIZE, TrialFilters, distance_text, tree_rows
from cartrial.web.deps import CatalogDep
from cartrial.web.finder_deps import FinderDep, llm_model, llm_url, resolve_place
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
    finder: FinderDep,
    filters: Annotated[TrialFilters, Query()],
) -> Response:
    answer = resolve_place(finder, filters.near)
    origin = answer.place.point if answer.place else None
    place_problem = answer.message
    if filters.within_km is not None and filters.near is None:
        place_problem = "Type a place (or allow your location) to filter by distance."
    query = filters.query(origin)
    found = finder.store.search(query) if not place_problem else []
    unlocated = len(finder.store.unlocated(query)) if not place_problem else 0
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(filters.page, pages)
    ctx = {
        "found": found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        "count": len(found),
        "page": page,
        "pages": pages,
        "filters": filters,
        "facets": finder.store.facets(),
        "total": len(finder.store.entries),
        "reviewed_total": sum(e.reviewed for e in finder.store.entries.values()),
        "place": answer.place,
        "unlocated": unlocated,
        "place_problem": place_problem,
        "suggestions": answer.suggestions,
        "unit": filters.unit or "km",
        "distance_text": distance_text,
        "snapshot": finder.info,
    }
    status = 422 if place_problem and filters.near else 200
    if (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == "results"
    ):
        return render(request, "_trial_list.html", ctx, status_code=status)
    return render(request, "catalogue.html", ctx, status_code=status)


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
def trial_page(
    request: Request,
    nct_id: str,
    finder: FinderDep,
    catalog: CatalogDep,
    near: Annotated[str | None, Query(max_length=120)] = None,
    unit: Annotated[str | None, Query(pattern="^(km|mi)$")] = None,
) -> Response:
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"There is no trial {nct_id} in the catalogue.")
    answer = resolve_place(finder, (near or "").strip() or None)
    origin = answer.place.point if answer.place else None
    place_label = answer.place.label if answer.place else None
    tp = finder.protocol_for(entry)
    summary = finder.summary(entry, origin=origin, place=place_label)
    url = llm_url()
    rewrite = finder.rewritten(summary, url, model=llm_model()) if url else None
    trial = entry.trial
    sections = (
        [(name, tree_rows(items)) for name, items in tp.protocol.sections()] if tp.protocol else []
    )
    return render(
        request,
        "trial.html",
        {
            "entry": entry,
            "trial": trial,
            "protocol": tp.protocol,
            "tp": tp,
            "sections": sections,
            "timeline": timeline(trial),
            "day_label": day_label,
            "summary": summary,
            "rewrite": rewrite,
            "rewrite_parts": link_numbers(rewrite.text, summary.facts)
            if rewrite and rewrite.accepted
            else None,
            "sites": entry.sites_by_distance(origin),
            "place": answer.place,
            "place_problem": answer.message,
            "suggestions": answer.suggestions,
            "near": near or "",
            "unit": unit or "km",
            "distance_text": distance_text,
            "similar": finder.similar(entry, 5, origin=origin),
            "groups": finder.store.groups_of(entry),
            "snapshot": finder.info,
            "version": curated.version if (curated := catalog.get(entry.nct_id)) else None,
        },
        status_code=422 if answer.message else 200,
    )


# The anonymous pre-screening (/prescreen) lives in web/pages/prescreen.py (issue 16).
