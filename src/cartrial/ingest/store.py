"""Imported registry records on disk: one JSON document per trial under the data directory.

``$CARTRIAL_DATA_DIR`` (default ``var/``) holds ``registry/NCTxxxxxxxx.json``::

    {"schema_version": 1, "nct_id": ..., "imported_at": ..., "source": ...,
     "trial": {Trial as JSON}, "study": {the API v2 study as received}}

Every write goes to a temporary file in the same folder and is renamed into place, so a reader
never sees a half-written record.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cartrial.domain.errors import DataError
from cartrial.domain.trial import Trial

__all__ = ["STORE_SCHEMA_VERSION", "StoredTrial", "TrialStore", "atomic_write_text", "data_dir"]

STORE_SCHEMA_VERSION = 1


def data_dir() -> Path:
    """``$CARTRIAL_DATA_DIR`` or ``var/`` (relative to the working directory)."""
    env = os.environ.get("CARTRIAL_DATA_DIR")
    return Path(env) if env else Path("var")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary sibling and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class StoredTrial:
    trial: Trial
    study: Mapping[str, Any]
    imported_at: str | None
    source: str | None
    path: Path


class TrialStore:
    """Registry records under ``root/registry`` (``root`` defaults to :func:`data_dir`)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir()

    @property
    def folder(self) -> Path:
        return self.root / "registry"

    def path(self, nct_id: str) -> Path:
        return self.folder / f"{nct_id.strip().upper()}.json"

    def save(
        self,
        trial: Trial,
        study: Mapping[str, Any],
        *,
        imported_at: datetime | str | None = None,
        source: str | None = None,
    ) -> Path:
        stamp = imported_at.isoformat() if isinstance(imported_at, datetime) else imported_at
        doc = {
            "schema_version": STORE_SCHEMA_VERSION,
            "nct_id": trial.nct_id,
            "imported_at": stamp,
            "source": source,
            "trial": trial.model_dump(mode="json", exclude_none=True),
            "study": study,
        }
        target = self.path(trial.nct_id)
        atomic_write_text(target, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        return target

    def exists(self, nct_id: str) -> bool:
        return self.path(nct_id).is_file()

    def load(self, nct_id: str) -> StoredTrial:
        path = self.path(nct_id)
        if not path.is_file():
            raise DataError(
                f"no imported record for {nct_id.strip().upper()} "
                f"(run `cartrial trials import` or `cartrial trials sync` first)",
                where=str(self.folder),
            )
        return self.read(path)

    def read(self, path: Path) -> StoredTrial:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"cannot read stored record: {exc}", where=str(path)) from None
        if not isinstance(doc, dict) or doc.get("schema_version") != STORE_SCHEMA_VERSION:
            raise DataError("not a stored registry record (schema_version 1)", where=str(path))
        try:
            trial = Trial.model_validate(doc.get("trial"))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise DataError(first["msg"], where=str(path), field=f"trial.{loc}") from None
        study = doc.get("study")
        return StoredTrial(
            trial=trial,
            study=study if isinstance(study, Mapping) else {},
            imported_at=doc.get("imported_at"),
            source=doc.get("source"),
            path=path,
        )

    def ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("NCT*.json"))

    def __iter__(self) -> Iterator[StoredTrial]:
        for nct in self.ids():
            yield self.load(nct)

    def trials(self) -> list[Trial]:
        return [s.trial for s in self]
