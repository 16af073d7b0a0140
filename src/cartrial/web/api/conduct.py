"""REST API of trial conduct (token auth, the user's site scope): the DLT board with its
decision, the TEAE table at a data cut, and laboratory values posted as a FHIR Bundle of
Observations (graded at once: a lab system can feed the adverse-event record directly)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from cartrial.conduct.fhir_labs import labs_from_bundle, patient_resource
from cartrial.conduct.report import teae_table
from cartrial.conduct.service import report_data, trial_board
from cartrial.conduct.store import ConductStore
from cartrial.criteria.protocol import Protocol
from cartrial.domain.errors import DataError
from cartrial.persistence.conduct_models import ConductSetup
from cartrial.persistence.models import PatientRecord
from cartrial.web.bodies import BadInput, parse_bundle_json, read_body
from cartrial.web.deps import DB, ApiEditor, ApiUser, AppSettings, CatalogDep, Today

router = APIRouter(tags=["conduct"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API token"},
    404: {"description": "no such trial in conduct, or enrolment (or not at your site)"},
    422: {"description": "bad input; the message names the field"},
}
DateQuery = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD; default today")]


def _day(text: str | None, today: dt.date, field: str) -> dt.date:
    if not text:
        return today
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{field}: {text!r} is not a date (YYYY-MM-DD)") from None


def _trial(store: ConductStore, catalog: CatalogDep, nct_id: str) -> tuple[Protocol, ConductSetup]:
    protocol = catalog.protocols.get(nct_id)
    setup = store.setup(nct_id)
    if protocol is None or setup is None:
        raise HTTPException(404, f"{nct_id} is not a trial in conduct")
    return protocol, setup


@router.get(
    "/trials/{nct_id}/conduct/board",
    summary="DLT board: evaluable patients and DLTs per dose level, and the design's decision",
    responses=_ERRORS,
)
def board(
    nct_id: str, db: DB, user: ApiUser, catalog: CatalogDep, today: Today, as_of: DateQuery = None
) -> dict[str, Any]:
    store = ConductStore(db, user)
    protocol, setup = _trial(store, catalog, nct_id)
    b = trial_board(store, protocol, setup, _day(as_of, today, "as_of"))
    visible = {e.subject_code for e in store.enrolments(nct_id)}
    return {
        "trial": nct_id,
        "as_of": b.as_of.isoformat(),
        "dlt_rules": b.definition_label,
        "design": b.params.to_dict(),
        "n": list(b.counts.n),
        "y": list(b.counts.y),
        "pending": list(b.counts.pending),
        "current_level": b.current_level,
        "decision": b.decision.to_dict() if b.decision else None,
        "note": b.note,
        "patients": [
            {"subject": r.subject, "dose_level": r.dose_level, "status": r.status,
             "assessment": r.assessment.to_dict() if r.assessment else None}
            for r in b.rows
            if r.subject in visible
        ],
    }  # fmt: skip


@router.get(
    "/trials/{nct_id}/conduct/teae",
    summary="TEAE incidence by term, dose level and maximum grade at a data cut",
    responses=_ERRORS,
)
def teae(
    nct_id: str, db: DB, user: ApiUser, catalog: CatalogDep, today: Today, cut: DateQuery = None
) -> dict[str, Any]:
    store = ConductStore(db, user)
    protocol, setup = _trial(store, catalog, nct_id)
    when = _day(cut, today, "cut")
    return {"trial": nct_id, "cut": when.isoformat(),
            "rows": teae_table(report_data(store, protocol, setup, when))}  # fmt: skip


@router.post(
    "/conduct/enrolments/{enrolment_id}/labs",
    summary="Laboratory values as a FHIR R4 Bundle of Observations, graded at once",
    responses={**_ERRORS, 403: {"description": "the token's user is a viewer"}},
    status_code=201,
)
async def post_labs(
    enrolment_id: int, request: Request, db: DB, user: ApiEditor, settings: AppSettings
) -> dict[str, Any]:
    store = ConductStore(db, user)
    e = store.enrolment(enrolment_id)
    if e is None:
        raise HTTPException(404, f"no enrolment {enrolment_id}")
    bundle = parse_bundle_json(await read_body(request, settings.max_bundle_bytes))
    record = db.get(PatientRecord, e.patient_id)
    assert record is not None
    try:
        labs, skipped = labs_from_bundle(bundle, patient_resource(record.bundle))
        if not labs:
            raise DataError("no Observation of a conduct analyte", field="entry")
        stored = store.add_labs(e, labs, source="fhir")
    except DataError as exc:
        db.rollback()
        raise BadInput(str(exc)) from None
    return {
        "stored": [
            {"analyte": lab.analyte, "value": lab.value, "unit": lab.unit,
             "date": lab.effective.isoformat(), "source_id": lab.source_id,
             "adverse_event": None if ae is None else
             {"key": ae.ae_key, "term": ae.term, "version": ae.version,
              "computed_grade": ae.computed_grade, "resolution":
              ae.resolution.isoformat() if ae.resolution else None}}
            for lab, ae in stored
        ],
        "not_used": skipped,
    }  # fmt: skip
