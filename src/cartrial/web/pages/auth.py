"""Sign in and out (signed session cookie: HttpOnly, SameSite=Lax, Secure configurable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from cartrial.persistence.repositories import Users
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import DB, AppSettings, login_session
from cartrial.web.templating import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a local path may follow a login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/workspace"
    return target


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
async def login(request: Request, db: DB, settings: AppSettings) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    username = form_text(form, "username").strip()
    user = Users(db).authenticate(username, form_text(form, "password"))
    target = safe_next(form_text(form, "next"))
    if user is None:
        return render(
            request,
            "login.html",
            {"next": target, "error": "Unknown user or wrong password.", "username": username},
            status_code=401,
        )
    login_session(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)
