"""``POST /api/v1/screen``: a FHIR bundle in, the verdicts out (the JSON of ``cartrial match``).

Nothing of the request is stored or logged.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from cartrial.evaluate import ScreeningResult
from cartrial.services.screening import explained_all, screen_patient
from cartrial.web.bodies import BadInput, bundle_to_patient, parse_bundle_json, read_body
from cartrial.web.catalog import Catalog
from cartrial.web.deps import AppSettings, CatalogDep, Today

router = APIRouter(tags=["screening"])

BUNDLE_TYPES = ("application/fhir+json", "application/json")

BUNDLE_BODY = {
    "required": True,
    "description": "A FHIR R4 Bundle (JSON) holding one patient's record.",
    "content": {
        ctype: {
            "schema": {
                "type": "object",
                "description": "FHIR R4 Bundle",
                "required": ["resourceType"],
                "properties": {"resourceType": {"const": "Bundle"}},
            }
        }
        for ctype in BUNDLE_TYPES
    },
}


def selected_protocols(catalog: Catalog, trial: list[str] | None) -> list[Any]:
    if not trial:
        return list(catalog.protocols.values())
    wanted = list(dict.fromkeys(t.strip().upper() for t in trial if t.strip()))
    unknown = [t for t in wanted if t not in catalog.protocols]
    if unknown:
        raise HTTPException(
            404, f"no bundled trial {', '.join(unknown)} (known: {', '.join(catalog.protocols)})"
        )
    return [catalog.protocols[t] for t in wanted]


def check_bundle_type(request: Request) -> None:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in BUNDLE_TYPES:
        raise BadInput(
            f"send the bundle as application/fhir+json or application/json "
            f"(got {ctype or 'no Content-Type'})",
            415,
        )


@router.post(
    "/screen",
    response_model=list[ScreeningResult],
    summary="Screen one patient (FHIR bundle) against the bundled trials",
    openapi_extra={"requestBody": BUNDLE_BODY},
    responses={
        413: {"description": "bundle over MAX_BUNDLE_BYTES"},
        415: {"description": "not JSON"},
        422: {"description": "malformed JSON or invalid FHIR (names resource and field)"},
    },
)
async def screen(
    request: Request,
    settings: AppSettings,
    catalog: CatalogDep,
    today: Today,
    as_of: Annotated[date | None, Query(description="Screening date (default: today)")] = None,
    trial: Annotated[list[str] | None, Query(description="NCT ids (default: all)")] = None,
) -> JSONResponse:
    """One result per trial: verdict, decisive criteria, every criterion with its status,
    evidence and missing data, manual-review items and the earliest eligible date."""
    protocols = selected_protocols(catalog, trial)
    check_bundle_type(request)
    body = await read_body(request, settings.max_bundle_bytes)
    day = as_of or today

    def work() -> list[ScreeningResult]:
        patient = bundle_to_patient(parse_bundle_json(body))
        return screen_patient(patient, as_of=day, protocols=protocols)

    results = await run_in_threadpool(work)
    # the same JSON as `cartrial match`: `reason` and `explanation` beside the machine fields
    return JSONResponse(explained_all(results, catalog.protocols))
