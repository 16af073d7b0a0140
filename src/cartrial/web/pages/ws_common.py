"""Helpers shared by the workspace page modules (``ws_*.py``)."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.responses import RedirectResponse, Response

from cartrial.persistence.models import PatientRecord
from cartrial.persistence.repositories import Patients
from cartrial.web.deps import DB


def record_or_404(db: DB, patient_id: int) -> PatientRecord:
    record = Patients(db).get(patient_id)
    if record is None:
        raise HTTPException(404, f"There is no patient {patient_id}.")
    return record


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
