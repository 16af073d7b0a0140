"""Workspace dose escalation: the design's decision for the next cohort."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from cartrial.persistence.models import User
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import AppSettings, PageUser
from cartrial.web.escalation import DESIGNS, FIELDS, LABELS, FormError, decide
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


ESCALATION_DEFAULTS = {"design": "boin", "cohort_size": "3"}


def _escalation_ctx(user: User, values: dict[str, str]) -> dict[str, Any]:
    return {
        "user": user,
        "values": values,
        "designs": DESIGNS,
        "labels": LABELS,
        "result": None,
        "error": None,
        "error_field": None,
    }


@router.get("/escalation")
def escalation_page(request: Request, user: PageUser) -> Response:
    return render(request, "ws_escalation.html", _escalation_ctx(user, dict(ESCALATION_DEFAULTS)))


@router.post("/escalation")
async def escalation_decide(request: Request, user: PageUser, settings: AppSettings) -> Response:
    """The design's decision for the next cohort, with its reason and boundary table; bad input
    re-renders the form (422) with a message naming the field."""
    form = await read_form(request, settings.max_bundle_bytes)
    values = {name: form_text(form, name)[:500] for name in FIELDS}
    ctx = _escalation_ctx(user, values)
    status = 200
    try:
        ctx["result"] = decide(values)
    except FormError as exc:
        ctx["error"], ctx["error_field"] = exc.message, exc.field
        status = 422
    template = (
        "_escalation.html" if request.headers.get("hx-request") == "true" else "ws_escalation.html"
    )
    return render(request, template, ctx, status_code=status)
