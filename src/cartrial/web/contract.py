"""The API contract: one error shape documented for every status, strict query strings.

:func:`document_problems` rewrites the generated OpenAPI so that every operation lists each
error status it can answer — 400 (malformed body, repeated parameter), 401/403 (token-secured
operations), 404 (path parameters), 409/412 (conditional writes, when the route says so),
413/415 (request bodies), 422 (validation) and 500 — each with the RFC 9457
``application/problem+json`` schema. :func:`reject_repeated_query` refuses a query parameter
given twice unless the route declares it as a list.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.routing import compile_path

from cartrial.web.bodies import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details: the one error body of this API.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "always about:blank (see title)"},
        "title": {"type": "string", "description": "the HTTP status phrase"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what is wrong, in words"},
        "errors": {
            "type": "array",
            "description": "422 only: one entry per invalid field",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}

DESCRIPTIONS = {
    "400": "malformed request (a query parameter given twice or not declared by the operation, "
    "an unreadable form)",
    "401": "no or unknown API token",
    "403": "the token's role may not do this",
    "404": "no such resource (or not at your site)",
    "409": "the record was changed by someone else meanwhile: reload and retry",
    "412": "If-Match does not match the record's current ETag",
    "413": "request body over the size limit",
    "415": "unsupported Content-Type",
    "422": "a parameter or the body is invalid: not JSON within the limits (depth, number "
    "length, Unicode), or a field fails validation (errors names each)",
    "428": "this write needs an If-Match header",
    "500": "internal error (generic message; nothing of the request is logged)",
}


def _problem_response(code: str, existing: dict[str, Any] | None) -> dict[str, Any]:
    description = (existing or {}).get("description") or DESCRIPTIONS.get(code, "error")
    if description in ("Validation Error", "Successful Response"):
        description = DESCRIPTIONS.get(code, description)
    out: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code == "401":
        out["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return out


def _add_problems(operation: dict[str, Any], path: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    codes = {"400", "422", "500"}
    if "{" in path or operation.get("parameters"):
        codes.add("404")  # a named record, trial or calculator that does not exist
    if operation.get("security"):
        codes |= {"401", "403"}
    if "requestBody" in operation:
        codes |= {"413", "415"}
    codes |= {c for c in responses if c.startswith(("4", "5"))}
    for code in sorted(codes):
        responses[code] = _problem_response(code, responses.get(code))


def document_problems(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An ``app.openapi`` replacement: the generated schema with problem+json everywhere."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                    _add_problems(operation, path)
        app.openapi_schema = schema
        return schema

    return openapi


# ------------------------------------------------------------------ the routes, flattened


@dataclass(frozen=True)
class RouteInfo:
    """One route of the app with its full path (router prefixes included)."""

    path: str
    methods: frozenset[str]
    regex: re.Pattern[str]
    endpoint: Any
    include_in_schema: bool


def flat_routes(routes: Sequence[Any]) -> list[RouteInfo]:
    """Every route of an app (``app.routes``), included routers expanded, mounts skipped."""
    out: list[RouteInfo] = []
    for ctx in iter_route_contexts(routes):
        path, methods = ctx.path, ctx.methods
        if not path or methods is None:
            continue
        regex, _, _ = compile_path(path)
        out.append(
            RouteInfo(
                path=path,
                methods=frozenset(methods),
                regex=regex,
                endpoint=ctx.endpoint,
                include_in_schema=bool(getattr(ctx, "include_in_schema", True)),
            )
        )
    return out


def allowed_methods(routes: Sequence[Any], path: str) -> list[str]:
    """Every method some route answers on ``path`` (the ``Allow`` header of a 405)."""
    found: set[str] = set()
    for route in flat_routes(routes):
        if route.regex.match(path):
            found |= route.methods
    return sorted(found)


# ------------------------------------------------------------------ repeated query parameters

_list_params: dict[int, frozenset[str]] = {}
_all_params: dict[int, frozenset[str]] = {}


def _is_sequence(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, set, tuple, frozenset):
        return True
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_is_sequence(a) for a in typing.get_args(annotation))
    return False


def _declared(route: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameters ``route`` declares: all of them, and those that are lists."""
    key = id(route)
    if key in _list_params:
        return _all_params[key], _list_params[key]
    names: set[str] = set()
    lists: set[str] = set()
    dependant = getattr(route, "dependant", None)
    pending = [dependant] if dependant is not None else []
    while pending:
        dep = pending.pop()
        pending.extend(dep.dependencies)
        for field in dep.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for name, sub in annotation.model_fields.items():
                    names.add(sub.alias or name)
                    if _is_sequence(sub.annotation):
                        lists.add(sub.alias or name)
            else:
                names.add(field.alias)
                if _is_sequence(annotation):
                    lists.add(field.alias)
    _all_params[key], _list_params[key] = frozenset(names), frozenset(lists)
    return _all_params[key], _list_params[key]


def reject_repeated_query(request: Request) -> None:
    """A query parameter given twice is an error (400), unless the route takes a list; under
    ``/api/`` so is one the operation does not declare (the OpenAPI allows no others)."""
    items = request.query_params.multi_items()
    if not items:
        return
    declared, allowed = _declared(request.scope.get("route"))
    if request.url.path.startswith("/api/"):
        unknown = sorted({n for n, _ in items} - declared)
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise HTTPException(
                400,
                "unknown query parameter "
                + ", ".join(repr(n[:40]) for n in unknown[:5])
                + f" (this operation takes: {known})",
            )
    seen: set[str] = set()
    repeated: list[str] = []
    for name, _ in items:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if not repeated:
        return
    bad = [n for n in repeated if n not in allowed]
    if bad:
        raise HTTPException(
            400,
            "query parameter given more than once: "
            + ", ".join(repr(n[:40]) for n in bad[:5])
            + " (give each once)",
        )


# ------------------------------------------------------------------ integers within 64 bits

MAX_INT = 2**63 - 1
_int_params: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(a is int for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _is_int(typing.get_args(annotation)[0])
    return False


def _declared_ints(route: Any) -> tuple[frozenset[str], frozenset[str]]:
    """Names of the path and query parameters ``route`` declares as integers."""
    key = id(route)
    if key not in _int_params:
        paths: set[str] = set()
        queries: set[str] = set()
        dependant = getattr(route, "dependant", None)
        pending = [dependant] if dependant is not None else []
        while pending:
            dep = pending.pop()
            pending.extend(dep.dependencies)
            paths.update(f.alias for f in dep.path_params if _is_int(f.field_info.annotation))
            queries.update(f.alias for f in dep.query_params if _is_int(f.field_info.annotation))
        _int_params[key] = (frozenset(paths), frozenset(queries))
    return _int_params[key]


def bounded_integers(request: Request) -> None:
    """Every integer parameter of every route fits a database integer (|n| < 2^63), or 422.

    Routes should declare their bounds themselves (``deps.Id``); this is the one place that
    keeps a route that does not from overflowing the database driver (a 500).
    """
    paths, queries = _declared_ints(request.scope.get("route"))
    values = [(n, str(request.path_params.get(n, ""))) for n in paths]
    values += [(n, v) for n, v in request.query_params.multi_items() if n in queries]
    for name, raw in values:
        text = raw.strip().lstrip("+-")
        if text.isdigit() and (len(text) > 19 or int(text) > MAX_INT):
            raise RequestValidationError(
                [
                    {
                        "type": "less_than_equal",
                        "loc": ("path" if name in paths else "query", name),
                        "msg": f"Input should be a whole number of at most 19 digits "
                        f"(between -{MAX_INT} and {MAX_INT})",
                        "input": raw[:40],
                    }
                ]
            )
