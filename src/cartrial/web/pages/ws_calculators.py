"""Workspace calculators: each registered clinical calculator as a form."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from cartrial.calculators.registry import get_calculator, list_calculators, run_calculator
from cartrial.domain.errors import DataError
from cartrial.web.bodies import form_text, read_form
from cartrial.web.deps import AppSettings, PageUser
from cartrial.web.templating import render

router = APIRouter(prefix="/workspace")


def _calc_fields(name: str) -> list[dict[str, Any]]:
    calc = get_calculator(name)
    schema = calc.inputs.model_json_schema()
    required = set(schema.get("required", []))
    fields = []
    for fname, prop in schema.get("properties", {}).items():
        types = [prop["type"]] if "type" in prop else [a.get("type") for a in prop.get("anyOf", [])]
        kind = next((t for t in types if t and t != "null"), "string")
        fields.append(
            {
                "name": fname,
                "kind": kind,
                "required": fname in required,
                "nullable": "null" in types,
                "default": prop.get("default"),
                "description": prop.get("description", ""),
            }
        )
    return fields


def _coerce(field: dict[str, Any], raw: str | None) -> Any:
    """A form string to the JSON value the calculator's strict model expects."""
    kind = field["kind"]
    if kind == "boolean":
        return raw in ("on", "true", "1", "yes")
    text = (raw or "").strip()
    if not text:
        return None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise DataError(f"{text!r} is not a number", field=field["name"]) from None
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise DataError(f"{text!r} is not a whole number", field=field["name"]) from None
    if kind in ("object", "array"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON ({exc.msg})", field=field["name"]) from None
    return text


@router.get("/calculators")
def calculators(request: Request, user: PageUser) -> Response:
    return render(request, "ws_calculators.html", {"user": user, "calculators": list_calculators()})


def _calculator_or_404(name: str) -> Any:
    try:
        return get_calculator(name)
    except DataError:
        raise HTTPException(404, f"There is no calculator {name!r}.") from None


@router.get("/calculators/{name}")
def calculator_page(request: Request, name: str, user: PageUser) -> Response:
    calc = _calculator_or_404(name)
    return render(
        request,
        "ws_calculator.html",
        {
            "user": user,
            "calc": calc,
            "fields": _calc_fields(name),
            "values": {},
            "result": None,
            "error": None,
        },
    )


@router.post("/calculators/{name}")
async def calculator_run(
    request: Request,
    name: str,
    user: PageUser,
    settings: AppSettings,
) -> Response:
    calc = _calculator_or_404(name)
    fields = _calc_fields(name)
    form = await read_form(request, settings.max_bundle_bytes)
    values = {f["name"]: form_text(form, f["name"]) for f in fields}
    ctx: dict[str, Any] = {
        "user": user,
        "calc": calc,
        "fields": fields,
        "values": values,
        "result": None,
        "error": None,
    }
    status = 200
    try:
        inputs = {}
        for f in fields:
            value = _coerce(
                f,
                form_text(form, f["name"])
                if f["kind"] != "boolean"
                else form_text(form, f["name"], "off"),
            )
            if value is not None or f["required"]:
                inputs[f["name"]] = value
        ctx["result"] = run_calculator(name, inputs).to_json_dict()
    except DataError as exc:
        ctx["error"] = str(exc)
        status = 422
    template = (
        "_calc_result.html" if request.headers.get("hx-request") == "true" else "ws_calculator.html"
    )
    return render(request, template, ctx, status_code=status)
