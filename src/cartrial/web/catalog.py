"""The trial catalogue as the web app and the API see it: summaries, filters, facets, trees.

Two layers: the curated computable protocols (loaded once at start-up from
:func:`cartrial.services.bundled_protocols.load_protocols`; each gets a version hash, SHA-256 of its
canonical JSON, that saved screenings record), and the finder over every CAR-cell trial of the
bundled registry snapshot (:func:`Catalog.finder`), which the public catalogue lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cartrial.criteria.nodes import Criterion
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.render import summary
from cartrial.criteria.walk import children
from cartrial.domain.trial import Trial
from cartrial.finder.geo import Point
from cartrial.finder.places import Place
from cartrial.finder.service import Finder, load_finder
from cartrial.finder.store import Entry, FinderQuery, SiteDistance

PAGE_SIZE = 25


def protocol_hash(protocol: Protocol) -> str:
    return hashlib.sha256(protocol.model_dump_json().encode("utf-8")).hexdigest()


class TrialFilters(BaseModel):
    """Catalogue filters (query parameters of ``/`` and ``GET /api/v1/trials``)."""

    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(
        None,
        max_length=200,
        description="Free text: title, conditions, NCT id…; disease names and abbreviations "
        "match their synonyms (lupus = SLE, scleroderma = SSc, myositis = IIM)",
    )
    disease: str | None = Field(
        None, max_length=100, description="A condition page slug (sle, ssc, iim…) or a name"
    )
    antigen: str | None = Field(None, max_length=100, description="Target antigen, e.g. CD19")
    cell_type: str | None = Field(None, max_length=100, description="e.g. CAR-T, CAR-NK")
    phase: str | None = Field(None, max_length=40)
    status: str | None = Field(None, max_length=60)
    age: int | None = Field(None, ge=0, le=120, description="Patient age in years")
    country: str | None = Field(None, max_length=100)
    near: str | None = Field(
        None, max_length=120, description="A city, a study-site postal code or LAT,LON"
    )
    within_km: float | None = Field(
        None, gt=0, le=20040, description="Only trials with a site this close to `near` (km)"
    )
    open: bool | None = Field(None, description="Only trials open or about to open to enrolment")
    sort: Literal["relevance", "distance", "updated", "nct"] | None = None
    unit: Literal["km", "mi"] | None = Field(None, description="Distance unit of the page")
    page: int = Field(1, ge=1, le=1000)

    @field_validator(
        "q",
        "disease",
        "antigen",
        "cell_type",
        "phase",
        "status",
        "country",
        "near",
        "age",
        "within_km",
        "open",
        "page",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # free-text fields only: an enum (sort, unit) is exactly one of its documented values,
        # as the OpenAPI says (a blank or padded one is a 422, not silently the default)
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    def active(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.model_dump().items()
            if v is not None and not (k == "page" and v == 1)
        }

    def query(self, origin: Point | None) -> FinderQuery:
        return FinderQuery(
            q=self.q,
            condition=self.disease,
            antigen=self.antigen,
            cell_type=self.cell_type,
            phase=self.phase,
            status=self.status,
            country=self.country,
            age=self.age,
            near=origin,
            within_km=self.within_km,
            open_only=bool(self.open),
            sort=self.sort or "relevance",
        )

    def link(self, **change: Any) -> str:
        """The catalogue URL of these filters with ``change`` applied (None removes)."""
        from urllib.parse import urlencode

        values = {**self.active(), **change}
        return "/?" + urlencode(
            {k: ("true" if v is True else v) for k, v in values.items() if v not in (None, "")}
        )


@dataclass(frozen=True)
class CatalogEntry:
    protocol: Protocol
    version: str
    countries: tuple[str, ...]
    haystack: str = field(repr=False)

    @property
    def trial(self) -> Trial:
        return self.protocol.trial

    @property
    def nct_id(self) -> str:
        return self.protocol.nct_id

    def summary_json(self) -> dict[str, Any]:
        t = self.trial
        return {
            "nct_id": t.nct_id,
            "title": t.title,
            "brief_title": t.brief_title,
            "acronym": t.acronym,
            "status": t.status,
            "phases": list(t.phases),
            "diseases": list(t.diseases),
            "conditions": list(t.conditions),
            "target_antigens": list(t.target_antigens),
            "cell_type": t.cell_type,
            "product": t.product,
            "sponsor": t.sponsor,
            "min_age_years": t.min_age_years,
            "max_age_years": t.max_age_years,
            "enrollment": t.enrollment,
            "countries": list(self.countries),
            "sites": len(t.sites),
            "summary": t.summary,
            "protocol_version": self.version,
        }


def _fold(value: str | None) -> str:
    return " ".join((value or "").casefold().replace("_", " ").split())


def _matches(value: str, options: Iterable[str | None]) -> bool:
    want = _fold(value)
    return any(_fold(o) == want for o in options if o)


class Catalog:
    """The bundled protocols with their version hashes, searchable."""

    def __init__(self, protocols: dict[str, Protocol]) -> None:
        self.protocols = dict(protocols)
        self.entries: dict[str, CatalogEntry] = {}
        for nct, p in self.protocols.items():
            t = p.trial
            countries = tuple(sorted({s.country for s in t.sites if s.country}))
            words = [
                t.nct_id,
                t.title,
                t.brief_title,
                t.acronym,
                t.summary,
                t.product,
                t.sponsor,
                t.cell_type,
                *t.conditions,
                *t.diseases,
                *t.keywords,
                *t.target_antigens,
                *t.other_ids,
                *t.interventions,
            ]
            self.entries[nct] = CatalogEntry(
                protocol=p,
                version=protocol_hash(p),
                countries=countries,
                haystack=_fold(" ".join(w for w in words if w)),
            )

    def finder(self, data_dir: Path | None = None) -> Finder:
        """Every trial of the bundled snapshot (with records synced into ``data_dir``), the
        curated protocols attached; built once and shared."""
        return load_finder(self.protocols, data_dir=data_dir)

    @property
    def hashes(self) -> dict[str, str]:
        return {k: e.version for k, e in self.entries.items()}

    def get(self, nct_id: str) -> CatalogEntry | None:
        return self.entries.get(nct_id.strip().upper())

    def search(self, f: TrialFilters) -> list[CatalogEntry]:
        out = []
        for e in self.entries.values():
            t = e.trial
            if f.q and not all(word in e.haystack for word in _fold(f.q).split()):
                continue
            if f.disease and not _matches(f.disease, (*t.diseases, *t.conditions)):
                continue
            if f.antigen and not _matches(f.antigen, t.target_antigens):
                continue
            if f.cell_type and not _matches(f.cell_type, (t.cell_type,)):
                continue
            if f.phase and not _matches(f.phase, t.phases):
                continue
            if f.status and not _matches(f.status, (t.status,)):
                continue
            if f.country and not _matches(f.country, e.countries):
                continue
            if f.age is not None and not _age_fits(f.age, t):
                continue
            out.append(e)
        return out

    def facets(self) -> dict[str, list[str]]:
        """The values each filter can take (for the catalogue's select boxes)."""
        sets: dict[str, set[str]] = {
            k: set() for k in ("disease", "antigen", "cell_type", "phase", "status", "country")
        }
        for e in self.entries.values():
            t = e.trial
            sets["disease"].update(t.diseases)
            sets["antigen"].update(t.target_antigens)
            if t.cell_type:
                sets["cell_type"].add(t.cell_type)
            sets["phase"].update(t.phases)
            if t.status:
                sets["status"].add(t.status)
            sets["country"].update(e.countries)
        return {k: sorted(v, key=str.casefold) for k, v in sets.items()}


def _age_fits(age: int, t: Trial) -> bool:
    if t.min_age_years is not None and age < t.min_age_years:
        return False
    return not (t.max_age_years is not None and age > t.max_age_years)


def node_tree(node: Criterion) -> dict[str, Any]:
    """One criterion node as nested JSON: the computable reading beside the protocol's words."""
    definition = node.model_dump(
        mode="json", exclude_none=True, exclude={"items", "item", "id", "kind", "text", "note"}
    )
    return {
        "id": node.id,
        "kind": node.kind,
        "computable": summary(node),
        "text": node.text,
        "note": node.note,
        "definition": definition,
        "children": [node_tree(c) for c in children(node)],
    }


def protocol_json(entry: CatalogEntry) -> dict[str, Any]:
    p = entry.protocol
    return {
        "nct_id": p.nct_id,
        "protocol_version": entry.version,
        "schema_version": p.schema_version,
        "screening_window_days": p.screening_window_days,
        "trial": p.trial.model_dump(mode="json", exclude_none=True),
        "eligibility": {section: [node_tree(n) for n in items] for section, items in p.sections()},
    }


@dataclass(frozen=True)
class TreeRow:
    """A flattened tree node for the trial page (indentation by depth)."""

    node: Criterion
    depth: int
    computable: str
    is_composite: bool


def tree_rows(items: Iterable[Criterion]) -> list[TreeRow]:
    rows: list[TreeRow] = []

    def walk(n: Criterion, depth: int) -> None:
        kids = children(n)
        rows.append(TreeRow(node=n, depth=depth, computable=summary(n), is_composite=bool(kids)))
        for k in kids:
            walk(k, depth + 1)

    for item in items:
        walk(item, 0)
    return rows


# ------------------------------------------------------------------ finder (whole field)


def distance_text(km: float | None, unit: str | None = "km") -> str:
    if km is None:
        return "distance unknown"
    if unit == "mi":
        return f"{km / 1.609344:,.0f} mi"
    return f"{km:,.0f} km"


def place_json(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "country": place.country,
        "kind": place.kind,
        "latitude": place.point.lat,
        "longitude": place.point.lon,
    }


def finder_summary_json(entry: Entry, km: float | None = None) -> dict[str, Any]:
    t = entry.trial
    out: dict[str, Any] = {
        "nct_id": t.nct_id,
        "title": t.title,
        "brief_title": t.brief_title,
        "acronym": t.acronym,
        "status": t.status,
        "phases": list(t.phases),
        "conditions": list(t.conditions),
        "condition_keys": list(entry.condition_keys),
        "disease_families": list(entry.families),
        "diseases": list(t.diseases),
        "target_antigens": list(t.target_antigens),
        "cell_type": t.cell_type,
        "product": t.product,
        "product_type": entry.info.product_type,
        "sponsor": t.sponsor,
        "min_age_years": t.min_age_years,
        "max_age_years": t.max_age_years,
        "enrollment": t.enrollment,
        "countries": list(entry.countries),
        "sites": len(t.sites),
        "sites_with_coordinates": len(entry.points),
        "last_updated": t.last_updated.isoformat() if t.last_updated else None,
        "reviewed_protocol": entry.reviewed,
        "url": f"/trials/{t.nct_id}",
    }
    if km is not None:
        out["nearest_site_km"] = round(km, 1)
    return out


def site_json(sd: SiteDistance) -> dict[str, Any]:
    s = sd.site
    return {
        "facility": s.facility,
        "city": s.city,
        "state": s.state,
        "country": s.country,
        "status": s.status,
        "latitude": s.latitude,
        "longitude": s.longitude,
        "distance_km": None if sd.km is None else round(sd.km, 1),
        "distance_mi": None if sd.miles is None else round(sd.miles, 1),
        "contact": {
            k: v
            for k, v in (
                ("name", s.contact_name),
                ("email", s.contact_email),
                ("phone", s.contact_phone),
            )
            if v
        }
        or None,
    }
