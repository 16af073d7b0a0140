"""ClinicalTrials.gov API v2 study JSON -> :class:`~cartrial.domain.trial.Trial`.

Accepts a single study (``{"protocolSection": ..., "derivedSection": ...}``), an API list page
(``{"studies": [...], "nextPageToken": ...}``) or a bare JSON list of studies. Missing modules
and fields are tolerated (the field stays empty); unknown fields are ignored. A field of the
wrong *type* (a list where a mapping belongs, a non-numeric enrollment count) is skipped, not
guessed; only a study without an NCT id is an error, and the message names the file, the study
and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cartrial.domain.errors import DataError
from cartrial.domain.trial import Arm, Endpoint, Site, Trial
from cartrial.ingest.parse.lexicon import disease_keys

__all__ = [
    "CtgovError",
    "Page",
    "antigens_of",
    "cell_type_of",
    "eligibility_criteria",
    "iter_studies",
    "load_studies",
    "load_trials",
    "nct_id_of",
    "parse_age",
    "parse_date",
    "parse_page",
    "study_to_trial",
]

NCT_RE = re.compile(r"^NCT\d{8}$")
SOURCE = "clinicaltrials.gov API v2"


class CtgovError(DataError):
    """A registry document could not be read as an API v2 study or list page."""


@dataclass(frozen=True)
class Page:
    """One page of ``GET /studies``: the studies, the next page token and the total count."""

    studies: tuple[Mapping[str, Any], ...]
    next_page_token: str | None = None
    total_count: int | None = None


# ------------------------------------------------------------------------- small readers


def _get(obj: Any, *path: str) -> Any:
    """``obj[p0][p1]...`` or None when a level is missing or not a mapping."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _maps(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def _text(value: Any) -> str | None:
    """A string field (numbers are not text here)."""
    return _str(value) if isinstance(value, str) else None


def _strs(value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for v in _list(value):
        s = _text(v)
        if s and s not in out:
            out.append(s)
    return tuple(out)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date(value: Any) -> date | None:
    """API v2 dates: ``2024-06-30``, ``2024-06`` (-> the 1st) or ``2024`` (-> 1 January)."""
    s = _str(value)
    if not s:
        return None
    m = _DATE_RE.match(s)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        return date(year, month, day)
    except ValueError:
        return None


_AGE_RE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE
)
_AGE_FACTORS = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / 8766,
    "minute": 1 / 525960,
}


def parse_age(value: Any) -> float | None:
    """``"18 Years"`` -> 18.0; ``"6 Months"`` -> 0.5; ``"N/A"`` or junk -> None."""
    s = _str(value)
    if not s:
        return None
    m = _AGE_RE.match(s)
    if not m:
        return None
    years = float(m.group(1)) * _AGE_FACTORS[m.group(2).lower()]
    return round(years, 4)


# ------------------------------------------------------------------------- documents


def nct_id_of(study: Any) -> str | None:
    """The study's NCT id (identificationModule, else a top-level ``nctId``), upper-cased."""
    raw = _get(study, "protocolSection", "identificationModule", "nctId")
    if raw is None and isinstance(study, Mapping):
        raw = study.get("nctId")
    s = _str(raw)
    return s.upper() if s else None


def _is_study(obj: Any) -> bool:
    return isinstance(obj, Mapping) and isinstance(obj.get("protocolSection"), Mapping)


def parse_page(doc: Any, *, where: str = "<page>") -> Page:
    """A list page (``studies`` + ``nextPageToken``), a single study or a list of studies."""
    if _is_study(doc):
        return Page(studies=(doc,))
    if isinstance(doc, list):
        return Page(studies=tuple(_checked_studies(doc, where=where, field="[]")))
    if isinstance(doc, Mapping) and "studies" in doc:
        studies = doc.get("studies")
        if not isinstance(studies, list):
            raise CtgovError("'studies' is not a list", where=where, field="studies")
        token = _str(doc.get("nextPageToken"))
        total = _int(doc.get("totalCount"))
        return Page(
            studies=tuple(_checked_studies(studies, where=where, field="studies")),
            next_page_token=token,
            total_count=total,
        )
    if isinstance(doc, Mapping):
        keys = ", ".join(sorted(str(k) for k in doc)[:8]) or "none"
        raise CtgovError(
            "not a ClinicalTrials.gov API v2 study or list page: no 'protocolSection' or "
            f"'studies' (top-level keys: {keys})",
            where=where,
        )
    raise CtgovError(
        f"not a ClinicalTrials.gov API v2 document: top level is {type(doc).__name__}",
        where=where,
    )


def _checked_studies(items: list[Any], *, where: str, field: str) -> Iterator[Mapping[str, Any]]:
    for i, item in enumerate(items):
        if not _is_study(item):
            raise CtgovError(
                "entry is not a study (no 'protocolSection' mapping)",
                where=where,
                field=f"{field}[{i}]",
            )
        yield item


def load_studies(path: str | Path) -> list[Mapping[str, Any]]:
    """The study objects in a JSON file (single study, list page or list)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CtgovError(f"cannot read: {exc.strerror or exc}", where=str(p)) from None
    if not raw.strip():
        raise CtgovError("file is empty", where=str(p))
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CtgovError(f"not UTF-8 text ({exc.reason})", where=str(p)) from None
    except json.JSONDecodeError as exc:
        raise CtgovError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=str(p)
        ) from None
    return list(parse_page(doc, where=str(p)).studies)


def load_trials(path: str | Path) -> list[Trial]:
    """Every study in a JSON file as a Trial; raises :class:`CtgovError` naming the file."""
    where = str(path)
    return [study_to_trial(s, where=where) for s in load_studies(path)]


def iter_studies(docs: Iterable[Any], *, where: str = "<pages>") -> Iterator[Mapping[str, Any]]:
    for doc in docs:
        yield from parse_page(doc, where=where).studies


def eligibility_criteria(study: Mapping[str, Any]) -> str | None:
    """The free-text eligibility criteria of a study (``eligibilityModule``), if any."""
    return _text(_get(study, "protocolSection", "eligibilityModule", "eligibilityCriteria"))


# ------------------------------------------------------------------------- study -> Trial


def study_to_trial(study: Mapping[str, Any], *, where: str = "<study>") -> Trial:
    """Map one API v2 study object to a Trial (robust to missing modules)."""
    if not _is_study(study):
        raise CtgovError("not a study: no 'protocolSection' mapping", where=where)
    nct = nct_id_of(study)
    if nct is None:
        raise CtgovError(
            "study has no NCT id", where=where, field="protocolSection.identificationModule.nctId"
        )
    if not NCT_RE.match(nct):
        raise CtgovError(
            f"malformed NCT id {nct!r} (expected NCT + 8 digits)",
            where=where,
            field="protocolSection.identificationModule.nctId",
        )
    ps = study["protocolSection"]
    ident = _get(ps, "identificationModule") or {}
    status = _get(ps, "statusModule") or {}
    sponsor = _get(ps, "sponsorCollaboratorsModule") or {}
    desc = _get(ps, "descriptionModule") or {}
    conds = _get(ps, "conditionsModule") or {}
    design = _get(ps, "designModule") or {}
    arms_mod = _get(ps, "armsInterventionsModule") or {}
    outcomes = _get(ps, "outcomesModule") or {}
    elig = _get(ps, "eligibilityModule") or {}
    contacts = _get(ps, "contactsLocationsModule") or {}
    refs = _get(ps, "referencesModule") or {}
    derived = _get(study, "derivedSection") or {}

    brief = _str(_get(ident, "briefTitle"))
    official = _str(_get(ident, "officialTitle"))
    title = official or brief or nct

    other_ids: list[str] = []
    for raw in [_get(ident, "orgStudyIdInfo", "id")] + [
        _get(x, "id") for x in _maps(_get(ident, "secondaryIdInfos"))
    ]:
        s = _str(raw)
        if s and s != nct and s not in other_ids:
            other_ids.append(s)

    conditions = _strs(_get(conds, "conditions"))
    keywords = _strs(_get(conds, "keywords"))
    mesh_terms = tuple(
        t
        for t in (
            _str(_get(m, "term")) for m in _maps(_get(derived, "conditionBrowseModule", "meshes"))
        )
        if t
    )

    interventions = _interventions(arms_mod)
    titles = [t for t in (brief, official) if t]
    product_texts = titles + [name for name, _ in interventions]

    return Trial(
        nct_id=nct,
        other_ids=tuple(other_ids),
        title=title,
        brief_title=brief,
        acronym=_str(_get(ident, "acronym")),
        status=_str(_get(status, "overallStatus")),
        phases=_strs(_get(design, "phases")),
        study_type=_str(_get(design, "studyType")),
        enrollment=_int(_get(design, "enrollmentInfo", "count")),
        enrollment_type=_str(_get(design, "enrollmentInfo", "type")),
        start_date=parse_date(_get(status, "startDateStruct", "date")),
        primary_completion_date=parse_date(_get(status, "primaryCompletionDateStruct", "date")),
        completion_date=parse_date(_get(status, "completionDateStruct", "date")),
        last_updated=parse_date(_get(status, "lastUpdatePostDateStruct", "date"))
        or parse_date(_get(status, "lastUpdateSubmitDate")),
        conditions=conditions,
        diseases=disease_keys(list(conditions) + list(mesh_terms) + titles),
        keywords=keywords,
        sponsor=_str(_get(sponsor, "leadSponsor", "name")),
        collaborators=tuple(
            s for s in (_str(_get(c, "name")) for c in _maps(_get(sponsor, "collaborators"))) if s
        ),
        summary=_str(_get(desc, "briefSummary")),
        description=_str(_get(desc, "detailedDescription")),
        design=_design(design),
        arms=_arms(arms_mod),
        interventions=tuple(name for name, _ in interventions),
        product=_product(interventions),
        target_antigens=_antigens(product_texts),
        cell_type=_cell_type(product_texts),
        primary_endpoints=_endpoints(_get(outcomes, "primaryOutcomes")),
        secondary_endpoints=_endpoints(_get(outcomes, "secondaryOutcomes")),
        min_age_years=parse_age(_get(elig, "minimumAge")),
        max_age_years=parse_age(_get(elig, "maximumAge")),
        sex=_sex(_get(elig, "sex")),
        healthy_volunteers=_bool(_get(elig, "healthyVolunteers")),
        sites=tuple(_site(loc) for loc in _maps(_get(contacts, "locations"))),
        references=_references(refs),
        eligibility_text=_text(_get(elig, "eligibilityCriteria")),
        source=SOURCE,
    )


def antigens_of(texts: Sequence[str]) -> tuple[str, ...]:
    """Target antigens named next to "CAR" in titles or intervention names (e.g. CD19, BCMA)."""
    return _antigens(texts)


def cell_type_of(texts: Sequence[str]) -> str | None:
    """CAR-T, CAR-NK or CAR-DNT as named in titles or intervention names; None if not named."""
    return _cell_type(texts)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return None


def _sex(value: Any) -> str | None:
    s = _str(value)
    if not s:
        return None
    return {"ALL": "all", "FEMALE": "female", "MALE": "male"}.get(s.upper(), s.lower())


def _design(design: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    info = _get(design, "designInfo")
    for key in (
        "allocation",
        "interventionModel",
        "primaryPurpose",
        "observationalModel",
        "timePerspective",
    ):
        s = _str(_get(info, key))
        if s:
            out[key] = s
    masking = _str(_get(info, "maskingInfo", "masking"))
    if masking:
        out["masking"] = masking
    model_desc = _str(_get(info, "interventionModelDescription"))
    if model_desc:
        out["interventionModelDescription"] = model_desc
    return out


def _interventions(arms_mod: Any) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for iv in _maps(_get(arms_mod, "interventions")):
        name = _str(iv.get("name"))
        if name and all(name != n for n, _ in out):
            out.append((name, _str(iv.get("type"))))
    return out


def _arms(arms_mod: Any) -> tuple[Arm, ...]:
    arms: list[Arm] = []
    for grp in _maps(_get(arms_mod, "armGroups")):
        label = _str(grp.get("label"))
        if not label:
            continue
        arms.append(
            Arm(
                label=label,
                type=_str(grp.get("type")),
                description=_str(grp.get("description")),
                interventions=_strs(grp.get("interventionNames")),
            )
        )
    return tuple(arms)


def _product(interventions: Sequence[tuple[str, str | None]]) -> str | None:
    """The investigational cell product: a CAR/cell-product name, else the first biological or
    genetic intervention, else the first intervention that is not a supportive drug."""
    supportive = re.compile(
        r"^(?:drug:\s*)?(?:fludarabine|cyclophosphamide|bendamustine|tocilizumab|placebo|"
        r"standard|lymphodepl|chemotherapy|active comparator)",
        re.IGNORECASE,
    )
    cell = re.compile(
        r"\bCAR\b|CAR[- ]?(?:T|NK|DNT)|autoleucel|-cel\b|\b[A-Z]{2,}-?\d{2,}",
    )
    for name, _ in interventions:
        if cell.search(name) and not supportive.search(name):
            return name
    for name, kind in interventions:
        if kind in ("BIOLOGICAL", "GENETIC") and not supportive.search(name):
            return name
    for name, _ in interventions:
        if not supportive.search(name):
            return name
    return None


_ANTIGEN_RE = re.compile(
    r"(?<![A-Za-z0-9])(CD-?19|CD-?20|CD-?22|CD-?7|CD-?38|CD-?70|BCMA|BAFF-?R|BAFF|CD3E)(?![0-9])",
    re.IGNORECASE,
)


def _antigens(texts: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for text in texts:
        if not re.search(r"\bCAR\b|CAR[- ]?(?:T|NK|DNT)|chimeric antigen", text, re.IGNORECASE):
            continue
        for m in _ANTIGEN_RE.finditer(text):
            key = m.group(1).upper().replace("BAFFR", "BAFF-R").replace("CD-", "CD")
            if key not in out:
                out.append(key)
    return tuple(out)


def _cell_type(texts: Sequence[str]) -> str | None:
    joined = " ".join(texts)
    for label, rx in (
        ("CAR-NK", r"CAR[- ]?NK"),
        ("CAR-DNT", r"CAR[- ]?DNT"),
        ("CAR-T", r"CAR[- ]?T\b|CAR[- ]?T[- ]cell|\bCART\b|CAR\s+T|chimeric antigen receptor[- ]T"),
    ):
        if re.search(rx, joined, re.IGNORECASE):
            return label
    return None


def _endpoints(value: Any) -> tuple[Endpoint, ...]:
    out: list[Endpoint] = []
    for o in _maps(value):
        measure = _str(o.get("measure"))
        if measure:
            out.append(
                Endpoint(
                    measure=measure,
                    time_frame=_str(o.get("timeFrame")),
                    description=_str(o.get("description")),
                )
            )
    return tuple(out)


def _site(loc: Mapping[str, Any]) -> Site:
    lat = _float(_get(loc, "geoPoint", "lat"))
    lon = _float(_get(loc, "geoPoint", "lon"))
    if lat is not None and not -90 <= lat <= 90:
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        lon = None
    contact = next(iter(_maps(loc.get("contacts"))), {})
    return Site(
        facility=_str(loc.get("facility")),
        city=_str(loc.get("city")),
        state=_str(loc.get("state")),
        country=_str(loc.get("country")),
        status=_str(loc.get("status")),
        latitude=lat if lon is not None else None,
        longitude=lon if lat is not None else None,
        contact_name=_str(contact.get("name")),
        contact_email=_str(contact.get("email")),
        contact_phone=_str(contact.get("phone")),
    )


def _references(refs: Any) -> tuple[str, ...]:
    out: list[str] = []
    for r in _maps(_get(refs, "references")):
        citation = _str(r.get("citation"))
        pmid = _str(r.get("pmid"))
        text = citation or (f"PMID {pmid}" if pmid else None)
        if text and pmid and citation and pmid not in citation:
            text = f"{citation} PMID: {pmid}"
        if text and text not in out:
            out.append(text)
    for link in _maps(_get(refs, "seeAlsoLinks")):
        url = _str(link.get("url"))
        if url and url not in out:
            out.append(url)
    return tuple(out)
