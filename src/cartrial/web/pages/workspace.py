"""The coordinators' workspace (login required): patients, screenings, candidates, calculators,
API tokens, users and the audit log — one module per part (``ws_*.py``), gathered here.

Roles: viewers read; coordinators and admins also import, edit, screen and delete; admins see
the audit log and manage users (add, deactivate, reactivate, reset a password). Every view,
creation, change, export and deletion of a patient record writes an audit entry in the same
transaction as the action — opening a list of patients (the patient list, a trial's candidates,
the screening tallies) too, with the list as its target and no patient id.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from cartrial.web.pages import (
    ws_audit,
    ws_calculators,
    ws_escalation,
    ws_patients,
    ws_screenings,
    ws_tokens,
    ws_users,
)
from cartrial.web.pages.ws_common import see_other

router = APIRouter()


@router.get("/workspace")
def home() -> Response:
    return see_other("/workspace/patients")


for _part in (
    ws_patients,
    ws_screenings,
    ws_calculators,
    ws_escalation,
    ws_tokens,
    ws_users,
    ws_audit,
):
    router.include_router(_part.router)
