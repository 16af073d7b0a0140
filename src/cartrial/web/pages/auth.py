"""Sign in and out (server-side sessions: the cookie holds a random id, see ``web/sessions.py``).

Failed sign-ins are counted in the database (``LoginThrottle``) per username *and* per client
address: after ``login_max_attempts`` failures for one username, or
``login_max_attempts_per_address`` from one address, within ``login_window_seconds`` further
attempts answer 429 until the window has passed — the same for an existing and an unknown
username, and without checking the password, so the answer says nothing about either. Logs
name the attempt only by a short prefix of the keyed hash, never the username or the password.
Sign-ins, failed sign-ins (of existing accounts) and sign-outs are audited.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from cartrial.persistence.auth import address_key, login_key
from cartrial.persistence.models import User
from cartrial.persistence.repositories import Audit, LoginThrottle, Users
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import DB, AppSettings, Now, State, current_user, login_session
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


def address_throttle(db: Session, settings: Settings) -> LoginThrottle:
    return LoginThrottle(
        db,
        max_failures=settings.login_max_attempts_per_address,
        window=timedelta(seconds=settings.login_window_seconds),
    )


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the socket peer, or X-Forwarded-For's first hop when configured
    to trust a proxy."""
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:100]
    return request.client.host if request.client else "unknown"


def too_many_message(
    wait_seconds: int, reason: str = "Too many failed sign-in attempts for this username"
) -> str:
    minutes = max(1, math.ceil(wait_seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"{reason}. Sign-in is paused: try again in about {minutes} {unit}."


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
async def login(
    request: Request, db: DB, settings: AppSettings, state: State, now: Now
) -> Response:
    form = await read_form(request, settings.max_bundle_bytes)
    username = form_text(form, "username").strip()[:200]
    target = safe_next(form_text(form, "next"))
    key = login_key(state.secret_key, username)
    addr_key = address_key(state.secret_key, client_address(request, settings))
    limiter, addr_limiter = throttle(db, settings), address_throttle(db, settings)
    until = limiter.blocked_until(key, now)
    if until is not None:
        return _too_many(request, target, username, key, until, now, USERNAME_PAUSED)
    addr_until = addr_limiter.blocked_until(addr_key, now)
    if addr_until is not None:
        return _too_many(request, target, username, addr_key, addr_until, now, ADDRESS_PAUSED)
    users = Users(db)
    user = users.authenticate(username, form_text(form, "password"))
    if user is None:
        limiter.record_failure(key, now)
        addr_limiter.record_failure(addr_key, now)
        log.info("sign-in failed (user key %s)", key[:12])
        known = users.by_username(username)
        if known is not None:  # an unknown name may be a mistyped password: never stored
            Audit(db).record(
                None, "login_failed", None, f"user {known.username}", site_id=known.site_id
            )
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
    Audit(db).record(user, "login", None, "signed in", site_id=user.site_id)
    return RedirectResponse(target, status_code=303)


USERNAME_PAUSED = "Too many failed sign-in attempts for this username"
ADDRESS_PAUSED = "Too many failed sign-in attempts from your network address"


def _too_many(
    request: Request,
    target: str,
    username: str,
    key: str,
    until: datetime,
    now: datetime,
    reason: str,
) -> Response:
    wait = max(1, math.ceil((until - now).total_seconds()))
    log.warning("sign-in refused: too many failures (key %s)", key[:12])
    return render(
        request,
        "login.html",
        {"next": target, "error": too_many_message(wait, reason), "username": username},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


@router.post("/logout")
def logout(
    request: Request, db: DB, user: Annotated[User | None, Depends(current_user)]
) -> Response:
    """End the session: its row is revoked, so the old cookie is worthless from now on."""
    if user is not None:
        Audit(db).record(user, "logout", None, "signed out", site_id=user.site_id)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
