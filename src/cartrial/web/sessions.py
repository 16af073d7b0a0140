"""Server-side browser sessions (pure ASGI middleware): the cookie carries a random id only.

``request.session`` stays a dict (CSRF token, user id and display name); it is loaded from the
``web_sessions`` table at the start of a request and written back when it changed. A session
is refused once revoked (sign-out, password change, deactivation, role or site change) or
past its idle or absolute timeout. Signing in issues a fresh id (no session fixation). The
cookie is HttpOnly, SameSite=Lax, and Secure when configured or when the request came over
HTTPS (directly or per ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cartrial.persistence.models import WebSession
from cartrial.persistence.repositories import WebSessions

log = logging.getLogger("cartrial.web")

COOKIE = "cartrial_session"
TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_at`` is written at most this often per session (not on every request)."""
PURGE_ONE_IN = 32
"""About one new session in this many deletes the rows no cookie can use any more."""


class ServerSession(dict[str, Any]):
    """The session dict plus the flag that asks for a fresh id (set at sign-in)."""

    rotate: bool = False


def rotate_session(request: Request) -> None:
    """Give the session a new id when the response is sent (the old one is revoked)."""
    session = request.session
    if isinstance(session, ServerSession):
        session.rotate = True


def is_https(scope: Scope) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    for key, value in scope.get("headers", []):
        if key == b"x-forwarded-proto":
            first: bytes = value.split(b",")[0].strip().lower()
            return first == b"https"
    return False


class ServerSessions:
    def __init__(
        self,
        app: ASGIApp,
        *,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        write_lock: Callable[[], anyio.Lock | None],
        idle_seconds: int,
        max_age_seconds: int,
        secure: bool,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.read_sessions = read_sessions
        self.write_lock = write_lock
        self.idle = timedelta(seconds=idle_seconds)
        self.absolute = timedelta(seconds=max_age_seconds)
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = HTTPConnection(scope).cookies.get(COOKIE)
        loaded: tuple[int, dict[str, Any], bool] | None = None
        if key:
            loaded = await anyio.to_thread.run_sync(self._load, key)
        session = ServerSession(loaded[1] if loaded else {})
        before = dict(session)
        scope["session"] = session

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = None
                touch = loaded is not None and loaded[2]
                if touch or session.rotate or dict(session) != before:
                    lock = self.write_lock()  # SQLite: take turns with the request writers
                    if lock is not None:
                        await lock.acquire()
                    try:
                        cookie = await anyio.to_thread.run_sync(
                            self._store, loaded[0] if loaded else None, before, session
                        )
                    finally:
                        if lock is not None:
                            lock.release()
                if cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", self._cookie(scope, cookie))
                elif key and loaded is None:  # a dead cookie: drop it
                    MutableHeaders(scope=message).append("set-cookie", self._cookie(scope, ""))
            await send(message)

        await self.app(scope, receive, send_wrapper)

    # ---------------------------------------------------------------- storage (worker thread)

    def _load(self, key: str) -> tuple[int, dict[str, Any], bool] | None:
        """The live session of ``key`` (a read: no lock): its id, data and whether its
        ``last_seen_at`` is due to be written."""
        now = datetime.now(UTC)
        with self.read_sessions() as db:
            row = WebSessions(db).live(key, now, idle=self.idle, absolute=self.absolute)
            if row is None:
                return None
            return row.id, dict(row.data or {}), now - row.last_seen_at > TOUCH_EVERY

    def _store(
        self, row_id: int | None, before: dict[str, Any], session: ServerSession
    ) -> str | None:
        """Write the session back; returns the new cookie value ("" to delete it), or None
        when the cookie stays as it is."""
        data = dict(session)
        now = datetime.now(UTC)
        with self.sessions.begin() as db:
            repo = WebSessions(db)
            if row_id is not None:
                row = db.get(WebSession, row_id)
                if row is None or row.revoked_at is not None:
                    # revoked while this request ran (password change, deactivation ...)
                    if not session.rotate:
                        return ""
                elif session.rotate or not data:
                    repo.revoke(row, now)
                else:
                    row.last_seen_at = now
                    if data == before:
                        return None
                    row.data = data
                    uid = data.get("uid")
                    row.user_id = uid if isinstance(uid, int) else None
                    return None
            if not data:
                return "" if row_id is not None else None
            if secrets.randbelow(PURGE_ONE_IN) == 0:
                repo.purge(now, idle=self.idle, absolute=self.absolute)
            _, new_key = repo.create(data, now)
            return new_key

    def _cookie(self, scope: Scope, value: str) -> str:
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        parts.append(f"Max-Age={int(self.absolute.total_seconds()) if value else 0}")
        if self.secure or is_https(scope):
            parts.append("Secure")
        return "; ".join(parts)
