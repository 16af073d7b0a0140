"""Errors as responses: 4xx with a message naming the problem, a generic 500, never a trace.

API paths (``/api/...``) answer RFC 9457 problem details (``application/problem+json``:
``type``, ``title``, ``status``, ``detail`` and, for 422, ``errors`` — one entry per invalid
field); pages answer an HTML error page. Every message is made safe to encode whatever the
client sent (lone surrogates become U+FFFD). Log lines carry the exception type, the route and
the code location — never the exception message or request data, which could contain patient
data.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cartrial.domain.errors import CartrialError
from cartrial.persistence.repositories import RepositoryError
from cartrial.persistence.scope import OutOfScope
from cartrial.web.bodies import PROBLEM_JSON, BadInput, BodyTooLarge, safe_text, too_large_message
from cartrial.web.contract import allowed_methods
from cartrial.web.deps import LoginRequired

log = logging.getLogger("cartrial.web")

GENERIC_500 = "Internal server error. The problem has been logged without request data."
CONFLICT = (
    "The patient record was changed by someone else meanwhile: reload it and apply your change "
    "again."
)


TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}
"""RFC 9110 names where Python's ``HTTPStatus`` still has the older ones."""


class ProblemResponse(JSONResponse):
    """``application/problem+json`` (RFC 9457), rendered ASCII-safe."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {_safe(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return safe_text(str(value))


def problem(
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> ProblemResponse:
    """The one error body of the API (RFC 9457; ``type`` about:blank, ``title`` the phrase)."""
    try:
        title = TITLES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": _safe(detail),
    }
    if errors is not None:
        body["errors"] = _safe(errors)
    return ProblemResponse(body, status_code=status, headers=dict(headers) if headers else None)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(
    request: Request, status: int, message: str, details: list[str] | None = None
) -> Response:
    from cartrial.web.templating import render

    message = safe_text(message)
    details = [safe_text(d) for d in details or []]
    try:
        return render(
            request,
            "error.html",
            {"status": status, "message": message, "details": details},
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
) -> Response:
    if is_api(request):
        return problem(status, message, headers=headers)
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
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request.app.routes, request.url.path)
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed here (allowed: {', '.join(allowed)})"
        return _respond(request, exc.status_code, message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        lines = [f"{_field(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
        if is_api(request):
            cleaned = [
                {
                    "loc": [str(p) for p in e.get("loc", ())],
                    "msg": str(e.get("msg", "invalid")),
                    "type": str(e.get("type", "invalid")),
                }
                for e in errors
            ]
            summary = "; ".join(lines[:5]) + (
                f" (and {len(lines) - 5} more)" if len(lines) > 5 else ""
            )
            return problem(422, summary or "the request is invalid", errors=cleaned)
        return _error_page(request, 422, "Some values could not be used.", lines)

    @app.exception_handler(StaleDataError)
    async def conflict(request: Request, exc: StaleDataError) -> Response:
        return _respond(request, 409, CONFLICT)

    @app.exception_handler(OutOfScope)
    async def out_of_scope(request: Request, exc: OutOfScope) -> Response:
        return _respond(request, 404, "There is no such record at your site.")

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
                response = problem(500, GENERIC_500)
            else:
                response = PlainTextResponse(GENERIC_500, status_code=500)
            await response(scope, receive, send)
