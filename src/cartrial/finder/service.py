"""The finder as the web app, the API and the CLI use it: store, similar trials, drafts,
summaries and the optional rewriter, built once per set of inputs."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cartrial.criteria.protocol import Protocol
from cartrial.finder.drafts import Draft, DraftCache
from cartrial.finder.geo import Point
from cartrial.finder.rewriter import Rewrite, rewrite_summary
from cartrial.finder.similar import Similar, SimilarIndex
from cartrial.finder.snapshot import SnapshotInfo, bundled_path, load_snapshot
from cartrial.finder.store import Entry, FinderStore
from cartrial.finder.summary import PlainSummary, plain_summary

__all__ = ["Finder", "TrialProtocol", "load_finder"]


@dataclass(frozen=True)
class TrialProtocol:
    """The criteria tree a trial page shows: curated (reviewed) or the parser's draft."""

    protocol: Protocol | None
    reviewed: bool
    draft: Draft | None = None


class Finder:
    def __init__(self, store: FinderStore) -> None:
        self.store = store
        self.similar_index = SimilarIndex(store)
        self.drafts = DraftCache()
        self._rewrites: dict[str, Rewrite] = {}
        self._lock = threading.Lock()

    @property
    def info(self) -> SnapshotInfo:
        return self.store.info

    def protocol_for(self, entry: Entry) -> TrialProtocol:
        if entry.protocol is not None:
            return TrialProtocol(entry.protocol, reviewed=True)
        draft = self.drafts.get(entry.trial)
        return TrialProtocol(draft.protocol if draft else None, reviewed=False, draft=draft)

    def summary(
        self, entry: Entry, *, origin: Point | None = None, place: str | None = None
    ) -> PlainSummary:
        tp = self.protocol_for(entry)
        sites = entry.sites_by_distance(origin) if origin is not None else None
        return plain_summary(entry, tp.protocol, sites=sites, place=place)

    def similar(self, entry: Entry, k: int = 5, *, origin: Point | None = None) -> list[Similar]:
        return self.similar_index.similar(entry.nct_id, k, origin=origin)

    def rewritten(self, summary: PlainSummary, url: str, *, model: str = "default") -> Rewrite:
        """The rewriter's accepted text (cached per summary text), else the summary's own."""
        key = hashlib.sha256(f"{url}\n{model}\n{summary.text}".encode()).hexdigest()
        with self._lock:
            if key in self._rewrites:
                return self._rewrites[key]
        result = rewrite_summary(summary, url, model=model)
        with self._lock:
            self._rewrites[key] = result
        return result

    def warm(self) -> None:
        """Build the lazy parts now (gazetteer, BM25 index, drafts): at start-up of a long-lived
        server, before a benchmark."""
        self.store.gazetteer.suggest("london")
        first = next(iter(self.store.entries), None)
        if first is not None:
            self.similar_index.similar(first, 1)
        for e in self.store.entries.values():
            if e.protocol is None:
                self.drafts.get(e.trial)


_CACHE: dict[tuple[object, ...], Finder] = {}
_CACHE_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple[str, int]:
    try:
        return (str(path), path.stat().st_mtime_ns)
    except OSError:
        return (str(path), 0)


def load_finder(
    protocols: Mapping[str, Protocol],
    *,
    data_dir: Path | None = None,
    snapshot: Path | None = None,
) -> Finder:
    """The finder over the bundled (or given) snapshot, records synced into ``data_dir`` and
    the curated ``protocols``; built once per distinct set of inputs and shared (read-only)."""
    path = snapshot or bundled_path()
    registry = (data_dir / "registry") if data_dir is not None else None
    synced: tuple[tuple[str, int], ...] = ()
    if registry is not None and registry.is_dir():
        synced = tuple(_stamp(p) for p in sorted(registry.glob("NCT*.json")))
    key = (
        _stamp(path),
        synced,
        tuple((n, id(p)) for n, p in sorted(protocols.items())),
    )
    with _CACHE_LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    snap = load_snapshot(path, data_dir=data_dir if synced else None)
    finder = Finder(FinderStore(snap, protocols))
    with _CACHE_LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = finder
    return finder
