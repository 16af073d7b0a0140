"""Request bodies: size limits, in-memory form parsing, and FHIR bundles read into a Patient.

Uploads are parsed in memory (never spooled to a temporary file): an anonymous pre-screening
must leave nothing behind, and the body is already bounded by :class:`BodySizeLimit`.
"""

from __future__ import annotations

import json
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
                response = JSONResponse({"detail": message}, status_code=413)
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
        raise BadInput(f"the form could not be read: {exc.message}", 400) from None
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


def parse_bundle_json(raw: bytes | str) -> dict[str, Any]:
    """JSON text to a dict, with a message naming where the JSON breaks."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadInput(f"the bundle is not UTF-8 text (byte {exc.start})") from None
    if not raw.strip():
        raise BadInput("the bundle is empty: send a FHIR R4 Bundle (JSON)")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"the bundle is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise BadInput("the bundle must be a JSON object (a FHIR R4 Bundle resource)")
    return data


def bundle_to_patient(data: dict[str, Any]) -> Patient:
    """A Patient from a parsed bundle; invalid FHIR raises BadInput naming resource and field."""
    try:
        return patient_from_bundle(data)
    except DataError as exc:
        raise BadInput(f"invalid FHIR bundle: {exc}") from None
