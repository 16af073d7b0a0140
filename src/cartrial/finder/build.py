"""Build the finder's snapshot file from a registry snapshot: same input, same bytes.

Inputs: the MIT-licensed CAR-T trials monitor snapshot (``trials.csv``, ``sites.csv``,
``metadata.json``, ``LICENSE``, ``SOURCE_COMMIT``; P. Jeong, Universitätsklinikum Köln,
github.com/ptjeong/Rheumatology-CAR-T-Trials-Monitor-) and, optionally, registry records shaped
like ClinicalTrials.gov API v2 studies (``NCT*.json``) that add criteria text, arms, endpoints
and site contacts. Output: gzip-compressed canonical JSON (sorted keys, no timestamps, gzip
mtime 0), with the licence text, the attribution and the snapshot date inside.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cartrial.domain.errors import DataError
from cartrial.domain.trial import Endpoint, Site, Trial
from cartrial.ingest.ctgov import (
    CtgovError,
    antigens_of,
    cell_type_of,
    parse_age,
    parse_date,
    study_to_trial,
)

__all__ = ["SNAPSHOT_FORMAT", "SNAPSHOT_SCHEMA_VERSION", "build_snapshot", "snapshot_bytes"]

SNAPSHOT_FORMAT = "cartrial-finder-snapshot"
SNAPSHOT_SCHEMA_VERSION = 1
MONITOR_URL = "https://github.com/ptjeong/Rheumatology-CAR-T-Trials-Monitor-"

_TRIAL_COLUMNS = ("NCTId", "BriefTitle", "OverallStatus", "Conditions", "SnapshotDate")
_SITE_COLUMNS = ("NCTId", "Facility", "City", "Country", "Latitude", "Longitude")
_NOT_ANTIGENS = {"CAR-T_unspecified", "Other_or_unknown", "CAR-Treg", "CAAR-T", "CAR-NK"}
_CELL_TYPES = {"CAR-NK": "CAR-NK", "CAR-Treg": "CAR-Treg", "CAAR-T": "CAAR-T"}


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(html.unescape(value).split()) if "\n" not in value else value.strip()
    return value or None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(x for x in (_text(p) for p in (value or "").split("|")) if x)


def _float(value: str | None, where: str, field: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise DataError(f"{value!r} is not a number", where=where, field=field) from None


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataError("file not found", where=str(path))
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise DataError(f"missing column(s) {', '.join(missing)}", where=str(path))
        return list(reader)


def _antigens(category: str, texts: list[str]) -> tuple[str, ...]:
    if category and category not in _NOT_ANTIGENS:
        head = category.split(" ")[0]
        return tuple(a.strip() for a in head.split("/") if a.strip())
    return antigens_of(texts)


def _trial_from_row(row: Mapping[str, str], sites: list[Site], where: str) -> Trial:
    nct = row["NCTId"].strip()
    title = _text(row.get("BriefTitle")) or nct
    interventions = _split(row.get("Interventions"))
    texts = [title, *interventions]
    category = (row.get("TargetCategory") or "").strip()
    phases = tuple(p for p in _split(row.get("Phase")) if p.upper().startswith(("PHASE", "EARLY")))
    enrollment = _float(row.get("EnrollmentCount"), where, "EnrollmentCount")
    return Trial(
        nct_id=nct,
        title=title,
        brief_title=title,
        status=_text(row.get("OverallStatus")),
        phases=phases,
        enrollment=int(enrollment) if enrollment is not None else None,
        enrollment_type=_text(row.get("EnrollmentType")),
        start_date=parse_date(row.get("StartDate")),
        last_updated=parse_date(row.get("LastUpdatePostDate")),
        conditions=_split(row.get("Conditions")),
        sponsor=_text(row.get("LeadSponsor")),
        summary=_text(row.get("BriefSummary")),
        interventions=interventions,
        product=_text(row.get("ProductName")),
        target_antigens=_antigens(category, texts),
        # the monitor tracks CAR-T trials: CAR-NK, CAAR-T, CAR-Treg when its class or the
        # names say so, else CAR-T
        cell_type=_CELL_TYPES.get(category) or cell_type_of(texts) or "CAR-T",
        primary_endpoints=tuple(Endpoint(measure=m) for m in _split(row.get("PrimaryEndpoints"))),
        min_age_years=parse_age(row.get("MinAge")),
        max_age_years=parse_age(row.get("MaxAge")),
        sites=tuple(sites),
        source="ClinicalTrials.gov API v2 via the CAR-T trials monitor snapshot",
    )


def _merge_record(base: Trial, record: Mapping[str, Any], where: str) -> Trial:
    """Fields the registry record has and the monitor's table does not."""
    try:
        full = study_to_trial(record, where=where)
    except CtgovError as exc:
        raise DataError(str(exc), where=where) from None
    update: dict[str, Any] = {}
    for name in (
        "title",
        "acronym",
        "other_ids",
        "study_type",
        "primary_completion_date",
        "completion_date",
        "keywords",
        "collaborators",
        "description",
        "design",
        "arms",
        "secondary_endpoints",
        "sex",
        "healthy_volunteers",
        "references",
        "eligibility_text",
    ):
        value = getattr(full, name)
        if value not in (None, (), {}, ""):
            update[name] = value
    if full.primary_endpoints:
        update["primary_endpoints"] = full.primary_endpoints
    if full.sites and (
        not base.sites or sum(s.latitude is not None for s in full.sites) >= len(base.sites)
    ):
        update["sites"] = full.sites
    update["source"] = "ClinicalTrials.gov API v2 (assembled record) and the CAR-T trials monitor"
    return base.model_copy(update=update)


def _source_of(record: Mapping[str, Any]) -> Mapping[str, Any]:
    src = record.get("source")
    return src if isinstance(src, Mapping) else {}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_snapshot(monitor_dir: Path, records_dir: Path | None = None) -> dict[str, Any]:
    """The snapshot document (plain JSON data)."""
    monitor_dir = Path(monitor_dir)
    meta_path = monitor_dir / "metadata.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read: {exc}", where=str(meta_path)) from None
    licence_path = monitor_dir / "LICENSE"
    if not licence_path.is_file():
        raise DataError("the snapshot's LICENSE file is missing", where=str(licence_path))
    licence = licence_path.read_text(encoding="utf-8").strip()
    commit_path = monitor_dir / "SOURCE_COMMIT"
    commit = commit_path.read_text(encoding="utf-8").strip() if commit_path.is_file() else None
    snapshot_date = str(meta.get("snapshot_date") or "")
    if not snapshot_date:
        raise DataError("no snapshot_date", where=str(meta_path), field="snapshot_date")

    rows = _read_csv(monitor_dir / "trials.csv", _TRIAL_COLUMNS)
    site_rows = _read_csv(monitor_dir / "sites.csv", _SITE_COLUMNS)
    wanted = {r["NCTId"].strip() for r in rows}
    sites: dict[str, list[Site]] = {}
    postal: dict[str, list[Any]] = {}
    other_trials_sites = 0
    for i, s in enumerate(site_rows, start=2):
        nct = s["NCTId"].strip()
        if nct not in wanted:
            # the monitor's site table also covers trials its screening excluded (oncology,
            # non-CAR): counted in the snapshot, not attached to anything
            other_trials_sites += 1
            continue
        where = f"{monitor_dir / 'sites.csv'} line {i}"
        lat = _float(s.get("Latitude"), where, "Latitude")
        lon = _float(s.get("Longitude"), where, "Longitude")
        if (lat is None) != (lon is None):
            lat = lon = None
        sites.setdefault(nct, []).append(
            Site(
                facility=_text(s.get("Facility")),
                city=_text(s.get("City")),
                state=_text(s.get("State")),
                country=_text(s.get("Country")),
                status=_text(s.get("SiteStatus")),
                latitude=lat,
                longitude=lon,
            )
        )
        zip_code = _text(s.get("Zip"))
        if zip_code and lat is not None and lon is not None:
            postal.setdefault(zip_code, [_text(s.get("Country")) or "", lat, lon])

    records: dict[str, Mapping[str, Any]] = {}
    inputs = {
        name: _sha256(monitor_dir / name)
        for name in ("trials.csv", "sites.csv", "metadata.json", "LICENSE")
    }
    if records_dir is not None:
        for path in sorted(Path(records_dir).glob("NCT*.json")):
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise DataError(f"cannot read: {exc}", where=str(path)) from None
            records[path.stem] = rec
            inputs[f"records/{path.name}"] = _sha256(path)

    trials: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=2):
        nct = row["NCTId"].strip()
        where = f"{monitor_dir / 'trials.csv'} row {i} ({nct})"
        trial = _trial_from_row(row, sites.get(nct, []), where)
        extra: dict[str, Any] = {
            "sponsor_class": _text(row.get("SponsorType")),
            "product_type": _text(row.get("ProductType")),
            "target_category": _text(row.get("TargetCategory")),
            "monitor_entities": list(_split(row.get("DiseaseEntities"))),
            "monitor_confidence": _text(row.get("ClassificationConfidence")),
            "countries": sorted(_split(row.get("Countries"))),
        }
        rec = records.get(nct)
        if rec is not None:
            trial = _merge_record(trial, rec, f"{records_dir}/{nct}.json")
            src = _source_of(rec)
            extra["criteria_completeness"] = src.get("eligibility_text_complete")
            extra["criteria_source"] = src.get("eligibility_text_source")
        trials.append({"trial": trial.model_dump(mode="json", exclude_none=True), **extra})
    in_monitor = {t["trial"]["nct_id"] for t in trials}
    for nct, rec in sorted(records.items()):
        if nct in in_monitor:
            continue  # a registry record the monitor did not list: the record alone
        where = f"{records_dir}/{nct}.json"
        try:
            trial = study_to_trial(rec, where=where)
        except CtgovError as exc:
            raise DataError(str(exc), where=where) from None
        src = _source_of(rec)
        trials.append(
            {
                "trial": trial.model_dump(mode="json", exclude_none=True),
                "countries": sorted({s.country for s in trial.sites if s.country}),
                "monitor_entities": [],
                "criteria_completeness": src.get("eligibility_text_complete"),
                "criteria_source": src.get("eligibility_text_source"),
            }
        )
    trials.sort(key=lambda t: t["trial"]["nct_id"])
    return {
        "format": SNAPSHOT_FORMAT,
        "schema_version": SNAPSHOT_SCHEMA_VERSION,
        "snapshot_date": snapshot_date,
        "source": {
            "name": "Rheumatology CAR-T Trials Monitor snapshot",
            "url": MONITOR_URL,
            "commit": commit,
            "registry": str(meta.get("api_base_url") or "https://clinicaltrials.gov/api/v2"),
            "licence": "MIT",
            "licence_text": licence,
            "attribution": (
                f"Trial and site data: ClinicalTrials.gov, as collected by the Rheumatology "
                f"CAR-T Trials Monitor (Peter Jeong, Universitätsklinikum Köln; MIT licence), "
                f"snapshot {snapshot_date}."
            ),
        },
        "inputs": dict(sorted(inputs.items())),
        "counts": {
            "trials": len(trials),
            "sites": sum(len(t["trial"].get("sites", [])) for t in trials),
            "records": len(records),
            "site_rows_of_excluded_trials": other_trials_sites,
        },
        "postal_codes": dict(sorted(postal.items())),
        "trials": trials,
    }


def snapshot_bytes(doc: Mapping[str, Any]) -> bytes:
    """Canonical JSON, gzip-compressed without a timestamp or file name (reproducible)."""
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    return buf.getvalue()
