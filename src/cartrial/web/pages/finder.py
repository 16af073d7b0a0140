"""Finder pages: organizations, products and conditions with their trials, the patient FAQ
and the data source with its licence."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import Response

from cartrial.finder.conditions import FAMILIES, by_key
from cartrial.finder.store import Group
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
