"""Errors as responses: 4xx with a message naming the problem, a generic 500, never a trace.

API paths (``/api/...``) answer JSON ``{"detail": ...}``; pages answer an HTML error page.
Log lines carry the exception type, the route and the code location — never the exception
message or request data, which could contain patient data.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cartrial.domain.errors import CartrialError
from cartrial.persistence.repositories import RepositoryError
from cartrial.web.bodies import BadInput, BodyTooLarge, too_large_message
from cartrial.web.deps import LoginRequired

log = logging.getLogger("cartrial.web")

GENERIC_500 = "Internal server error. The problem has been logged without request data."


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(
    request: Request, status: int, message: str, details: list[str] | None = None
) -> Response:
    from cartrial.web.templating import render

    try:
        return render(
            request,
            "error.html",
            {"status": status, "message": message, "details": details or []},
            status_code=status,
        )
    except Exception:  # the error page itself must never fail
        return PlainTextResponse(f"{status}: {message}", status_code=status)


def _respond(
    request: Request,
    status: int,
    message: str,
    *,
    details: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
    api_detail: Any = None,
) -> Response:
    if is_api(request):
        return JSONResponse(
            {"detail": api_detail if api_detail is not None else message},
            status_code=status,
            headers=headers,
        )
    response = _error_page(request, status, message, details)
    if headers:
        response.headers.update(headers)
    return response


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return _respond(
            request, exc.status_code, message, headers=exc.headers, api_detail=exc.detail
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        lines = [f"{_field(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
        if is_api(request):
            cleaned = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
            return JSONResponse({"detail": jsonable_encoder(cleaned)}, status_code=422)
        return _error_page(request, 422, "Some values could not be used.", lines)

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        return _respond(request, exc.status_code, exc.message)

    @app.exception_handler(CartrialError)
    async def library_error(request: Request, exc: CartrialError) -> Response:
        return _respond(request, 422, str(exc))

    @app.exception_handler(RepositoryError)
    async def repository_error(request: Request, exc: RepositoryError) -> Response:
        return _respond(request, 422, str(exc))

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        return _respond(request, 413, too_large_message(exc.limit))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        target = f"/login?next={quote(exc.next_url, safe='/')}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)


def route_of(scope: Scope) -> str:
    """The matched route's template (``/api/v1/patients/{patient_id}``), never the raw URL:
    paths and query strings can carry labels or other patient data."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    path = str(scope.get("path", ""))
    if not template:
        return "/static/…" if path.startswith("/static/") else "(unmatched)"
    # an included router's route knows only its own part: recover the static prefix
    try:
        rendered = template.format(**{k: str(v) for k, v in scope.get("path_params", {}).items()})
    except (KeyError, IndexError, ValueError):
        return str(template)
    if path.endswith(rendered):
        return str(path[: len(path) - len(rendered)]) + str(template)
    return str(template)


def log_exception(scope: Scope, exc: BaseException) -> None:
    """Type, route and code locations only: no message, no locals, no request data."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in reversed(frames[-6:])
    )
    log.error(
        "unhandled %s on %s %s at %s",
        type(exc).__name__,
        scope.get("method", "?"),
        route_of(scope),
        where,
    )


class AccessLog:
    """One line per request: method, route template, status, milliseconds — nothing else.

    Replaces the server's access log (``cartrial serve`` turns uvicorn's off), which would
    print raw paths and query strings.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("cartrial.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            self.log.info(
                "%s %s %d %.1fms",
                scope.get("method", "?"),
                route_of(scope),
                status,
                (time.perf_counter() - t0) * 1000,
            )


class CatchAll:
    """Pure ASGI middleware: any exception the handlers did not turn into a response becomes a
    generic 500 (JSON under /api, text elsewhere). The exception is not re-raised, so the
    server does not print a traceback with its message either."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the whole point
            log_exception(scope, exc)
            if started:
                return
            response: Response
            if scope.get("path", "").startswith("/api/"):
                response = JSONResponse({"detail": GENERIC_500}, status_code=500)
            else:
                response = PlainTextResponse(GENERIC_500, status_code=500)
            await response(scope, receive, send)
