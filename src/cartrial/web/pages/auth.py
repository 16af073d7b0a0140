"""Sign in and out (signed session cookie: HttpOnly, SameSite=Lax, Secure configurable).

Failed sign-ins are counted per username in the database (``LoginThrottle``): after
``login_max_attempts`` failures within ``login_window_seconds`` further attempts answer 429
until the window has passed — the same for an existing and an unknown username, and without
checking the password, so the answer says nothing about either. Logs name the attempt only by
a short prefix of the keyed hash, never the username or the password.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from cartrial.persistence.auth import login_key
from cartrial.persistence.repositories import LoginThrottle, Users
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import DB, AppSettings, Now, State, login_session
from cartrial.web.settings import Settings
from cartrial.web.templating import render

router = APIRouter()
log = logging.getLogger("cartrial.auth")

BAD_CREDENTIALS = "Unknown user or wrong password."


def safe_next(target: str | None) -> str:
    """Only a local path may follow a login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/workspace"
    return target


def throttle(db: Session, settings: Settings) -> LoginThrottle:
    return LoginThrottle(
        db,
        max_failures=settings.login_max_attempts,
        window=timedelta(seconds=settings.login_window_seconds),
    )


def too_many_message(wait_seconds: int) -> str:
    minutes = max(1, math.ceil(wait_seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed sign-in attempts for this username. Sign-in is paused for it: "
        f"try again in about {minutes} {unit}."
    )


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
async def login(
    request: Request, db: DB, settings: AppSettings, state: State, now: Now
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    username = form_text(form, "username").strip()
    target = safe_next(form_text(form, "next"))
    key = login_key(state.secret_key, username)
    limiter = throttle(db, settings)
    until = limiter.blocked_until(key, now)
    if until is not None:
        return _too_many(request, target, username, key, until, now)
    user = Users(db).authenticate(username, form_text(form, "password"))
    if user is None:
        limiter.record_failure(key, now)
        log.info("sign-in failed (user key %s)", key[:12])
        if limiter.blocked_until(key, now) is not None:
            log.warning(
                "sign-in paused after %d failures in %ds (user key %s)",
                settings.login_max_attempts,
                settings.login_window_seconds,
                key[:12],
            )
        return render(
            request,
            "login.html",
            {"next": target, "error": BAD_CREDENTIALS, "username": username},
            status_code=401,
        )
    limiter.clear(key)
    login_session(request, user)
    return RedirectResponse(target, status_code=303)


def _too_many(
    request: Request, target: str, username: str, key: str, until: datetime, now: datetime
) -> Response:
    wait = max(1, math.ceil((until - now).total_seconds()))
    log.warning("sign-in refused: too many failures (user key %s)", key[:12])
    return render(
        request,
        "login.html",
        {"next": target, "error": too_many_message(wait), "username": username},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)
