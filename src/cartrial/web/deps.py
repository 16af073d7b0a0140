"""Dependencies (``Depends``): state, clock, one DB transaction per request, users, CSRF.

Tests override :func:`get_today`, :func:`get_now`, :func:`get_db` or :func:`get_catalog` through
``app.dependency_overrides``; nothing here reads a global.

A request's database session sees no site's rows until a user is authenticated; then it sees
that user's site (administrators: every site) — see ``persistence/scope.py``.
"""

from __future__ import annotations

import hmac
import inspect
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import urlsplit

import anyio
from fastapi import Depends, HTTPException, Path, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cartrial.persistence.models import User
from cartrial.persistence.repositories import Tokens, Users, set_actor
from cartrial.persistence.scope import NOBODY, scope_for, set_scope
from cartrial.web.bodies import read_form
from cartrial.web.catalog import Catalog
from cartrial.web.sessions import rotate_session
from cartrial.web.settings import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

MAX_ID = 2**63 - 1
"""The largest row id any supported database stores (signed 64-bit)."""

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="Row id (1 … 2^63-1)")]
"""A bounded path id: anything outside answers 422 instead of overflowing the driver."""
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip")]


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog | None = None
    secret_key: str = ""
    """The resolved SECRET_KEY (keys the login-failure hashes)."""
    read_sessions: sessionmaker[Session] | None = None
    """Read-only sessions (no write lock on SQLite): authentication, reads before a write."""
    _write_lock: anyio.Lock | None = None

    def reader(self) -> Session:
        return (self.read_sessions or self.sessions)()

    def write_lock(self) -> anyio.Lock | None:
        """On SQLite, the lock this process's writers take turns on (None on PostgreSQL)."""
        if self.engine.dialect.name != "sqlite":
            return None
        if self._write_lock is None:
            self._write_lock = anyio.Lock()
        return self._write_lock


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.cartrial
    return state


State = Annotated[AppState, Depends(get_state)]


def get_settings(state: State) -> Settings:
    return state.settings


def get_catalog(state: State) -> Catalog:
    if state.catalog is None:
        raise RuntimeError("the trial catalogue is not loaded (start the app with its lifespan)")
    return state.catalog


def get_today() -> date:
    """The screening date when none is given: read here, at the edge, never in the library."""
    return date.today()


def get_now() -> datetime:
    """The current time (UTC) for time windows such as login attempt limiting."""
    return datetime.now(UTC)


def _async_endpoint(request: Request) -> bool:
    return inspect.iscoroutinefunction(request.scope.get("endpoint"))


async def prefetch_body(request: Request) -> None:
    """An ``async def`` handler's body is received before its transaction starts (see
    :func:`get_db`), so a slow client never holds the database's write lock."""
    if request.method in UNSAFE_METHODS and _async_endpoint(request):
        await request.body()


async def get_db(request: Request, state: State) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    The session starts scoped to no site at all; authentication widens it to the user's site.

    SQLite has one writer at a time, and every workspace request writes (at least its audit
    line). Requests of this process take turns on an asyncio lock *before* they start their
    transaction: waiting there costs no worker thread. Waiting inside SQLite's busy handler
    instead would park worker threads until none is left for the request holding the lock to
    commit — the deadlock behind the 500s after the busy timeout. (Other processes on the
    same file still queue on the busy timeout.) An ``async def`` handler's transaction also
    begins here, off the event loop.
    """
    lock = state.write_lock()
    if lock is not None:
        await lock.acquire()
    session = state.sessions()
    set_scope(session, NOBODY)
    try:
        if lock is not None and _async_endpoint(request):
            await run_in_threadpool(session.connection)  # BEGIN IMMEDIATE in a worker thread
        yield session
        await run_in_threadpool(session.commit)
    except BaseException:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        await run_in_threadpool(session.close)
        if lock is not None:
            lock.release()


AppSettings = Annotated[Settings, Depends(get_settings)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
Today = Annotated[date, Depends(get_today)]
Now = Annotated[datetime, Depends(get_now)]
DB = Annotated[Session, Depends(get_db, scope="function")]


# ------------------------------------------------------------------ page sessions (cookie)


class LoginRequired(Exception):
    """Raised for an anonymous visitor of a workspace page; handled as a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url
        super().__init__(next_url)


def current_user(request: Request, db: DB, state: State) -> User | None:
    """The signed-in user of this (server-side, unrevoked, unexpired) session; scopes ``db``.

    The user is read in a short read-only session and attached to ``db`` without a query, so
    the request's own transaction (and, on SQLite, its write lock) starts only when the
    handler first touches the database.
    """
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    with state.reader() as reader:
        user = Users(reader).get(uid)
    if user is None or not user.is_active:
        request.session.clear()
        return None
    return _attach(db, user)


def _attach(db: Session, user: User) -> User:
    attached = db.merge(user, load=False)
    set_scope(db, scope_for(attached))
    set_actor(db, attached)
    return attached


def login_session(request: Request, user: User) -> None:
    """Sign ``user`` in: the session gets a fresh id and CSRF token (nothing secret inside)."""
    request.session.clear()
    request.session.update(
        {
            "uid": user.id,
            "username": user.username,
            "role": user.role,
            "csrf": secrets.token_urlsafe(32),
        }
    )
    rotate_session(request)


def require_user(request: Request, user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def require_editor(user: Annotated[User, Depends(require_user)]) -> User:
    if not user.can_edit:
        raise HTTPException(403, "Your role (viewer) can read records but not change them.")
    return user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(403, "Only administrators can see this page.")
    return user


PageUser = Annotated[User, Depends(require_user)]
PageEditor = Annotated[User, Depends(require_editor)]
PageAdmin = Annotated[User, Depends(require_admin)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); rendered into every form."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site (Origin, else Referer).

    Defence in depth beside the token: a browser always sends Origin on a cross-site POST.
    Requests without either header (non-browser clients) pass on to the token check.
    """
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent:
        return True
    if sent == "null":
        return False
    here = request.headers.get("host", request.url.netloc).lower()
    return urlsplit(sent).netloc.lower() == here


async def csrf_protect(request: Request, settings: AppSettings) -> None:
    """Every state-changing page request must come from our own pages (Origin/Referer) and
    carry the session's CSRF token.

    The token comes from the ``csrf_token`` form field or the ``X-CSRF-Token`` header (htmx).
    """
    if request.method not in UNSAFE_METHODS:
        return
    if not same_origin(request):
        raise HTTPException(
            403, "The request came from another site (Origin/Referer): it was refused."
        )
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if not sent:
        form = await read_form(request, settings.max_bundle_bytes)
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(
            403,
            "The form's security token (CSRF) is missing or out of date: reload the page "
            "and submit again.",
        )


# ------------------------------------------------------------------ API tokens (bearer)

_bearer = HTTPBearer(auto_error=False, description="API token (create one in the workspace)")


def api_user(
    db: DB,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> User:
    """The token's user; scopes ``db`` to the user's site (looked up in a short transaction
    of its own, like :func:`current_user`)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "an API token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with state.reader() as reader:
        token = Tokens(reader).active(credentials.credentials)
    if token is None:
        raise HTTPException(
            401, "the API token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    user = _attach(db, token.user)
    Tokens(db).touch(token)
    return user


def api_editor(user: Annotated[User, Depends(api_user)]) -> User:
    if not user.can_edit:
        raise HTTPException(403, "the token's user has the viewer role and cannot change records")
    return user


def api_admin(user: Annotated[User, Depends(api_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(403, "only administrators manage sites and users")
    return user


ApiUser = Annotated[User, Depends(api_user)]
ApiEditor = Annotated[User, Depends(api_editor)]
ApiAdmin = Annotated[User, Depends(api_admin)]
