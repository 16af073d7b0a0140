"""Workspace patients: list, import, view, edit, export, delete and screen a record.

Every view, creation, change, export and deletion writes an audit entry in the same transaction
as the action; opening the patient list too, with the list as its target and no patient id.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from cartrial.persistence.repositories import Audit, Patients, Screenings
from cartrial.web.bodies import (
    BadInput,
    bundle_to_patient,
    form_file,
    form_text,
    parse_bundle_json,
    read_form,
)
from cartrial.web.deps import DB, AppSettings, CatalogDep, Id, PageEditor, PageUser, Today
from cartrial.web.pages.ws_common import record_or_404, see_other
from cartrial.web.templating import render
from cartrial.web.workspace_actions import (
    import_bundle,
    patient_overview,
    replace_bundle,
    screen_record,
)

router = APIRouter(prefix="/workspace")

CHANGED_BY_SOMEONE_ELSE = (
    "This patient was changed by someone else since you opened this form, so nothing was "
    "saved. Reload the page to see their change, then apply yours again (your text is below)."
)


@router.get("/patients")
def patients(
    request: Request,
    db: DB,
    user: PageUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    records = Patients(db).search(q=q)
    Audit(db).record(user, "view", None, "patient list")  # never the search text: it may be a name
    latest = Screenings(db).latest_for_patients(r.id for r in records)
    return render(
        request,
        "ws_patients.html",
        {"user": user, "records": records, "latest": latest, "q": q or "", "error": None},
    )


async def _bundle_from_form(form: FormData, limit: int) -> dict[str, Any]:
    raw = await form_file(form, "bundle", limit)
    if raw is None:
        text = form_text(form, "bundle_text")
        if not text.strip():
            raise BadInput("choose a bundle file or paste the bundle JSON")
        raw = text.encode("utf-8")
    return parse_bundle_json(raw)


@router.post("/patients")
async def import_patient(
    request: Request,
    db: DB,
    user: PageEditor,
    settings: AppSettings,
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    data = await _bundle_from_form(form, settings.max_bundle_bytes)
    record = import_bundle(db, user, data, label=form_text(form, "label"), via="upload")
    return see_other(f"/workspace/patients/{record.id}")


@router.get("/patients/{patient_id}")
def patient_page(
    request: Request,
    patient_id: Id,
    db: DB,
    user: PageUser,
    today: Today,
    catalog: CatalogDep,
) -> Response:
    record = record_or_404(db, patient_id)
    Audit(db).record(user, "view", record.id, "patient page")
    overview = patient_overview(bundle_to_patient(record.bundle), today)
    runs = Screenings(db).runs_for(record.id)
    return render(
        request,
        "ws_patient.html",
        {
            "user": user,
            "record": record,
            "overview": overview,
            "runs": runs,
            "today": today,
            "trials": list(catalog.entries.values()),
        },
    )


@router.get("/patients/{patient_id}/edit")
def edit_page(request: Request, patient_id: Id, db: DB, user: PageEditor) -> Response:
    record = record_or_404(db, patient_id)
    Audit(db).record(user, "view", record.id, "edit form")
    return render(
        request,
        "ws_edit.html",
        {
            "user": user,
            "record": record,
            "errors": [],
            "bundle_text": json.dumps(record.bundle, indent=2, ensure_ascii=False),
        },
    )


@router.post("/patients/{patient_id}")
async def update_patient(
    request: Request,
    patient_id: Id,
    db: DB,
    user: PageEditor,
    settings: AppSettings,
) -> Response:
    record = record_or_404(db, patient_id)
    form = await read_form(request, settings.max_bundle_bytes)
    label, notes = form_text(form, "label"), form_text(form, "notes")
    bundle_text = form_text(form, "bundle_text")
    seen = form_text(form, "row_version").strip()  # the version the form was opened on
    if seen and seen != str(record.row_version):
        return render(
            request,
            "ws_edit.html",
            {
                "user": user,
                "record": record,
                "errors": [CHANGED_BY_SOMEONE_ELSE],
                "bundle_text": bundle_text,
                "label": label,
                "notes": notes,
                "row_version": seen,
            },
            status_code=409,
        )
    try:
        data = parse_bundle_json(bundle_text) if bundle_text.strip() else None
        if data is not None:
            bundle_to_patient(data)
    except BadInput as exc:
        return render(
            request,
            "ws_edit.html",
            {
                "user": user,
                "record": record,
                "errors": [exc.message],
                "bundle_text": bundle_text,
                "label": label,
                "notes": notes,
                "row_version": seen or str(record.row_version),
            },
            status_code=exc.status_code,
        )
    changed = Patients(db).update(record, label=label, notes=notes)
    if changed:
        Audit(db).record(user, "update", record.id, "edited " + ", ".join(changed))
    if data is not None:
        replace_bundle(db, user, record, data, via="edit form")
    return see_other(f"/workspace/patients/{record.id}")


@router.get("/patients/{patient_id}/export")
def export_patient(patient_id: Id, db: DB, user: PageUser) -> Response:
    record = record_or_404(db, patient_id)
    Audit(db).record(user, "export", record.id, "bundle download")
    return Response(
        json.dumps(record.bundle, indent=2, ensure_ascii=False),
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="patient-{record.id}.json"'},
    )


@router.post("/patients/{patient_id}/delete")
def delete_patient(patient_id: Id, db: DB, user: PageEditor) -> Response:
    record = record_or_404(db, patient_id)
    Audit(db).record(user, "delete", record.id, "record and its screenings")
    Patients(db).delete(record)
    return see_other("/workspace/patients")


@router.post("/patients/{patient_id}/screen")
async def screen_patient_page(
    request: Request,
    patient_id: Id,
    db: DB,
    user: PageEditor,
    catalog: CatalogDep,
    today: Today,
    settings: AppSettings,
) -> Response:
    record = record_or_404(db, patient_id)
    form = await read_form(request, settings.max_bundle_bytes)
    raw = form_text(form, "as_of").strip()
    try:
        as_of = date.fromisoformat(raw) if raw else today
    except ValueError:
        raise BadInput(f"as_of: {raw!r} is not a date (YYYY-MM-DD)") from None
    run = screen_record(db, catalog, record, user, as_of=as_of, via="workspace")
    return see_other(f"/workspace/screenings/{run.run_id}")
