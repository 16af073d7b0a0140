"""The bundled finder snapshot (``data/snapshot.json.gz``) and imported registry records.

A :class:`SnapshotTrial` is a registry Trial with what the snapshot adds (sponsor class, product
type, the monitor's disease classification, where the criteria text came from). Records fetched
later by ``cartrial trials import|sync`` (the data directory's ``registry/``) replace the
bundled version of the same trial, so a sync refreshes the finder, sites' coordinates included.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cartrial.domain.errors import DataError
from cartrial.domain.trial import Trial
from cartrial.finder.build import SNAPSHOT_FORMAT, SNAPSHOT_SCHEMA_VERSION
from cartrial.ingest.store import TrialStore

__all__ = ["Snapshot", "SnapshotInfo", "SnapshotTrial", "bundled_path", "load_snapshot"]


@dataclass(frozen=True)
class SnapshotInfo:
    date: str
    attribution: str
    licence: str
    licence_text: str
    url: str
    commit: str | None
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_date": self.date,
            "attribution": self.attribution,
            "licence": self.licence,
            "source_url": self.url,
            "source_commit": self.commit,
            "counts": self.counts,
        }


@dataclass(frozen=True)
class SnapshotTrial:
    trial: Trial
    sponsor_class: str | None = None
    product_type: str | None = None
    target_category: str | None = None
    monitor_entities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    criteria_completeness: str | None = None
    criteria_source: str | None = None
    synced_at: str | None = None
    """When ``cartrial trials sync/import`` last refreshed this trial (None: bundled data)."""


@dataclass(frozen=True)
class Snapshot:
    info: SnapshotInfo
    trials: dict[str, SnapshotTrial]
    postal_codes: dict[str, tuple[str, float, float]] = field(default_factory=dict)


def bundled_path() -> Path:
    return Path(str(resources.files("cartrial.finder") / "data" / "snapshot.json.gz"))


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the finder snapshot: {exc}", where=str(path)) from None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != SNAPSHOT_FORMAT
        or doc.get("schema_version") != SNAPSHOT_SCHEMA_VERSION
    ):
        raise DataError(
            f"not a finder snapshot ({SNAPSHOT_FORMAT} v{SNAPSHOT_SCHEMA_VERSION})", where=str(path)
        )
    return doc


def load_snapshot(path: Path | None = None, *, data_dir: Path | None = None) -> Snapshot:
    """The snapshot at ``path`` (default: bundled), overlaid with synced registry records when
    ``data_dir`` (the CLI's ``$CARTRIAL_DATA_DIR``) holds any."""
    path = path or bundled_path()
    doc = _read(path)
    src = doc["source"]
    info = SnapshotInfo(
        date=doc["snapshot_date"],
        attribution=src["attribution"],
        licence=src["licence"],
        licence_text=src["licence_text"],
        url=src["url"],
        commit=src.get("commit"),
        counts=dict(doc.get("counts", {})),
    )
    trials: dict[str, SnapshotTrial] = {}
    for i, item in enumerate(doc["trials"]):
        try:
            trial = Trial.model_validate(item["trial"])
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise DataError(
                first["msg"], where=str(path), field=f"trials[{i}].trial.{loc}"
            ) from None
        trials[trial.nct_id] = SnapshotTrial(
            trial=trial,
            sponsor_class=item.get("sponsor_class"),
            product_type=item.get("product_type"),
            target_category=item.get("target_category"),
            monitor_entities=tuple(item.get("monitor_entities") or ()),
            countries=tuple(item.get("countries") or ()),
            criteria_completeness=item.get("criteria_completeness"),
            criteria_source=item.get("criteria_source"),
        )
    if data_dir is not None:
        store = TrialStore(data_dir)
        for nct in store.ids():
            stored = store.load(nct)
            old = trials.get(nct)
            base = old or SnapshotTrial(trial=stored.trial)
            trials[nct] = SnapshotTrial(
                trial=stored.trial,
                sponsor_class=base.sponsor_class,
                product_type=base.product_type,
                target_category=base.target_category,
                monitor_entities=base.monitor_entities,
                countries=tuple(sorted({s.country for s in stored.trial.sites if s.country})),
                criteria_completeness="as registered" if stored.trial.eligibility_text else None,
                criteria_source=stored.source,
                synced_at=stored.imported_at or "",
            )
    postal = {
        code: (str(v[0]), float(v[1]), float(v[2]))
        for code, v in (doc.get("postal_codes") or {}).items()
    }
    return Snapshot(info=info, trials=dict(sorted(trials.items())), postal_codes=postal)
