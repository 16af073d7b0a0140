"""REST API of the finder: sites by distance, similar trials, places, organization, product
and condition listings, and the snapshot's source and licence."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from cartrial.evaluate import ScreeningResult
from cartrial.finder.store import Group
from cartrial.services.screening import screen_patient
from cartrial.web.api.screen import BUNDLE_BODY, check_bundle_type
from cartrial.web.api.trials import place_error
from cartrial.web.bodies import bundle_to_patient, parse_bundle_json, read_body
from cartrial.web.catalog import finder_summary_json, place_json, site_json
from cartrial.web.deps import AppSettings, Today
from cartrial.web.finder_deps import FinderDep, resolve_place

router = APIRouter(tags=["finder"])

Near = Annotated[
    str | None,
    Query(max_length=120, description="LAT,LON, a city or a study-site postal code"),
]


@router.get("/trials/{nct_id}/sites", summary="A trial's sites, nearest first")
def trial_sites(nct_id: str, finder: FinderDep, near: Near = None) -> dict[str, Any]:
    """Every site with status and contact; with ``near``, the great-circle distance (km, mi)
    and nearest first. Sites without coordinates come last with a null distance."""
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"no trial {nct_id!r} in the catalogue")
    answer = resolve_place(finder, near)
    if near and answer.place is None:
        raise place_error(answer.message or "unknown place", answer.suggestions)
    origin = answer.place.point if answer.place else None
    return {
        "nct_id": entry.nct_id,
        "near": place_json(answer.place) if answer.place else None,
        "sites": [site_json(s) for s in entry.sites_by_distance(origin)],
        "data_source": finder.info.to_json(),
    }


@router.get("/trials/{nct_id}/similar", summary="Trials like this one, with the reason")
def similar_trials(
    nct_id: str,
    finder: FinderDep,
    near: Near = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Ranked by shared disease (then disease family), target antigen, cell type, open
    enrolment, phase and, with ``near``, distance; BM25 text similarity breaks ties."""
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"no trial {nct_id!r} in the catalogue")
    answer = resolve_place(finder, near)
    if near and answer.place is None:
        raise place_error(answer.message or "unknown place", answer.suggestions)
    origin = answer.place.point if answer.place else None
    return {
        "nct_id": entry.nct_id,
        "similar": [
            {
                **finder_summary_json(s.entry, s.km),
                "score": round(s.score, 3),
                "text_similarity": round(s.text_score, 3),
                "reason": s.reason,
            }
            for s in finder.similar(entry, limit, origin=origin)
        ],
        "data_source": finder.info.to_json(),
    }


@router.post(
    "/trials/{nct_id}/screen",
    summary="Pre-screen one patient against one trial, drafted criteria included",
    openapi_extra={"requestBody": BUNDLE_BODY},
)
async def screen_one(
    nct_id: str,
    request: Request,
    settings: AppSettings,
    finder: FinderDep,
    today: Today,
    as_of: Annotated[date | None, Query(description="Screening date (default: today)")] = None,
) -> dict[str, Any]:
    """The verdict for one trial of the catalogue. A trial without a reviewed protocol is
    screened on the parser's draft of its registry criteria: ``reviewed`` is false and
    ``computable_share`` says how much of the text the draft could read. Nothing is stored."""
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"no trial {nct_id!r} in the catalogue")
    tp = finder.protocol_for(entry)
    if tp.protocol is None:
        raise HTTPException(
            409, f"{entry.nct_id} has no eligibility text in the snapshot: nothing to screen"
        )
    check_bundle_type(request)
    body = await read_body(request, settings.max_bundle_bytes)
    day = as_of or today
    protocol = tp.protocol

    def work() -> list[ScreeningResult]:
        patient = bundle_to_patient(parse_bundle_json(body))
        return screen_patient(patient, as_of=day, protocols=[protocol])

    results = await run_in_threadpool(work)
    return {
        "nct_id": entry.nct_id,
        "reviewed": tp.reviewed,
        "label": "reviewed protocol" if tp.reviewed else "not reviewed: parser's draft",
        "computable_share": None if tp.draft is None else round(tp.draft.computable_share, 3),
        "result": results[0].to_json() if results else None,
    }


@router.get("/places", summary="Look a place up in the offline gazetteer")
def find_place(
    finder: FinderDep, q: Annotated[str, Query(min_length=1, max_length=120)]
) -> dict[str, Any]:
    answer = resolve_place(finder, q)
    if answer.place is None:
        raise place_error(answer.message or "unknown place", answer.suggestions)
    return place_json(answer.place)


def _group_json(group: Group) -> dict[str, Any]:
    return {
        "kind": group.kind,
        "slug": group.slug,
        "name": group.name,
        "count": len(group.entries),
        "trials": [finder_summary_json(e) for e in group.entries],
    }


@router.get("/organizations/{slug}", summary="An organization's trials")
def organization(slug: str, finder: FinderDep) -> dict[str, Any]:
    group = finder.store.organizations.get(slug)
    if group is None:
        raise HTTPException(404, f"no organization {slug!r}")
    return _group_json(group)


@router.get("/products/{slug}", summary="A product's trials")
def product(slug: str, finder: FinderDep) -> dict[str, Any]:
    group = finder.store.products.get(slug)
    if group is None:
        raise HTTPException(404, f"no product {slug!r}")
    return _group_json(group)


@router.get("/conditions", summary="Conditions (normalised) with their trial counts")
def conditions(finder: FinderDep) -> dict[str, Any]:
    return {
        "conditions": [
            {"slug": g.slug, "name": g.name, "count": len(g.entries)}
            for g in finder.store.condition_groups.values()
        ]
    }


@router.get("/conditions/{slug}", summary="A condition's trials")
def condition(slug: str, finder: FinderDep) -> dict[str, Any]:
    group = finder.store.condition(slug)
    if group is None:
        raise HTTPException(404, f"no condition {slug!r}")
    return _group_json(group)


@router.get("/snapshot", summary="The registry snapshot: date, source, licence")
def snapshot(finder: FinderDep) -> dict[str, Any]:
    info = finder.info
    return {**info.to_json(), "licence_text": info.licence_text}
