"""Sites (trial centres), administrators only: list, add, and move a user to another site or
role. Users and patients belong to one site; coordinators and viewers see only theirs. Every
change is audited by the repositories and ends the moved user's open sessions."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from cartrial.persistence.models import ROLES, User
from cartrial.persistence.repositories import Patients, RepositoryError, Sites, Users
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import DB, AppSettings, Id, PageAdmin
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


def _page(
    request: Request, db: DB, admin: User, *, error: str | None = None, status: int = 200
) -> Response:
    patients = Patients(db).count_by_site()
    users = Users(db).all()
    return render(
        request,
        "ws_sites.html",
        {
            "user": admin,
            "sites": Sites(db).all(),
            "users": users,
            "user_counts": Counter(u.site_id for u in users),
            "patient_counts": patients,
            "roles": ROLES,
            "error": error,
        },
        status_code=status,
    )


@router.get("/sites")
def sites(request: Request, db: DB, user: PageAdmin) -> Response:
    return _page(request, db, user)


@router.post("/sites")
async def add_site(request: Request, db: DB, user: PageAdmin, settings: AppSettings) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    try:
        Sites(db).create(form_text(form, "name"))
    except RepositoryError as exc:
        return _page(request, db, user, error=str(exc), status=422)
    return RedirectResponse("/workspace/sites", status_code=303)


@router.post("/users/{user_id}/placement")
async def place_user(
    request: Request, user_id: Id, db: DB, user: PageAdmin, settings: AppSettings
) -> Response:
    """Set an account's site and role (its open sessions end when either changes)."""
    account = Users(db).get(user_id)
    if account is None:
        raise HTTPException(404, f"There is no user {user_id}.")
    form = await read_form(request, settings.max_bundle_bytes)
    role, site = form_text(form, "role"), form_text(form, "site_id")
    if account.id == user.id and role and role != "admin":
        return _page(
            request, db, user, error="You cannot remove your own administrator role.", status=422
        )
    try:
        if role:
            Users(db).set_role(account, role)
        if site:
            if not site.isdigit():
                raise RepositoryError(f"there is no site {site[:20]!r}")
            Users(db).set_site(account, int(site))
    except RepositoryError as exc:
        return _page(request, db, user, error=str(exc), status=422)
    return RedirectResponse("/workspace/sites", status_code=303)
