"""Request bodies: size limits, in-memory form parsing, JSON with limits, FHIR bundles.

Uploads are parsed in memory (never spooled to a temporary file): an anonymous pre-screening
must leave nothing behind, and the body is already bounded by :class:`BodySizeLimit`.

JSON is read by :func:`loads_limited` — the standard parser with a bound on nesting depth and
on the length of numbers, refusing NaN/Infinity and text that is not Unicode (lone
surrogates) — before anything else (``fhir.resources``, pydantic, the database) sees it.
:class:`JsonGuard` applies it to every JSON request body under ``/api/``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cartrial.domain.errors import DataError
from cartrial.domain.patient import Patient
from cartrial.ingest.fhir import patient_from_bundle

FORM_OVERHEAD = 64 * 1024
"""Room for the other form fields and multipart framing around an uploaded bundle."""

MAX_JSON_DEPTH = 100
"""Deepest nesting of arrays and objects accepted (a FHIR bundle needs about 10)."""
MAX_NUMBER_CHARS = 50
"""Longest JSON number accepted, in characters (FHIR decimals need at most ~20)."""
PROBLEM_JSON = "application/problem+json"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"request body is larger than {limit} bytes")


class BadInput(Exception):
    """Client input that cannot be used: becomes a 4xx whose message names the problem."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        self.message = message
        self.status_code = status_code
        super().__init__(message)


def too_large_message(limit: int) -> str:
    return f"the bundle is larger than the limit of {limit:,} bytes (MAX_BUNDLE_BYTES)"


class BodySizeLimit:
    """Pure ASGI middleware: refuse bodies over ``limit`` bytes with 413.

    A declared Content-Length over the limit is refused before anything is read; a chunked body
    is counted as it streams and raises :class:`BodyTooLarge` (handled as 413) past the limit.
    """

    def __init__(self, app: ASGIApp, limit: int, bundle_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.bundle_limit = bundle_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.limit:
            message = too_large_message(self.bundle_limit)
            response: PlainTextResponse | JSONResponse
            if scope.get("path", "").startswith("/api/"):
                response = _problem(413, "Content Too Large", message)
            else:
                response = PlainTextResponse(f"413 Payload Too Large: {message}", status_code=413)
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.bundle_limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (BodyTooLarge) beyond ``limit`` bytes."""
    cached: bytes | None = getattr(request.state, "raw_body", None)
    if cached is not None:
        return cached
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request.state.raw_body = body
    return body


class _InMemoryMultiPartParser(MultiPartParser):
    spool_max_size = 1 << 40  # never roll over to disk; the body is bounded upstream


async def _one_chunk(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body
    yield b""


async def read_form(request: Request, limit: int) -> FormData:
    """The submitted form (urlencoded or multipart), parsed in memory once per request."""
    cached: FormData | None = getattr(request.state, "form", None)
    if cached is not None:
        return cached
    body = await read_body(request, limit + FORM_OVERHEAD)
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("multipart/form-data"):
            form = await _InMemoryMultiPartParser(
                request.headers,
                _one_chunk(body),
                max_files=4,
                max_fields=400,
                max_part_size=limit + FORM_OVERHEAD,
            ).parse()
        elif ctype.startswith("application/x-www-form-urlencoded"):
            form = await FormParser(
                request.headers,
                _one_chunk(body),
                max_fields=400,
                max_part_size=limit + FORM_OVERHEAD,
            ).parse()
        else:
            form = FormData()
    except MultiPartException as exc:
        raise BadInput(f"the form could not be read: {exc.message}") from None
    request.state.form = form
    return form


def form_text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


async def form_file(form: FormData, name: str, limit: int) -> bytes | None:
    """The bytes of an uploaded file field (None when no file was chosen)."""
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    data = await value.read()
    if len(data) > limit:
        raise BodyTooLarge(limit)
    return data


class _NumberTooLong(ValueError):
    pass


def _number(kind: type[int] | type[float], limit: int) -> Any:
    def parse(text: str) -> int | float:
        if len(text) > limit:
            raise _NumberTooLong(len(text))
        value = kind(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{text} is out of range for a number")
        return value

    return parse


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads_limited(
    raw: bytes | str,
    *,
    what: str = "the body",
    max_depth: int = MAX_JSON_DEPTH,
    max_number_chars: int = MAX_NUMBER_CHARS,
) -> Any:
    """Parse JSON text with limits; any violation raises BadInput naming it (never a crash).

    Refused: text that is not UTF-8, invalid JSON, nesting deeper than ``max_depth``, numbers
    longer than ``max_number_chars`` characters, NaN/Infinity and ``\\uD800``-style escapes
    that leave a lone surrogate (no database or response can store such a string).
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadInput(f"{what} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(
            raw,
            parse_int=_number(int, max_number_chars),
            parse_float=_number(float, max_number_chars),
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except _NumberTooLong as exc:
        raise BadInput(
            f"{what} holds a number of {exc.args[0]} characters (the limit is {max_number_chars})",
        ) from None
    except RecursionError:
        raise BadInput(f"{what} is nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # NaN / Infinity
        raise BadInput(f"{what} is not valid JSON: {exc}") from None
    _check_tree(data, what, max_depth, _SURROGATE_ESCAPE.search(raw) is not None)
    return data


def _check_tree(data: Any, what: str, max_depth: int, check_text: bool) -> None:
    """Depth (iteratively, no recursion) and, when escapes suggest it, lone surrogates."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise BadInput(f"{what} is nested deeper than {max_depth} levels")
            for key, value in node.items():
                if check_text and not is_unicode(key):
                    raise BadInput(f"{what} holds a name that is not valid Unicode text")
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                raise BadInput(f"{what} is nested deeper than {max_depth} levels")
            stack.extend((item, depth + 1) for item in node)
        elif check_text and isinstance(node, str) and not is_unicode(node):
            raise BadInput(
                f"{what} holds a string that is not valid Unicode text (a lone surrogate)"
            )


def is_unicode(text: str) -> bool:
    """False for a string holding lone surrogates (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD: safe to encode in any response."""
    return text if is_unicode(text) else text.encode("utf-8", "replace").decode("utf-8")


def _is_json(content_type: str) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


class JsonGuard:
    """Pure ASGI middleware: every JSON body under ``/api/`` must pass :func:`loads_limited`
    before a route (or FastAPI's own body parsing) sees it; otherwise 422 problem+json
    (the status FastAPI gives a body that is not JSON)."""

    def __init__(self, app: ASGIApp, *, max_depth: int, max_number_chars: int) -> None:
        self.app = app
        self.max_depth = max_depth
        self.max_number_chars = max_number_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not str(scope.get("path", "")).startswith("/api/")
            or scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
        ):
            await self.app(scope, receive, send)
            return
        ctype = ""
        for key, value in scope.get("headers", []):
            if key == b"content-type":
                ctype = value.decode("latin-1")
        if not _is_json(ctype):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except BodyTooLarge as exc:
            await _problem(413, "Content Too Large", too_large_message(exc.limit))(
                scope, receive, send
            )
            return
        body = b"".join(chunks)
        if body.strip():
            try:
                loads_limited(
                    body,
                    what="the JSON body",
                    max_depth=self.max_depth,
                    max_number_chars=self.max_number_chars,
                )
            except BadInput as exc:
                await _problem(exc.status_code, "Unprocessable Content", exc.message)(
                    scope, receive, send
                )
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def parse_bundle_json(raw: bytes | str) -> dict[str, Any]:
    """JSON text to a dict, with a message naming where (and why) the JSON breaks."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadInput(f"the bundle is not UTF-8 text (byte {exc.start})") from None
    if not raw.strip():
        raise BadInput("the bundle is empty: send a FHIR R4 Bundle (JSON)")
    try:
        data = loads_limited(raw, what="the bundle")
    except BadInput as exc:
        raise BadInput(exc.message) from None  # 422: the content, not the request, is wrong
    if not isinstance(data, dict):
        raise BadInput("the bundle must be a JSON object (a FHIR R4 Bundle resource)")
    return data


def bundle_to_patient(data: dict[str, Any]) -> Patient:
    """A Patient from a parsed bundle; invalid FHIR raises BadInput naming resource and field."""
    try:
        return patient_from_bundle(data)
    except DataError as exc:
        raise BadInput(f"invalid FHIR bundle: {safe_text(str(exc))}") from None
