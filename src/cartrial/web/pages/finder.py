"""Finder pages: organizations, products and conditions with their trials, the patient FAQ,
the data source with its licence, and pre-screening one trial on its reviewed or drafted
criteria (the bundle is read in memory, screened and dropped: nothing stored or logged)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from cartrial.finder.conditions import FAMILIES, by_key
from cartrial.finder.store import Group
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
from cartrial.web.deps import AppSettings, Today
from cartrial.web.finder_deps import FinderDep
from cartrial.web.templating import render

router = APIRouter()

_KIND_LABEL = {"organization": "organization", "product": "product", "condition": "condition"}


def _group_page(request: Request, group: Group, finder: FinderDep) -> Response:
    entries = sorted(group.entries, key=lambda e: (not e.open, e.nct_id))
    others: list[tuple[str, str]] = []
    if group.kind == "condition":
        cond = next((c for e in entries for c in e.conditions if c.slug == group.slug), None)
        if cond is not None:
            others = [
                (g.name, f"/conditions/{g.slug}")
                for g in finder.store.condition_groups.values()
                if g.slug != group.slug
                and (c := by_key(g.slug.replace("-", "_"))) is not None
                and c.family == cond.family
            ]
    return render(
        request,
        "finder_group.html",
        {
            "group": group,
            "entries": entries,
            "kind_label": _KIND_LABEL[group.kind],
            "open_count": sum(e.open for e in entries),
            "others": others,
            "snapshot": finder.info,
        },
    )


@router.get("/organizations/{slug}")
def organization_page(request: Request, slug: str, finder: FinderDep) -> Response:
    group = finder.store.organizations.get(slug)
    if group is None:
        raise HTTPException(404, f"There is no organization {slug!r} in the catalogue.")
    return _group_page(request, group, finder)


@router.get("/products/{slug}")
def product_page(request: Request, slug: str, finder: FinderDep) -> Response:
    group = finder.store.products.get(slug)
    if group is None:
        raise HTTPException(404, f"There is no product {slug!r} in the catalogue.")
    return _group_page(request, group, finder)


@router.get("/conditions")
def conditions_page(request: Request, finder: FinderDep) -> Response:
    families: dict[str, list[Group]] = {}
    for g in finder.store.condition_groups.values():
        c = by_key(g.slug.replace("-", "_"))
        families.setdefault(FAMILIES[c.family] if c else "Other", []).append(g)
    return render(request, "finder_conditions.html", {"families": list(families.items())})


@router.get("/conditions/{slug}")
def condition_page(request: Request, slug: str, finder: FinderDep) -> Response:
    group = finder.store.condition(slug)
    if group is None:
        raise HTTPException(404, f"There is no condition {slug!r} in the catalogue.")
    return _group_page(request, group, finder)


@router.get("/faq")
def faq_page(request: Request, finder: FinderDep) -> Response:
    return render(request, "faq.html", {"snapshot": finder.info})


@router.get("/about/data")
def data_page(request: Request, finder: FinderDep) -> Response:
    return render(request, "finder_data.html", {"snapshot": finder.info})


@router.post("/trials/{nct_id}/prescreen")
async def trial_prescreen(
    request: Request, nct_id: str, finder: FinderDep, settings: AppSettings, today: Today
) -> Response:
    """One trial, one uploaded or pasted FHIR bundle: the verdict, labelled "not reviewed"
    when the criteria are the parser's draft."""
    entry = finder.store.get(nct_id)
    if entry is None:
        raise HTTPException(404, f"There is no trial {nct_id} in the catalogue.")
    tp = finder.protocol_for(entry)
    ctx: dict[str, Any] = {"entry": entry, "tp": tp, "errors": [], "results": None}
    status = 200
    if tp.protocol is None:
        ctx["errors"] = ["The registry record gives no eligibility text: nothing to screen."]
        return render(request, "finder_prescreen.html", ctx, status_code=409)
    protocol = tp.protocol
    try:
        form = await read_form(request, settings.max_bundle_bytes)
        raw_day = form_text(form, "as_of").strip()
        try:
            as_of = date.fromisoformat(raw_day) if raw_day else today
        except ValueError:
            raise BadInput(f"as_of: {raw_day!r} is not a date (YYYY-MM-DD)") from None
        raw = await form_file(form, "bundle", settings.max_bundle_bytes)
        if raw is None:
            text = form_text(form, "bundle_text")
            if not text.strip():
                raise BadInput("bundle: choose a FHIR bundle file or paste one")
            if len(text.encode("utf-8")) > settings.max_bundle_bytes:
                raise BodyTooLarge(settings.max_bundle_bytes)
            raw = text.encode("utf-8")
        patient = bundle_to_patient(parse_bundle_json(raw))
        results = await run_in_threadpool(
            screen_patient, patient, as_of=as_of, protocols=[protocol]
        )
        ctx.update(
            results=explained_all(results, {entry.nct_id: protocol}),
            as_of=as_of,
            patient_age=patient.age_on(as_of),
            patient_sex=patient.sex.value,
        )
    except BadInput as exc:
        status = exc.status_code
        ctx["errors"] = [exc.message]
    except BodyTooLarge as exc:
        status = 413
        ctx["errors"] = [too_large_message(exc.limit)]
    return render(request, "finder_prescreen.html", ctx, status_code=status)
