"""``GET /api/v1/trials`` (every trial of the finder, filtered, by distance) and
``GET /api/v1/trials/{nct_id}`` (a trial with its eligibility tree: curated, or the parser's
draft marked not reviewed). Every answer names the data source, its licence and date."""

from __future__ import annotations

import typing
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError

from cartrial.web.catalog import (
    PAGE_SIZE,
    TrialFilters,
    finder_summary_json,
    node_tree,
    place_json,
    protocol_json,
)
from cartrial.web.deps import CatalogDep
from cartrial.web.finder_deps import FinderDep, resolve_place

router = APIRouter(tags=["trials"])


def place_error(message: str, suggestions: tuple[str, ...]) -> HTTPException:
    """422 naming the place and its close spellings (they are in the message)."""
    del suggestions  # already part of the message: "... Did you mean: A, B?"
    return HTTPException(422, message)


def _typed_filters() -> frozenset[str]:
    """The filters that are not free text: numbers, booleans, enums."""
    out = set()
    for name, field in TrialFilters.model_fields.items():
        if str not in (typing.get_args(field.annotation) or (field.annotation,)):
            out.add(field.alias or name)
    return frozenset(out)


TYPED_FILTERS = _typed_filters()


def refuse_blank_values(request: Request) -> None:
    """A number, boolean or enum filter of the API is a value or absent: ``within_km=`` is a
    422, as the OpenAPI says (the catalogue page's form, sharing the filters, sends blank
    fields and takes them as unset)."""
    blank = [
        n for n, v in request.query_params.multi_items() if n in TYPED_FILTERS and not v.strip()
    ]
    if blank:
        raise RequestValidationError(
            [
                {
                    "type": "blank",
                    "loc": ("query", name),
                    "msg": "Blank value: give a value or leave the parameter out",
                    "input": "",
                }
                for name in dict.fromkeys(blank)
            ]
        )


@router.get(
    "/trials",
    summary="Every CAR-cell trial in autoimmune disease, filtered",
    dependencies=[Depends(refuse_blank_values)],
)
def list_trials(
    finder: FinderDep,
    filters: Annotated[TrialFilters, Query()],
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Page size (all)")] = None,
) -> dict[str, Any]:
    """Trials of the registry snapshot matching every filter. With ``near`` (a place or
    ``LAT,LON``) each trial gets its nearest site's distance and the list is sorted by it;
    ``within_km`` keeps trials with a site that close; trials that match but give no site
    location are named in ``without_site_location``. An unknown place is a 422 with close
    spellings."""
    answer = resolve_place(finder, filters.near)
    if filters.near and answer.place is None:
        raise place_error(answer.message or "unknown place", answer.suggestions)
    if filters.within_km is not None and answer.place is None:
        raise HTTPException(422, "within_km needs near (a place or LAT,LON)")
    origin = answer.place.point if answer.place else None
    query = filters.query(origin)
    found = finder.store.search(query)
    size = limit or len(found) or 1
    start = (filters.page - 1) * size
    return {
        "count": len(found),
        "filters": filters.active(),
        "near": place_json(answer.place) if answer.place else None,
        "without_site_location": [e.nct_id for e in finder.store.unlocated(query)],
        "trials": [finder_summary_json(e, km) for e, km in found[start : start + size]],
        "data_source": finder.info.to_json(),
    }


@router.get("/trials/{nct_id}", summary="One trial with its eligibility tree")
def get_trial(nct_id: str, catalog: CatalogDep, finder: FinderDep) -> dict[str, Any]:
    """Trial metadata and the inclusion/exclusion trees: each node's computable reading
    (``computable``, ``definition``) beside the protocol's own words (``text``). A trial
    without a curated protocol gets the parser's draft, ``reviewed: false``, with the share
    of criteria sentences it read as computable."""
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"no trial {nct_id!r} in the catalogue")
    curated = catalog.get(nct_id)
    if curated is not None:
        body = protocol_json(curated)
        body["reviewed"] = True
    else:
        tp = finder.protocol_for(entry)
        body = {
            "nct_id": entry.nct_id,
            "trial": entry.trial.model_dump(mode="json", exclude_none=True),
            "reviewed": False,
            "eligibility": None,
        }
        if tp.protocol is not None and tp.draft is not None:
            body["eligibility"] = {
                section: [node_tree(n) for n in items] for section, items in tp.protocol.sections()
            }
            body["computable_share"] = round(tp.draft.computable_share, 3)
    body["summary"] = finder_summary_json(entry)
    body["data_source"] = finder.info.to_json()
    return body


__all__ = ["PAGE_SIZE", "place_error", "router"]
