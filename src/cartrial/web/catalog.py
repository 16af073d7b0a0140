"""The trial catalogue as the web app and the API see it: summaries, filters, facets, trees.

Loaded once at start-up from :func:`cartrial.services.catalog.load_protocols`; each protocol
gets a version hash (SHA-256 of its canonical JSON) that saved screenings record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cartrial.criteria.nodes import Criterion
from cartrial.criteria.protocol import Protocol
from cartrial.criteria.render import summary
from cartrial.criteria.walk import children
from cartrial.domain.trial import Trial


def protocol_hash(protocol: Protocol) -> str:
    return hashlib.sha256(protocol.model_dump_json().encode("utf-8")).hexdigest()


class TrialFilters(BaseModel):
    """Catalogue filters (query parameters of ``/`` and ``GET /api/v1/trials``)."""

    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(None, max_length=200, description="Free text: title, conditions, NCT id…")
    disease: str | None = Field(None, max_length=100)
    antigen: str | None = Field(None, max_length=100, description="Target antigen, e.g. CD19")
    cell_type: str | None = Field(None, max_length=100, description="e.g. CAR-T, CAR-NK")
    phase: str | None = Field(None, max_length=40)
    status: str | None = Field(None, max_length=60)
    age: int | None = Field(None, ge=0, le=120, description="Patient age in years")
    country: str | None = Field(None, max_length=100)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    def active(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


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
