"""Anonymous pre-screening (``/prescreen``): a FHIR bundle or the short form, screened against
every bundled trial; results first, each with its decisive reason in plain words.

The short form updates as it is filled (htmx posts ``live=1`` on every change): the results are
re-rendered and an "ask next" list names only the fields that can still change a verdict of a
trial the patient is not already ineligible for. Nothing a visitor submits is stored or logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from cartrial.domain.patient import Patient
from cartrial.evaluate import ScreeningResult
from cartrial.explain.names import concept_name
from cartrial.services import prescreen_form
from cartrial.services.screening import explained_all, screen_patient
from cartrial.web.bodies import (
    BadInput,
    BodyTooLarge,
    bundle_to_patient,
    form_file,
    form_text,
    parse_bundle_json,
    read_form,
    too_large_message,
)
from cartrial.web.catalog import Catalog
from cartrial.web.deps import AppSettings, CatalogDep, Today
from cartrial.web.templating import render

router = APIRouter()

BASICS = {"age": "age", "sex": "sex", "diagnosis": "diagnosis"}


def _context(catalog: Catalog, today: date, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "choices": prescreen_form.choices(catalog.protocols.values()),
        "today": today,
        "trials": list(catalog.entries.values()),
        "values": {},
        "errors": [],
        "results": None,
        "mode": "bundle",
        "ask_next": None,
        "prompt": None,
        "multi_values": {"conditions": []},
    }
    ctx.update(extra)
    return ctx


def ask_next(
    results: list[dict[str, Any]], choices: dict[str, Any], fields: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The form fields that can still change a verdict: data missing for a trial that is not
    already lost (INELIGIBLE trials are left out), in the form's order, with the trials."""
    kinds: dict[str, str] = {}
    for row in choices["labs"] + choices["imaging"]:
        kinds[row["key"]] = "labs"
    for row in choices["serologies"]:
        kinds[row["key"]] = "serology"
    for row in choices["scores"]:
        kinds[row["key"]] = "scores"
    wanted: dict[str, dict[str, Any]] = {}
    for r in results:
        ex = r.get("explanation")
        if ex and r["verdict"] == "INELIGIBLE":
            _history_asks(r, ex, fields, wanted)
        if not ex or r["verdict"] == "INELIGIBLE":
            continue
        for group in ex["missing"]:
            for item in group["items"]:
                kind = kinds.get(item["key"])
                if kind is None:
                    continue
                entry = wanted.setdefault(
                    item["key"],
                    {
                        "id": prescreen_form.field_id(item["key"], kind),
                        "label": item["name"],
                        "when": item["when"],
                        "trials": [],
                    },
                )
                entry["trials"].append(r["trial"])
    return list(wanted.values())


def _history_asks(
    result: dict[str, Any],
    ex: dict[str, Any],
    fields: Mapping[str, str],
    wanted: dict[str, dict[str, Any]],
) -> None:
    """A trial ruled out only by history the form reads as absent because it is not filled in
    yet (no therapy listed, no years since diagnosis) is not lost: ask for that history. A
    trial with any other failing reason (an age, a lab, another disease) is left out."""
    crit = {c["id"]: c for c in result["criteria"]}
    diagnosis = fields.get("diagnosis", "")
    dx_name = concept_name(diagnosis) if diagnosis else ""

    def ask(reason: dict[str, Any]) -> str | None:
        c = crit.get(reason["id"])
        if c is None or c["status"] != "not_met":
            return None
        if c["kind"] == "medication" and not fields.get("therapy.1.drug"):
            return "therapies"
        text = reason["text"]
        if (
            c["kind"] == "condition"
            and "with onset" in text
            and dx_name
            and dx_name in text
            and not fields.get("diagnosis_years")
        ):
            return "onset"
        return None

    def needs(reason: dict[str, Any]) -> set[str] | None:
        """The history asks that would settle ``reason``, or None when history cannot."""
        if not reason.get("alternatives"):
            kind = ask(reason)
            return {kind} if kind else None
        for alt in reason["alternatives"]:
            parts = [needs(r) for r in alt["reasons"]]
            if parts and all(p is not None for p in parts):
                return set().union(*(p for p in parts if p is not None))
        return None

    asks: set[str] = set()
    for reason in ex["reasons"]:
        found = needs(reason)
        if found is None:
            return
        asks |= found
    for kind in sorted(asks):
        field, label, why = HISTORY_ASKS[kind]
        entry = wanted.setdefault(
            f"history:{kind}", {"id": field, "label": label, "when": why, "trials": []}
        )
        entry["trials"].append(result["trial"])


HISTORY_ASKS = {
    "therapies": (
        "t1-drug",
        "Therapies tried (past and current)",
        "with none listed, a required treatment history cannot be shown",
    ),
    "onset": ("f-dxy", "Years since diagnosis", "a required disease duration cannot be shown"),
}


@router.get("/prescreen")
def prescreen_page(request: Request, catalog: CatalogDep, today: Today) -> Response:
    return render(request, "prescreen.html", _context(catalog, today))


def _as_of(raw: str, today: date) -> date:
    if not raw.strip():
        return today
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadInput(f"as_of: {raw!r} is not a date (YYYY-MM-DD)") from None


@router.post("/prescreen")
async def prescreen_submit(
    request: Request,
    catalog: CatalogDep,
    settings: AppSettings,
    today: Today,
) -> Response:
    """Screen an uploaded/pasted bundle (``mode=bundle``) or the short form (``mode=form``)."""
    form = await read_form(request, settings.max_bundle_bytes)
    mode = form_text(form, "mode", "bundle")
    live = request.query_params.get("live") == "1"
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    multi = {"conditions": [v for v in form.getlist("conditions") if isinstance(v, str)]}
    htmx = request.headers.get("hx-request") == "true"
    template = "_prescreen_results.html" if htmx else "prescreen.html"
    ctx = _context(catalog, today, values=fields, mode=mode, multi_values=multi)
    status = 200
    if mode == "form" and live:
        lacking = [label for name, label in BASICS.items() if not form_text(form, name).strip()]
        if lacking:
            ctx["prompt"] = f"Enter the {', '.join(lacking)} to see the verdicts."
            return render(request, template, ctx)
    try:
        as_of = _as_of(form_text(form, "as_of"), today)
        ctx["as_of"] = as_of
        if mode == "form":
            data = prescreen_form.from_flat_fields(fields, multi)
            patient: Patient = prescreen_form.patient_from_form(data, as_of=as_of)
        else:
            raw = await form_file(form, "bundle", settings.max_bundle_bytes)
            if raw is None:
                text = form_text(form, "bundle_text")
                if len(text.encode("utf-8")) > settings.max_bundle_bytes:
                    raise BodyTooLarge(settings.max_bundle_bytes)
                raw = text.encode("utf-8")
            patient = bundle_to_patient(parse_bundle_json(raw))
        results: list[ScreeningResult] = await run_in_threadpool(
            screen_patient, patient, as_of=as_of, protocols=catalog.protocols.values()
        )
        ctx["results"] = explained_all(results, catalog.protocols)
        ctx["patient_age"] = patient.age_on(as_of)
        ctx["patient_sex"] = patient.sex.value
        if mode == "form":
            ctx["ask_next"] = ask_next(ctx["results"], ctx["choices"], fields)
    except prescreen_form.PrescreenFormError as exc:
        status = 422
        ctx["errors"] = [f"{p.field}: {p.message}" for p in exc.problems]
    except BadInput as exc:
        status = exc.status_code
        ctx["errors"] = [exc.message]
    except BodyTooLarge as exc:
        status = 413
        ctx["errors"] = [too_large_message(exc.limit)]
    return render(request, template, ctx, status_code=status)
