"""The snapshot build: same input, same bytes; nothing dropped; licence and date inside."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cartrial.domain.errors import DataError
from cartrial.finder.build import build_snapshot, snapshot_bytes
from cartrial.finder.snapshot import bundled_path, load_snapshot

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "research"
MONITOR = SHARED / "ptjeong-car-t-monitor-snapshot-2026-08-22"


def test_same_input_gives_the_same_bytes(monitor_dir: Path, tmp_path: Path) -> None:
    first = snapshot_bytes(build_snapshot(monitor_dir))
    second = snapshot_bytes(build_snapshot(monitor_dir))
    assert first == second
    # a changed input changes the file
    rows = (monitor_dir / "trials.csv").read_text(encoding="utf-8")
    (monitor_dir / "trials.csv").write_text(rows.replace("12", "13"), encoding="utf-8")
    assert snapshot_bytes(build_snapshot(monitor_dir)) != first


def test_snapshot_keeps_every_site_licence_and_date(monitor_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.json.gz"
    out.write_bytes(snapshot_bytes(build_snapshot(monitor_dir)))
    doc = json.loads(gzip.decompress(out.read_bytes()))
    assert doc["snapshot_date"] == "2026-08-22"
    assert "Copyright (c) 2026 Test Author" in doc["source"]["licence_text"]
    assert "2026-08-22" in doc["source"]["attribution"]
    snap = load_snapshot(out)
    one = snap.trials["NCT00000001"].trial
    assert [s.facility for s in one.sites] == ["Shanghai Site", "Nowhere Clinic", "Beijing Site"]
    assert one.sites[1].latitude is None and one.sites[1].longitude is None
    # the site of a trial the monitor excluded is not attached to anything
    assert "NCT09999999" not in snap.trials
    assert snap.info.counts["site_rows_of_excluded_trials"] == 1  # counted, not silently lost
    assert snap.trials["NCT00000002"].trial.sponsor == "Other & Partners"  # entity decoded
    assert snap.postal_codes["200001"][0] == "China"


def test_bad_coordinate_names_file_line_and_column(monitor_dir: Path) -> None:
    text = (monitor_dir / "sites.csv").read_text(encoding="utf-8")
    (monitor_dir / "sites.csv").write_text(text.replace("39.9075", "north"), encoding="utf-8")
    with pytest.raises(DataError) as err:
        build_snapshot(monitor_dir)
    message = str(err.value)
    assert "sites.csv line 4" in message and "Latitude" in message and "north" in message


def test_missing_licence_is_an_error(monitor_dir: Path) -> None:
    (monitor_dir / "LICENSE").unlink()
    with pytest.raises(DataError, match="LICENSE"):
        build_snapshot(monitor_dir)


@pytest.mark.shared
def test_bundled_snapshot_is_the_build_of_the_shared_snapshot() -> None:
    if not MONITOR.is_dir():
        pytest.skip(f"shared monitor snapshot not found at {MONITOR}")
    rebuilt = snapshot_bytes(build_snapshot(MONITOR, SHARED / "trials"))
    assert rebuilt == bundled_path().read_bytes(), (
        "the bundled finder snapshot differs from a rebuild: run scripts/build_finder_snapshot.py"
    )
    snap = load_snapshot()
    assert len(snap.trials) >= 315
    assert sum(len(t.trial.sites) for t in snap.trials.values()) >= 1271
    # every row of the monitor's site table is either attached or counted
    counts = snap.info.counts
    from_record_only = len(snap.trials["NCT06680388"].trial.sites)  # not in the monitor
    assert counts["sites"] - from_record_only + counts["site_rows_of_excluded_trials"] == 1682
