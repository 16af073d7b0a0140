"""Search, distance order (sites without coordinates last, never dropped), similar trials."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cartrial.finder.build import build_snapshot, snapshot_bytes
from cartrial.finder.geo import EARTH_RADIUS_KM, Point
from cartrial.finder.similar import SimilarIndex
from cartrial.finder.snapshot import load_snapshot
from cartrial.finder.store import FinderQuery, FinderStore

SHANGHAI = Point(31.22222, 121.45806)


@pytest.fixture
def store(monitor_dir: Path, tmp_path: Path) -> FinderStore:
    path = tmp_path / "snap.json.gz"
    path.write_bytes(snapshot_bytes(build_snapshot(monitor_dir)))
    return FinderStore(load_snapshot(path))


def test_site_without_coordinates_is_listed_last_never_dropped(store: FinderStore) -> None:
    entry = store.get("NCT00000001")
    assert entry is not None
    near_beijing = entry.sites_by_distance(Point(39.9, 116.4))
    assert [s.site.facility for s in near_beijing] == [
        "Beijing Site",
        "Shanghai Site",
        "Nowhere Clinic",
    ]
    assert near_beijing[0].km is not None and near_beijing[0].km < 5
    assert near_beijing[-1].km is None and near_beijing[-1].miles is None
    # without a place: registry order, every site
    assert [s.site.facility for s in entry.sites_by_distance(None)] == [
        "Shanghai Site",
        "Nowhere Clinic",
        "Beijing Site",
    ]


def test_search_by_synonym_and_distance(store: FinderStore) -> None:
    found = store.search(FinderQuery(q="lupus", near=SHANGHAI, within_km=500))
    assert [e.nct_id for e, _ in found] == ["NCT00000001", "NCT00000002"]
    # Shanghai -> Hangzhou by the spherical law of cosines (an independent formula)
    a, b = map(math.radians, (31.22222, 30.29365))
    dlon = math.radians(120.16142 - 121.45806)
    expected = EARTH_RADIUS_KM * math.acos(
        math.sin(a) * math.sin(b) + math.cos(a) * math.cos(b) * math.cos(dlon)
    )
    assert found[0][1] == pytest.approx(0, abs=1e-6)
    assert found[1][1] == pytest.approx(expected, rel=1e-6)
    assert [e.nct_id for e, _ in store.search(FinderQuery(q="SLE"))] == [
        "NCT00000001",
        "NCT00000002",
    ]
    assert [e.nct_id for e, _ in store.search(FinderQuery(q="scleroderma"))] == ["NCT00000004"]
    far = store.search(FinderQuery(near=Point(50.9, 6.9), within_km=100))
    assert [e.nct_id for e, _ in far] == ["NCT00000003"]
    assert store.search(FinderQuery(condition="sle"))[0][0].nct_id == "NCT00000001"


def test_condition_page_groups_spellings(store: FinderStore) -> None:
    group = store.condition("sle")
    assert group is not None
    assert {e.nct_id for e in group.entries} == {"NCT00000001", "NCT00000002"}
    assert store.organizations["example-hospital"].entries


def test_similar_ranks_same_disease_and_target_first_and_says_why(store: FinderStore) -> None:
    sims = SimilarIndex(store).similar("NCT00000001", 3, origin=SHANGHAI)
    assert [s.entry.nct_id for s in sims][:2] == ["NCT00000002", "NCT00000004"]
    first = sims[0]
    assert "CD19" in first.reason and "lupus" in first.reason and "km away" in first.reason
    assert sims[0].score > sims[1].score
    assert "NCT00000001" not in [s.entry.nct_id for s in sims]
