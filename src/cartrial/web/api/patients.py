"""Workspace resources behind token auth: ``/api/v1/patients`` and their screenings.

Every read of a record — and of the patient list — is audited as ``view``, a bundle download as ``export``, an import as
``create``, a change as ``update``; viewers may read but not change.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from cartrial.persistence.models import PatientRecord
from cartrial.persistence.repositories import Audit, Patients, Screenings
from cartrial.web.api.screen import BUNDLE_BODY, BUNDLE_TYPES, check_bundle_type
from cartrial.web.bodies import bundle_to_patient, parse_bundle_json, read_body
from cartrial.web.deps import DB, ApiEditor, ApiUser, AppSettings, CatalogDep, Today
from cartrial.web.workspace import (
    import_bundle,
    patient_overview,
    record_json,
    replace_bundle,
    run_json,
    run_with_diff,
    screen_record,
)

router = APIRouter(tags=["workspace"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API token"},
    403: {"description": "the token's user is a viewer"},
    404: {"description": "no such patient"},
}


def _record(db: DB, patient_id: int) -> PatientRecord:
    record = Patients(db).get(patient_id)
    if record is None:
        raise HTTPException(404, f"no patient {patient_id}")
    return record


@router.get("/patients", summary="Workspace patients", responses=_ERRORS)
def list_patients(
    db: DB,
    user: ApiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    records = Patients(db).search(q=q, limit=limit, offset=offset)
    Audit(db).record(user, "view", None, "api: patient list")
    return [record_json(r) for r in records]


@router.post(
    "/patients",
    status_code=201,
    summary="Import a FHIR bundle as a new patient",
    openapi_extra={"requestBody": BUNDLE_BODY},
    responses=_ERRORS,
)
async def create_patient(
    request: Request,
    db: DB,
    user: ApiEditor,
    settings: AppSettings,
    label: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    check_bundle_type(request)
    data = parse_bundle_json(await read_body(request, settings.max_bundle_bytes))
    record = import_bundle(db, user, data, label=label, via="api")
    return record_json(record)


@router.get(
    "/patients/{patient_id}", summary="One patient: record and parsed overview", responses=_ERRORS
)
def get_patient(patient_id: int, db: DB, user: ApiUser, today: Today) -> dict[str, Any]:
    record = _record(db, patient_id)
    Audit(db).record(user, "view", record.id, "api: record")
    overview = patient_overview(bundle_to_patient(record.bundle), today)
    return {**record_json(record), "overview": jsonable_encoder(overview)}


class PatientPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=2000)


@router.patch("/patients/{patient_id}", summary="Change label or notes", responses=_ERRORS)
def patch_patient(patient_id: int, patch: PatientPatch, db: DB, user: ApiEditor) -> dict[str, Any]:
    record = _record(db, patient_id)
    changed = Patients(db).update(record, label=patch.label, notes=patch.notes)
    if changed:
        Audit(db).record(user, "update", record.id, "api: " + ", ".join(changed))
    return record_json(record)


@router.get(
    "/patients/{patient_id}/bundle",
    summary="Export the stored FHIR bundle",
    responses={**_ERRORS, 200: {"content": {t: {} for t in BUNDLE_TYPES}}},
)
def export_bundle(patient_id: int, db: DB, user: ApiUser) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "export", record.id, "api: bundle download")
    return Response(
        json.dumps(record.bundle, ensure_ascii=False), media_type="application/fhir+json"
    )


@router.put(
    "/patients/{patient_id}/bundle",
    summary="Replace the stored FHIR bundle",
    openapi_extra={"requestBody": BUNDLE_BODY},
    responses=_ERRORS,
)
async def put_bundle(
    patient_id: int,
    request: Request,
    db: DB,
    user: ApiEditor,
    settings: AppSettings,
) -> dict[str, Any]:
    check_bundle_type(request)
    data = parse_bundle_json(await read_body(request, settings.max_bundle_bytes))
    record = _record(db, patient_id)
    replace_bundle(db, user, record, data, via="api")
    return record_json(record)


@router.delete(
    "/patients/{patient_id}", status_code=204, summary="Delete a patient", responses=_ERRORS
)
def delete_patient(patient_id: int, db: DB, user: ApiEditor) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "delete", record.id, "api: record and its screenings")
    Patients(db).delete(record)
    return Response(status_code=204)


@router.post(
    "/patients/{patient_id}/screenings",
    status_code=201,
    summary="Screen the patient now and save the run",
    responses=_ERRORS,
)
def create_screening(
    patient_id: int,
    db: DB,
    user: ApiEditor,
    catalog: CatalogDep,
    today: Today,
    as_of: Annotated[date | None, Query(description="Screening date (default: today)")] = None,
) -> dict[str, Any]:
    """The saved run with every result and, against the previous run, what changed and why."""
    record = _record(db, patient_id)
    run = screen_record(db, catalog, record, user, as_of=as_of or today, via="api")
    return run_json(run, run_with_diff(db, run))


@router.get(
    "/patients/{patient_id}/screenings",
    summary="Screening history (newest first)",
    responses=_ERRORS,
)
def list_screenings(patient_id: int, db: DB, user: ApiUser) -> list[dict[str, Any]]:
    record = _record(db, patient_id)
    Audit(db).record(user, "view", record.id, "api: screening history")
    return [run_json(r, None, full=False) for r in Screenings(db).runs_for(record.id)]


@router.get(
    "/screenings/{run_id}", summary="One saved screening run with its changes", responses=_ERRORS
)
def get_screening(run_id: str, db: DB, user: ApiUser) -> dict[str, Any]:
    run = Screenings(db).run(run_id)
    if run is None:
        raise HTTPException(404, f"no screening run {run_id!r}")
    Audit(db).record(user, "view", run.patient_id, "api: screening run")
    return run_json(run, run_with_diff(db, run))
