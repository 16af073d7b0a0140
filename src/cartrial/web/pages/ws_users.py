"""Workspace users (admins): add, deactivate, reactivate, reset a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from cartrial.persistence.auth import login_key, new_password
from cartrial.persistence.models import ROLES, User
from cartrial.persistence.repositories import Audit, RepositoryError, Tokens, Users
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import DB, AppSettings, Id, PageAdmin, State, login_session
from cartrial.web.pages.auth import throttle
from cartrial.web.pages.ws_common import see_other
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


@router.get("/users")
def users(request: Request, db: DB, user: PageAdmin) -> Response:
    return render(
        request,
        "ws_users.html",
        {"user": user, "users": Users(db).all(), "roles": ROLES, "error": None},
    )


DONE_MESSAGES = {
    "deactivated": "The account is deactivated: it cannot sign in and its API tokens are refused.",
    "reactivated": "The account is active again.",
    "password": "The password was changed: the user's open sessions have ended.",
}


def _account(db: DB, user_id: int) -> User:
    account = Users(db).get(user_id)
    if account is None:
        raise HTTPException(404, f"There is no user {user_id}.")
    return account


def _account_page(
    request: Request,
    db: DB,
    admin: User,
    account: User,
    *,
    message: str | None = None,
    error: str | None = None,
    shown_password: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "ws_user.html",
        {
            "user": admin,
            "account": account,
            "active_tokens": Tokens(db).active_count(account),
            "message": message,
            "error": error,
            "new_password": shown_password,
        },
        status_code=status_code,
    )


@router.get("/users/{user_id}")
def user_page(
    request: Request,
    user_id: Id,
    db: DB,
    user: PageAdmin,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    account = _account(db, user_id)
    return _account_page(request, db, user, account, message=DONE_MESSAGES.get(done or ""))


@router.post("/users/{user_id}/deactivate")
def deactivate_user(request: Request, user_id: Id, db: DB, user: PageAdmin) -> Response:
    account = _account(db, user_id)
    if account.id == user.id:
        return _account_page(
            request,
            db,
            user,
            account,
            error="You cannot deactivate your own account (ask another administrator).",
            status_code=422,
        )
    if Users(db).set_active(account, False):
        Audit(db).record(user, "update", None, f"user {account.username}: deactivated")
    return see_other(f"/workspace/users/{account.id}?done=deactivated")


@router.post("/users/{user_id}/reactivate")
def reactivate_user(user_id: Id, db: DB, user: PageAdmin) -> Response:
    account = _account(db, user_id)
    if Users(db).set_active(account, True):
        Audit(db).record(user, "update", None, f"user {account.username}: reactivated")
    return see_other(f"/workspace/users/{account.id}?done=reactivated")


@router.post("/users/{user_id}/password")
async def reset_password(
    request: Request,
    user_id: Id,
    db: DB,
    user: PageAdmin,
    settings: AppSettings,
    state: State,
) -> Response:
    """Set the password the admin typed, or a generated one shown once; the user's sessions
    end, their paused sign-ins are released and, if asked, their API tokens are revoked."""
    account = _account(db, user_id)
    form = await read_form(request, settings.max_bundle_bytes)
    typed = form_text(form, "password")
    password = typed or new_password()
    try:
        Users(db).set_password(account, password)
    except RepositoryError as exc:
        return _account_page(request, db, user, account, error=str(exc), status_code=422)
    throttle(db, settings).clear(login_key(state.secret_key, account.username))
    detail = f"user {account.username}: password reset"
    if form_text(form, "revoke_tokens") in ("on", "true", "1"):
        revoked = Tokens(db).revoke_all(account)
        detail += f", {revoked} API token(s) revoked"
    Audit(db).record(user, "update", None, detail)
    if account.id == user.id:
        login_session(request, account)  # keep the admin's own session valid
    if typed:
        return see_other(f"/workspace/users/{account.id}?done=password")
    return _account_page(
        request, db, user, account, message=DONE_MESSAGES["password"], shown_password=password
    )


@router.post("/users")
async def add_user(request: Request, db: DB, user: PageAdmin, settings: AppSettings) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    try:
        Users(db).create(
            form_text(form, "username"), form_text(form, "password"), form_text(form, "role")
        )
    except RepositoryError as exc:
        return render(
            request,
            "ws_users.html",
            {"user": user, "users": Users(db).all(), "roles": ROLES, "error": str(exc)},
            status_code=422,
        )
    return see_other("/workspace/users")
