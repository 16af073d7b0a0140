"""A small monitor-style snapshot written by the tests (no shared data needed)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

TRIALS_HEADER = [
    "NCTId", "BriefTitle", "OverallStatus", "Phase", "Conditions", "Interventions", "StartDate",
    "LastUpdatePostDate", "EnrollmentCount", "EnrollmentType", "Countries", "BriefSummary",
    "LeadSponsor", "LeadSponsorClass", "MinAge", "MaxAge", "StdAges", "PrimaryEndpoints",
    "DiseaseEntities", "TrialDesign", "DiseaseEntity", "LLMOverride", "TargetCategory",
    "TargetSource", "ProductType", "ProductTypeSource", "ClassificationConfidence", "SponsorType",
    "AgeGroup", "ProductName", "StartYear", "SnapshotDate",
]  # fmt: skip
SITES_HEADER = [
    "NCTId", "BriefTitle", "OverallStatus", "Facility", "City", "State", "Zip", "Country",
    "SiteStatus", "Latitude", "Longitude",
]  # fmt: skip


def trial_row(nct: str, title: str, conditions: str, target: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(TRIALS_HEADER, "")
    row.update(
        NCTId=nct,
        BriefTitle=title,
        OverallStatus="RECRUITING",
        Phase="PHASE1",
        Conditions=conditions,
        Interventions="Fludarabine|Cyclophosphamide|" + title.split()[0],
        LastUpdatePostDate="2026-05-01",
        EnrollmentCount="12",
        LeadSponsor="Example Hospital",
        MinAge="18 Years",
        MaxAge="65 Years",
        PrimaryEndpoints="Incidence of adverse events within 28 days",
        TargetCategory=target,
        ProductType="Autologous",
        ProductName="exa-cel",
        SnapshotDate="2026-08-22",
        BriefSummary="Zebraword appears only in the registry summary.",
    )
    row.update(extra)
    return row


def write_monitor(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        trial_row("NCT00000001", "CD19 CAR-T in lupus", "SLE (Systemic Lupus)", "CD19"),
        trial_row(
            "NCT00000002",
            "CD19 CAR-T for lupus",
            "Systemic Lupus Erythematosus",
            "CD19",
            LeadSponsor="Other &amp; Partners",
        ),  # fmt: skip
        trial_row("NCT00000003", "BCMA CAR-T in myasthenia", "Myasthenia Gravis", "BCMA"),
        trial_row("NCT00000004", "CD19 CAR-T in scleroderma", "Systemic Sclerosis", "CD19"),
    ]
    with (folder / "trials.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=TRIALS_HEADER)
        w.writeheader()
        w.writerows(rows)
    sites = [
        # NCT00000001: Shanghai, a site without coordinates, Beijing
        ["NCT00000001", "", "", "Shanghai Site", "Shanghai", "", "200001", "China", "RECRUITING",
         "31.22222", "121.45806"],
        ["NCT00000001", "", "", "Nowhere Clinic", "Unknown", "", "", "China", "RECRUITING", "", ""],
        ["NCT00000001", "", "", "Beijing Site", "Beijing", "", "", "China", "RECRUITING",
         "39.9075", "116.39723"],
        ["NCT00000002", "", "", "Hangzhou Site", "Hangzhou", "", "", "China", "RECRUITING",
         "30.29365", "120.16142"],
        ["NCT00000003", "", "", "Köln Site", "Cologne", "", "50937", "Germany", "RECRUITING",
         "50.93333", "6.95"],
        ["NCT00000004", "", "", "Erlangen Site", "Erlangen", "", "", "Germany", "RECRUITING",
         "49.59099", "11.00783"],
        ["NCT09999999", "", "", "Excluded trial site", "Paris", "", "", "France", "", "48.8", "2.3"],
    ]  # fmt: skip
    with (folder / "sites.csv").open("w", newline="", encoding="utf-8") as fh:
        w2 = csv.writer(fh)
        w2.writerow(SITES_HEADER)
        w2.writerows(sites)
    (folder / "metadata.json").write_text(
        json.dumps({"snapshot_date": "2026-08-22", "n_trials": 4, "n_sites": 7})
    )
    (folder / "LICENSE").write_text("MIT License\n\nCopyright (c) 2026 Test Author\n")
    (folder / "SOURCE_COMMIT").write_text("0123456789abcdef\n")
    return folder


@pytest.fixture
def monitor_dir(tmp_path: Path) -> Path:
    return write_monitor(tmp_path / "monitor")
