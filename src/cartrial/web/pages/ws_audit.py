"""Workspace audit log (admins): who viewed, created, changed or exported a patient record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cartrial.persistence.models import AUDIT_ACTIONS
from cartrial.persistence.repositories import Audit
from cartrial.web.deps import DB, MAX_ID, PageAdmin
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


@router.get("/audit")
def audit(
    request: Request,
    db: DB,
    user: PageAdmin,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    action = action if action in AUDIT_ACTIONS else None
    per_page = 100
    entries = Audit(db).entries(
        limit=per_page + 1, offset=(page - 1) * per_page, patient_id=patient_id, action=action
    )
    return render(
        request,
        "ws_audit.html",
        {
            "user": user,
            "entries": entries[:per_page],
            "has_more": len(entries) > per_page,
            "page": page,
            "patient_id": patient_id,
            "action": action,
            "actions": AUDIT_ACTIONS,
        },
    )
