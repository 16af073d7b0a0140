"""Workspace resources behind token auth: ``/api/v1/patients`` and their screenings.

Every read of a record — and of the patient list — is audited as ``view``, a bundle download as
``export``, an import as ``create``, a change as ``update``; viewers may read but not change.
A token sees only its user's site (the session scope, ``persistence/scope.py``): another
site's patient is answered 404, exactly like a missing one.

Writes are conditional: a record carries an ``ETag`` (its row version); a change sent with
``If-Match`` that no longer matches answers 412, and a change that loses a race with another
writer answers 409 — nobody silently overwrites anybody.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from cartrial.persistence.models import PatientRecord
from cartrial.persistence.repositories import Audit, Patients, Screenings
from cartrial.persistence.scope import scope_of, set_scope
from cartrial.services.screening import screen_patient
from cartrial.web.api.screen import BUNDLE_BODY, BUNDLE_TYPES, check_bundle_type
from cartrial.web.bodies import BadInput, bundle_to_patient, parse_bundle_json, read_body
from cartrial.web.deps import (
    DB,
    ApiEditor,
    ApiUser,
    AppSettings,
    CatalogDep,
    Id,
    Offset,
    State,
    Today,
)
from cartrial.web.workspace_actions import (
    default_label,
    patient_overview,
    record_json,
    run_json,
    run_with_diff,
)

router = APIRouter(tags=["workspace"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API token"},
    403: {"description": "the token's user is a viewer"},
    404: {"description": "no such patient (or not at your site)"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {"description": "the record was changed by someone else meanwhile: reload and retry"},
    412: {"description": "If-Match does not match the record's current ETag"},
}
_ETAG_HEADER = {"ETag": {"description": "the record's version", "schema": {"type": "string"}}}

IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="the ETag you read: the change is refused (412) if the record changed since",
    ),
]


def etag(record: PatientRecord) -> str:
    return f'"p{record.id}-v{record.row_version}"'


def _record(db: DB, patient_id: int) -> PatientRecord:
    record = Patients(db).get(patient_id)
    if record is None:
        raise HTTPException(404, f"no patient {patient_id}")
    return record


def check_if_match(record: PatientRecord, if_match: str | None) -> None:
    """412 unless ``If-Match`` (when given) names the record's current ETag or is ``*``."""
    if if_match is None:
        return
    current = etag(record)
    sent = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    if "*" not in sent and current not in sent:
        raise HTTPException(
            412,
            f"the record changed since you read it (now {current}): reload it and apply your "
            "change again",
        )


@router.get("/patients", summary="Workspace patients (your site's)", responses=_ERRORS)
def list_patients(
    db: DB,
    user: ApiUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    records = Patients(db).search(q=q, limit=limit, offset=offset)
    Audit(db).record(user, "view", None, "api: patient list")
    return [record_json(r) for r in records]


@router.post(
    "/patients",
    status_code=201,
    summary="Import a FHIR bundle as a new patient (at your site)",
    openapi_extra={"requestBody": BUNDLE_BODY},
    responses={**_ERRORS, 201: {"headers": _ETAG_HEADER}},
)
async def create_patient(
    request: Request,
    response: Response,
    db: DB,
    user: ApiEditor,
    settings: AppSettings,
    label: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    check_bundle_type(request)
    data = parse_bundle_json(await read_body(request, settings.max_bundle_bytes))

    def work() -> dict[str, Any]:  # parsing and the database off the event loop
        patient = bundle_to_patient(data)
        record = Patients(db).create(
            owner=user,
            label=(label or "").strip() or default_label(patient),
            bundle=data,
            source_id=patient.id,
        )
        Audit(db).record(user, "create", record.id, "imported a FHIR bundle (api)")
        response.headers["ETag"] = etag(record)
        return record_json(record)

    return await run_in_threadpool(work)


@router.get(
    "/patients/{patient_id}",
    summary="One patient: record and parsed overview",
    responses={**_ERRORS, 200: {"headers": _ETAG_HEADER}},
)
def get_patient(
    patient_id: Id, response: Response, db: DB, user: ApiUser, today: Today
) -> dict[str, Any]:
    record = _record(db, patient_id)
    Audit(db).record(user, "view", record.id, "api: record")
    overview = patient_overview(bundle_to_patient(record.bundle), today)
    response.headers["ETag"] = etag(record)
    return {**record_json(record), "overview": jsonable_encoder(overview)}


class PatientPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=2000)


@router.patch(
    "/patients/{patient_id}",
    summary="Change label or notes",
    responses={**_WRITE_ERRORS, 200: {"headers": _ETAG_HEADER}},
)
def patch_patient(
    patient_id: Id,
    patch: PatientPatch,
    response: Response,
    db: DB,
    user: ApiEditor,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    record = _record(db, patient_id)
    check_if_match(record, if_match)
    changed = Patients(db).update(record, label=patch.label, notes=patch.notes)
    if changed:
        Audit(db).record(user, "update", record.id, "api: " + ", ".join(changed))
    response.headers["ETag"] = etag(record)
    return record_json(record)


@router.get(
    "/patients/{patient_id}/bundle",
    summary="Export the stored FHIR bundle",
    responses={
        **_ERRORS,
        200: {"content": {t: {} for t in BUNDLE_TYPES}, "headers": _ETAG_HEADER},
    },
)
def export_bundle(patient_id: Id, db: DB, user: ApiUser) -> Response:
    record = _record(db, patient_id)
    Audit(db).record(user, "export", record.id, "api: bundle download")
    return Response(
        json.dumps(record.bundle, ensure_ascii=False),
        media_type="application/fhir+json",
        headers={"ETag": etag(record)},
    )


@router.put(
    "/patients/{patient_id}/bundle",
    summary="Replace the stored FHIR bundle",
    openapi_extra={"requestBody": BUNDLE_BODY},
    responses={**_WRITE_ERRORS, 200: {"headers": _ETAG_HEADER}},
)
async def put_bundle(
    patient_id: Id,
    request: Request,
    response: Response,
    db: DB,
    user: ApiEditor,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    check_bundle_type(request)
    data = parse_bundle_json(await read_body(request, settings.max_bundle_bytes))

    def work() -> dict[str, Any]:  # parsing and the database off the event loop
        patient = bundle_to_patient(data)
        record = _record(db, patient_id)
        check_if_match(record, if_match)
        changed = Patients(db).update(record, bundle=data, source_id=patient.id)
        if changed:
            Audit(db).record(user, "update", record.id, "replaced the FHIR bundle (api)")
        response.headers["ETag"] = etag(record)
        return record_json(record)

    return await run_in_threadpool(work)


@router.delete(
    "/patients/{patient_id}",
    status_code=204,
    summary="Delete a patient",
    responses=_WRITE_ERRORS,
)
def delete_patient(patient_id: Id, db: DB, user: ApiEditor, if_match: IfMatch = None) -> Response:
    record = _record(db, patient_id)
    check_if_match(record, if_match)
    Audit(db).record(user, "delete", record.id, "api: record and its screenings")
    Patients(db).delete(record)
    return Response(status_code=204)


@router.post(
    "/patients/{patient_id}/screenings",
    status_code=201,
    summary="Screen the patient now and save the run",
    responses=_WRITE_ERRORS,
)
def create_screening(
    patient_id: Id,
    db: DB,
    user: ApiEditor,
    state: State,
    catalog: CatalogDep,
    today: Today,
    as_of: Annotated[date | None, Query(description="Screening date (default: today)")] = None,
) -> dict[str, Any]:
    """The saved run with every result and, against the previous run, what changed and why.

    The screening itself runs on a read-only snapshot of the record, outside the write
    transaction (which on SQLite holds the database's single write lock); the run is saved
    only if the record's bundle is still the one screened, else 409.
    """
    scope = scope_of(db)
    with state.reader() as reader:
        if scope is not None:
            set_scope(reader, scope)
        snapshot = _record(reader, patient_id)
        bundle, version = snapshot.bundle, snapshot.version
    results = screen_patient(
        bundle_to_patient(bundle), as_of=as_of or today, protocols=catalog.protocols.values()
    )
    record = _record(db, patient_id)
    if record.version != version:
        raise HTTPException(
            409, "the patient's bundle changed while it was being screened: screen again"
        )
    screenings = Screenings(db)
    run_id = screenings.add_run(record, [r.to_json() for r in results], catalog.hashes, user)
    Audit(db).record(user, "create", record.id, "saved a screening run (api)")
    run = screenings.run(run_id)
    if run is None:  # pragma: no cover - the run was just written in this transaction
        raise BadInput("the screening run could not be read back", 500)
    return run_json(run, run_with_diff(db, run))


@router.get(
    "/patients/{patient_id}/screenings",
    summary="Screening history (newest first)",
    responses=_ERRORS,
)
def list_screenings(patient_id: Id, db: DB, user: ApiUser) -> list[dict[str, Any]]:
    record = _record(db, patient_id)
    Audit(db).record(user, "view", record.id, "api: screening history")
    return [run_json(r, None, full=False) for r in Screenings(db).runs_for(record.id)]


@router.get(
    "/screenings/{run_id}", summary="One saved screening run with its changes", responses=_ERRORS
)
def get_screening(
    run_id: Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="a run id (32 hex)")],
    db: DB,
    user: ApiUser,
) -> dict[str, Any]:
    run = Screenings(db).run(run_id)
    if run is None:
        raise HTTPException(404, f"no screening run {run_id}")
    Audit(db).record(user, "view", run.patient_id, "api: screening run")
    return run_json(run, run_with_diff(db, run))
