"""Finder figures over the full bundled snapshot (prints them; nothing is asserted).

- readability: Flesch–Kincaid grade of every trial's plain-language summary (median, worst);
- similar trials: precision@5 of same-disease-family suggestions, judged two ways — by the
  CAR-T trials monitor's own disease classification (``DiseaseEntities``, made by someone else,
  not used for ranking) and by the finder's condition families;
- nearest site: latency of sorting one trial's sites by distance, and of a whole-catalogue
  "within 500 km of X" search, for many origins (p50/p95); an unknown place's lookup with its
  suggested spellings (p50/p95 over misspellings and garbage);
- trial page: server-side latency of ``GET /trials/{nct_id}`` (in-process ASGI client) with the
  snapshot padded to 400 trials (p50/p95), half of the requests with ``near=``.

Run: .venv/bin/python bench/finder_bench.py [--pages 400] [--origins 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from cartrial.finder.geo import Point
from cartrial.finder.places import PlaceNotFound
from cartrial.finder.service import Finder
from cartrial.finder.snapshot import Snapshot, SnapshotTrial, load_snapshot
from cartrial.finder.store import FinderQuery, FinderStore
from cartrial.services.bundled_protocols import load_protocols

CITIES = [
    "Shanghai", "Beijing", "Hangzhou", "Guangzhou", "Wuhan", "Chengdu", "Köln", "Erlangen",
    "Berlin", "Paris", "London", "Madrid", "Milan", "New York", "Boston", "Houston",
    "Los Angeles", "Toronto", "Sydney", "Tokyo", "Seoul", "São Paulo", "Mumbai", "Cairo",
]  # fmt: skip
UNKNOWN_PLACES = [
    "zzqxv plorp", "Shanghia", "Berln", "Sao Pualo", "Heidelbreg", "Philadelfia", "Torotno",
    "Qqqqqqqqqqqqq", "santa maria de la san jose villa nueva del rio", "aaaaaaa", "Xerlin",
    "Mumbia", "Los Angelos", "Gunagzhou", "Tuebingen x", "klnx", "an an an an an an an an",
]  # fmt: skip
MONITOR_BROAD = {"Basket/Multidisease", "Other immune-mediated", "Unclassified"}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def readability(finder: Finder) -> None:
    grades = []
    for e in finder.store.entries.values():
        grades.append((finder.summary(e).grade, e.nct_id))
    values = [g for g, _ in grades]
    worst = max(grades)
    over = sum(g > 8 for g in values)
    print(
        f"readability (Flesch–Kincaid grade, {len(values)} trials): median "
        f"{statistics.median(values):.1f}, worst {worst[0]:.1f} ({worst[1]}), "
        f"above grade 8: {over}"
    )


def precision(finder: Finder) -> None:
    store = finder.store
    monitor_hits: list[float] = []
    family_hits: list[float] = []
    for e in store.entries.values():
        sims = finder.similar(e, 5)
        if not sims:
            continue
        mine = set(e.info.monitor_entities) - MONITOR_BROAD
        if mine:
            monitor_hits.append(
                sum(bool(mine & set(s.entry.info.monitor_entities)) for s in sims) / len(sims)
            )
        fam = set(e.families) - {"basket"}
        if fam:
            family_hits.append(sum(bool(fam & set(s.entry.families)) for s in sims) / len(sims))
    print(
        f"similar trials precision@5, same disease family: by the monitor's classification "
        f"{statistics.mean(monitor_hits):.3f} over {len(monitor_hits)} trials with a specific "
        f"entity; by the finder's families {statistics.mean(family_hits):.3f} over "
        f"{len(family_hits)} trials"
    )


def nearest(finder: Finder, n_origins: int) -> None:
    rng = random.Random(13)
    store = finder.store
    origins = [store.gazetteer.find(c).point for c in CITIES]
    origins += [Point(rng.uniform(-60, 70), rng.uniform(-180, 180)) for _ in range(n_origins)]
    entries = list(store.entries.values())
    per_trial: list[float] = []
    for o in origins:
        e = rng.choice(entries)
        t0 = time.perf_counter()
        e.sites_by_distance(o)
        per_trial.append((time.perf_counter() - t0) * 1000)
    search: list[float] = []
    for o in origins:
        t0 = time.perf_counter()
        store.search(FinderQuery(near=o, within_km=500))
        search.append((time.perf_counter() - t0) * 1000)
    geocode: list[float] = []
    for c in CITIES:
        t0 = time.perf_counter()
        store.gazetteer.find(c)
        geocode.append((time.perf_counter() - t0) * 1000)
    unknown: list[float] = []
    for q in UNKNOWN_PLACES:
        t0 = time.perf_counter()
        try:
            store.gazetteer.find(q)
        except PlaceNotFound:
            pass
        else:
            raise SystemExit(f"{q!r} was expected to be unknown")
        unknown.append((time.perf_counter() - t0) * 1000)
    n_sites = sum(len(e.trial.sites) for e in entries)
    print(
        f"nearest site ({len(origins)} origins): one trial's sites by distance p50 "
        f"{pct(per_trial, 50):.3f} ms, p95 {pct(per_trial, 95):.3f} ms; whole catalogue within "
        f"500 km ({len(entries)} trials, {n_sites} sites) p50 {pct(search, 50):.2f} ms, p95 "
        f"{pct(search, 95):.2f} ms; place lookup p95 {pct(geocode, 95):.3f} ms; unknown place "
        f"with suggestions ({len(unknown)} names) p50 {pct(unknown, 50):.1f} ms, p95 "
        f"{pct(unknown, 95):.1f} ms"
    )


def padded(snapshot: Snapshot, n: int) -> Snapshot:
    """The snapshot with copies of its trials (new NCT ids) until it holds ``n`` trials."""
    trials = dict(snapshot.trials)
    originals = list(snapshot.trials.values())
    i = 0
    while len(trials) < n:
        src = originals[i % len(originals)]
        nct = f"NCT9{len(trials):07d}"
        trials[nct] = replace(
            src, trial=src.trial.model_copy(update={"nct_id": nct})
        ) if isinstance(src, SnapshotTrial) else src  # fmt: skip
        i += 1
    return replace(snapshot, trials=trials)


def pages(n_trials: int) -> None:
    from fastapi.testclient import TestClient

    from cartrial.web.app import create_app
    from cartrial.web.finder_deps import get_finder
    from cartrial.web.settings import Settings

    protocols = load_protocols()
    finder = Finder(FinderStore(padded(load_snapshot(), n_trials), protocols))
    finder.warm()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'b.db'}",
            var_dir=Path(tmp) / "var",
            secret_key="bench-secret-key",
            admin_password="bench-password-1",
            seed_demo=False,
            gc_freeze=False,
        )
        app = create_app(settings, say=lambda _t: None)
        app.dependency_overrides[get_finder] = lambda: finder
        ids = list(finder.store.entries)
        with TestClient(app) as client:
            for nct in ids[:20]:  # warm templates and caches
                client.get(f"/trials/{nct}")
            times: list[float] = []
            for k, nct in enumerate(ids):
                params = {"near": CITIES[k % len(CITIES)]} if k % 2 else {}
                t0 = time.perf_counter()
                r = client.get(f"/trials/{nct}", params=params)
                times.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{nct}: HTTP {r.status_code}")
            t0 = time.perf_counter()
            client.get("/", params={"q": "lupus", "near": "Shanghai", "within_km": 500})
            catalogue = (time.perf_counter() - t0) * 1000
    print(
        f"trial page ({len(ids)} trials loaded, {len(times)} requests, half with near=): "
        f"p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms; "
        f"catalogue 'lupus within 500 km of Shanghai' {catalogue:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=400, help="trials loaded for the page timing")
    ap.add_argument("--origins", type=int, default=200, help="random origins for distances")
    args = ap.parse_args()
    t0 = time.perf_counter()
    finder = Finder(FinderStore(load_snapshot(), load_protocols()))
    finder.warm()
    print(
        f"snapshot {finder.info.date}: {len(finder.store.entries)} trials, loaded and indexed "
        f"(BM25, drafts) in {time.perf_counter() - t0:.2f} s"
    )
    readability(finder)
    precision(finder)
    nearest(finder, args.origins)
    pages(args.pages)


if __name__ == "__main__":
    main()
