"""The finder's index over every trial: search, distance, organizations, products, conditions.

Built once from the snapshot (:mod:`.snapshot`) and the curated computable protocols; read-only
afterwards, so requests share it without locks. No web code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Literal

from cartrial.criteria.protocol import Protocol
from cartrial.domain.trial import Site, Trial
from cartrial.finder import conditions as cond
from cartrial.finder.geo import KM_PER_MILE, Point, haversine_km
from cartrial.finder.places import Gazetteer
from cartrial.finder.slugs import slugify
from cartrial.finder.snapshot import Snapshot, SnapshotInfo, SnapshotTrial

__all__ = ["Entry", "FinderQuery", "FinderStore", "Group", "SiteDistance"]

OPEN_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"})

Sort = Literal["relevance", "distance", "updated", "nct"]


def _fold(value: str | None) -> str:
    return " ".join((value or "").casefold().replace("_", " ").split())


@dataclass(frozen=True)
class SiteDistance:
    """A site and its great-circle distance from the visitor (None: the site has no
    coordinates; such sites are listed last, never dropped)."""

    site: Site
    km: float | None

    @property
    def miles(self) -> float | None:
        return None if self.km is None else self.km / KM_PER_MILE


@dataclass
class Entry:
    """One trial as the finder sees it."""

    trial: Trial
    info: SnapshotTrial
    protocol: Protocol | None
    condition_keys: tuple[str, ...]
    families: tuple[str, ...]
    org_slug: str | None
    product_slug: str | None
    haystack: str = field(repr=False)
    points: tuple[tuple[int, Point], ...] = field(repr=False)

    @property
    def nct_id(self) -> str:
        return self.trial.nct_id

    @property
    def reviewed(self) -> bool:
        """A curated, reviewed computable protocol exists for this trial."""
        return self.protocol is not None

    @property
    def open(self) -> bool:
        return (self.trial.status or "").upper() in OPEN_STATUSES

    @property
    def countries(self) -> tuple[str, ...]:
        from_sites = {s.country for s in self.trial.sites if s.country}
        return tuple(sorted(from_sites | set(self.info.countries)))

    @cached_property
    def conditions(self) -> tuple[cond.Condition, ...]:
        return tuple(c for k in self.condition_keys if (c := cond.by_key(k)) is not None)

    def nearest_km(self, origin: Point) -> float | None:
        if not self.points:
            return None
        return min(haversine_km(origin, p) for _, p in self.points)

    def sites_by_distance(self, origin: Point | None) -> list[SiteDistance]:
        """Every site, nearest first; sites without coordinates last, in registry order."""
        located = {i: p for i, p in self.points}
        out: list[tuple[float, int, SiteDistance]] = []
        for i, site in enumerate(self.trial.sites):
            p = located.get(i)
            km = haversine_km(origin, p) if origin is not None and p is not None else None
            out.append((km if km is not None else math.inf, i, SiteDistance(site, km)))
        if origin is not None:
            out.sort(key=lambda t: (t[0], t[1]))
        return [t[2] for t in out]


@dataclass(frozen=True)
class Group:
    """An organization, product or condition with its trials."""

    kind: str
    slug: str
    name: str
    entries: tuple[Entry, ...]
    note: str = ""


@dataclass(frozen=True)
class FinderQuery:
    q: str | None = None
    condition: str | None = None
    antigen: str | None = None
    cell_type: str | None = None
    phase: str | None = None
    status: str | None = None
    country: str | None = None
    age: int | None = None
    near: Point | None = None
    within_km: float | None = None
    open_only: bool = False
    sort: Sort = "relevance"


class FinderStore:
    """Every trial of the snapshot, with the curated protocols attached where they exist."""

    def __init__(self, snapshot: Snapshot, protocols: Mapping[str, Protocol] | None = None) -> None:
        self.info: SnapshotInfo = snapshot.info
        self.gazetteer = Gazetteer(snapshot.postal_codes)
        protocols = dict(protocols or {})
        items: dict[str, tuple[Trial, SnapshotTrial, Protocol | None]] = {}
        for nct, st in snapshot.trials.items():
            items[nct] = (st.trial, st, protocols.get(nct))
        for nct, p in protocols.items():
            if nct not in items:
                items[nct] = (p.trial, SnapshotTrial(trial=p.trial), p)
        self.entries: dict[str, Entry] = {}
        for nct, (trial, st, protocol) in sorted(items.items()):
            if protocol is not None:
                trial = _curated_view(protocol.trial, trial)
            self.entries[nct] = self._entry(trial, st, protocol)
        self.organizations = self._groups("organization", lambda e: e.trial.sponsor)
        self.products = self._groups("product", lambda e: _product_name(e.trial))
        self.condition_groups: dict[str, Group] = {}
        for c in cond.CONDITIONS:
            members = tuple(e for e in self.entries.values() if c.key in e.condition_keys)
            if members:
                self.condition_groups[c.slug] = Group(
                    "condition", c.slug, c.label, members, c.plain
                )

    # ------------------------------------------------------------------ building

    def _entry(self, trial: Trial, st: SnapshotTrial, protocol: Protocol | None) -> Entry:
        vocab = [c.display for c in cond.CONDITIONS for k in trial.diseases if k in c.vocab_keys]
        keys = cond.normalise([*trial.conditions, *vocab, trial.brief_title or trial.title])
        if keys == ("autoimmune",):
            more = cond.normalise([trial.title, *(trial.keywords or ())])
            keys = more or keys
        families = tuple(dict.fromkeys(cond.family_of(k) for k in keys))
        product = _product_name(trial)
        points = tuple(
            (i, Point(s.latitude, s.longitude))
            for i, s in enumerate(trial.sites)
            if s.latitude is not None and s.longitude is not None
        )
        words = [
            trial.nct_id,
            trial.title,
            trial.brief_title,
            trial.acronym,
            trial.summary,
            trial.product,
            trial.sponsor,
            trial.cell_type,
            st.target_category,
            *trial.conditions,
            *trial.keywords,
            *trial.target_antigens,
            *trial.other_ids,
            *trial.interventions,
            *(c.display for k in keys if (c := cond.by_key(k))),
            *(s.city for s in trial.sites),
            *st.countries,
        ]
        return Entry(
            trial=trial,
            info=st,
            protocol=protocol,
            condition_keys=keys,
            families=families,
            org_slug=slugify(trial.sponsor) if trial.sponsor else None,
            product_slug=slugify(product) if product else None,
            haystack=_fold(" ".join(w for w in words if w)),
            points=points,
        )

    def _groups(self, kind: str, name_of: Callable[[Entry], str | None]) -> dict[str, Group]:
        found: dict[str, list[Entry]] = {}
        names: dict[str, str] = {}
        for e in self.entries.values():
            name = name_of(e)
            if not name:
                continue
            slug = slugify(name)
            found.setdefault(slug, []).append(e)
            names.setdefault(slug, name)
        return {
            slug: Group(kind, slug, names[slug], tuple(es)) for slug, es in sorted(found.items())
        }

    # ------------------------------------------------------------------ queries

    def get(self, nct_id: str) -> Entry | None:
        return self.entries.get(nct_id.strip().upper())

    def search(self, f: FinderQuery) -> list[tuple[Entry, float | None]]:
        """Entries matching every filter, each with its nearest site's distance (km) when a
        place is given. With ``within_km``, trials whose sites have no coordinates are left
        out of the *filtered* list (their distance is unknown) and counted by the caller."""
        want_keys: set[str] = set()
        q_words: list[str] = []
        if f.q:
            want_keys = set(cond.query_keys(f.q))
            if not want_keys:
                q_words = _fold(f.q).split()
        if f.condition:
            c = cond.by_slug(f.condition) or cond.by_key(f.condition)
            keys = {c.key} if c else set(cond.query_keys(f.condition))
            cond_filter: set[str] | None = keys
        else:
            cond_filter = None
        out: list[tuple[Entry, float | None]] = []
        for e in self.entries.values():
            t = e.trial
            if (
                want_keys
                and not (want_keys & set(e.condition_keys))
                and not all(w in e.haystack for w in _fold(f.q or "").split())
            ):
                continue
            if q_words and not all(w in e.haystack for w in q_words):
                continue
            if cond_filter is not None and not (cond_filter & set(e.condition_keys)):
                continue
            if f.antigen and _fold(f.antigen) not in {_fold(a) for a in t.target_antigens}:
                continue
            if f.cell_type and _fold(f.cell_type) != _fold(t.cell_type):
                continue
            if f.phase and _fold(f.phase) not in {_fold(p) for p in t.phases}:
                continue
            if f.status and _fold(f.status) != _fold(t.status):
                continue
            if f.open_only and not e.open:
                continue
            if f.country and _fold(f.country) not in {_fold(c) for c in e.countries}:
                continue
            if f.age is not None and not _age_fits(f.age, t):
                continue
            km = e.nearest_km(f.near) if f.near is not None else None
            if f.within_km is not None and f.near is not None and (km is None or km > f.within_km):
                continue
            out.append((e, km))
        if f.sort == "distance" or (f.sort == "relevance" and f.near is not None):
            out.sort(key=lambda x: (x[1] is None, x[1] if x[1] is not None else 0.0, x[0].nct_id))
        elif f.sort == "updated":
            out.sort(key=lambda x: x[0].trial.last_updated or _EPOCH, reverse=True)
        elif f.sort == "relevance":
            out.sort(key=lambda x: (not x[0].reviewed, not x[0].open, x[0].nct_id))
        return out

    def unlocated(self, f: FinderQuery) -> list[Entry]:
        """Trials that match ``f`` except for distance because no site gives coordinates: a
        "within N km" list names how many it cannot place instead of dropping them silently."""
        if f.near is None or f.within_km is None:
            return []
        return [e for e, km in self.search(replace(f, within_km=None)) if km is None]

    def facets(self) -> dict[str, list[tuple[str, str]]]:
        """(value, label) pairs each filter can take."""
        sets: dict[str, set[str]] = {k: set() for k in ("antigen", "cell_type", "phase", "status")}
        countries: set[str] = set()
        for e in self.entries.values():
            t = e.trial
            sets["antigen"].update(t.target_antigens)
            if t.cell_type:
                sets["cell_type"].add(t.cell_type)
            sets["phase"].update(t.phases)
            if t.status:
                sets["status"].add(t.status)
            countries.update(e.countries)
        out = {
            k: [(v, v.replace("_", " ")) for v in sorted(vs, key=str.casefold)]
            for k, vs in sets.items()
        }
        out["country"] = [(c, c) for c in sorted(countries, key=str.casefold)]
        out["condition"] = [
            (g.slug, f"{g.name} · {len(g.entries)}") for g in self.condition_groups.values()
        ]
        return out

    def condition(self, slug: str) -> Group | None:
        return self.condition_groups.get(slug)

    def groups_of(self, e: Entry) -> dict[str, list[Group]]:
        """The organization, product and condition pages a trial links to."""
        out: dict[str, list[Group]] = {"organization": [], "product": [], "condition": []}
        if e.org_slug and e.org_slug in self.organizations:
            out["organization"].append(self.organizations[e.org_slug])
        if e.product_slug and e.product_slug in self.products:
            out["product"].append(self.products[e.product_slug])
        for c in e.conditions:
            if c.slug in self.condition_groups:
                out["condition"].append(self.condition_groups[c.slug])
        return out

    def all_points(self) -> Iterable[tuple[Entry, Point]]:
        for e in self.entries.values():
            for _, p in e.points:
                yield e, p


_EPOCH = date(1900, 1, 1)


def _age_fits(age: int, t: Trial) -> bool:
    if t.min_age_years is not None and age < t.min_age_years:
        return False
    return not (t.max_age_years is not None and age > t.max_age_years)


def _product_name(trial: Trial) -> str | None:
    name = (trial.product or "").strip()
    if not name or name.casefold() in {"unnamed", "unknown", "nan", "car-t", "car-t cells"}:
        return None
    return name


def _curated_view(curated: Trial, registry: Trial) -> Trial:
    """The curated protocol's trial, with the registry's site coordinates and fields it lacks."""
    update: dict[str, object] = {}
    if registry.sites and (
        sum(s.latitude is not None for s in registry.sites)
        > sum(s.latitude is not None for s in curated.sites)
    ):
        update["sites"] = registry.sites
    for name in (
        "sponsor",
        "status",
        "last_updated",
        "product",
        "summary",
        "conditions",
        "phases",
        "enrollment",
        "start_date",
        "min_age_years",
        "max_age_years",
        "primary_endpoints",
        "interventions",
        "target_antigens",
        "cell_type",
    ):
        if getattr(curated, name) in (None, "", ()) and getattr(registry, name) not in (None, ()):
            update[name] = getattr(registry, name)
    return curated.model_copy(update=update) if update else curated
