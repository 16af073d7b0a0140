"""Jinja2 environment of the pages, with the helpers every template may call."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from cartrial.explain.names import concept_name, unit_display
from cartrial.explain.values import fmt_quantity
from cartrial.web.deps import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

VERDICT_CLASS = {"ELIGIBLE": "ok", "NEEDS_DATA": "warn", "INELIGIBLE": "bad"}
OUTCOME_MARK = {"pass": "✓", "fail": "✗", "unknown": "?", "manual": "◆"}
OUTCOME_LABEL = {"pass": "passes", "fail": "fails", "unknown": "unknown", "manual": "to confirm"}
SECTION_OUTCOME = {
    "inclusion": {"pass": "met", "fail": "not met", "unknown": "unknown", "manual": "to confirm"},
    "exclusion": {
        "pass": "does not apply",
        "fail": "applies: excludes",
        "unknown": "unknown",
        "manual": "to confirm",
    },
}


def _fmt_dt(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def _humanize(value: str | None) -> str:
    return (value or "").replace("_", " ")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.globals.update(
        csrf_token=csrf_token,
        VERDICT_CLASS=VERDICT_CLASS,
        OUTCOME_MARK=OUTCOME_MARK,
        OUTCOME_LABEL=OUTCOME_LABEL,
        SECTION_OUTCOME=SECTION_OUTCOME,
        concept_name=concept_name,
    )
    env.filters.update(
        dt=_fmt_dt,
        num=_num,
        humanize=_humanize,
        tojson_pretty=lambda v: json.dumps(v, indent=2, ensure_ascii=False),
        qty=fmt_quantity,  # value + unit in display form, rounded to the source's precision
        unit=unit_display,
    )
    return templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    ctx = {
        "session_user": request.session.get("username"),
        "session_role": request.session.get("role"),
        "htmx": request.headers.get("hx-request") == "true",
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
