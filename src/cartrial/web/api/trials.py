"""``GET /api/v1/trials`` (catalogue with filters) and ``GET /api/v1/trials/{nct_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from cartrial.web.catalog import TrialFilters, protocol_json
from cartrial.web.deps import CatalogDep

router = APIRouter(tags=["trials"])


@router.get("/trials", summary="The bundled trials, filtered")
def list_trials(
    catalog: CatalogDep,
    filters: Annotated[TrialFilters, Query()],
) -> dict[str, Any]:
    """Summaries of the bundled computable protocols matching every given filter."""
    found = catalog.search(filters)
    return {
        "count": len(found),
        "filters": filters.active(),
        "trials": [e.summary_json() for e in found],
    }


@router.get("/trials/{nct_id}", summary="One trial with its eligibility tree")
def get_trial(nct_id: str, catalog: CatalogDep) -> dict[str, Any]:
    """Trial metadata and the inclusion/exclusion trees: each node's computable reading
    (``computable``, ``definition``) beside the protocol's own words (``text``)."""
    entry = catalog.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"no bundled trial {nct_id!r}")
    return protocol_json(entry)
