"""ClinicalTrials.gov API v2 study JSON -> Trial (fixtures written for these tests)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cartrial.domain.errors import DataError
from cartrial.ingest.ctgov import (
    CtgovError,
    eligibility_criteria,
    load_studies,
    load_trials,
    parse_age,
    parse_date,
    parse_page,
    study_to_trial,
)
from cartrial.ingest.store import TrialStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctgov"
REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_full_study_maps_every_module() -> None:
    (trial,) = load_trials(FIXTURES / "study_full.json")
    assert trial.nct_id == "NCT09000001"
    assert trial.title.startswith("A Phase 1/2 Open-Label Study")
    assert trial.brief_title is not None and trial.brief_title.startswith("Anti-CD19 CAR-T")
    assert trial.acronym == "EXCALIBUR-AI"
    assert trial.other_ids == ("CART-AI-001", "2099-000123-11")
    assert trial.status == "RECRUITING"
    assert trial.phases == ("PHASE1", "PHASE2")
    assert trial.study_type == "INTERVENTIONAL"
    assert (trial.enrollment, trial.enrollment_type) == (24, "ESTIMATED")
    assert trial.start_date == date(2025, 1, 15)
    assert trial.primary_completion_date == date(2026, 12, 1)
    assert trial.completion_date == date(2027, 1, 1)
    assert trial.last_updated == date(2025, 5, 3)
    assert trial.conditions == ("Systemic Lupus Erythematosus", "Systemic Sclerosis")
    assert trial.diseases == ("sle", "systemic_sclerosis")
    assert trial.keywords == ("CAR-T", "CD19", "autoimmune")
    assert trial.sponsor == "Example University Hospital"
    assert trial.collaborators == ("Example Cell Therapeutics",)
    assert trial.summary and "EXA-019" in trial.summary
    assert trial.description and "lymphodepletion" in trial.description
    assert trial.design == {
        "allocation": "NA",
        "interventionModel": "SINGLE_GROUP",
        "primaryPurpose": "TREATMENT",
        "masking": "NONE",
    }
    assert [a.label for a in trial.arms] == ["EXA-019"]
    assert trial.arms[0].interventions[0] == "Biological: EXA-019"
    assert trial.interventions == ("Fludarabine", "Cyclophosphamide", "EXA-019")
    assert trial.product == "EXA-019"
    assert trial.target_antigens == ("CD19",)
    assert trial.cell_type == "CAR-T"
    assert [e.measure for e in trial.primary_endpoints] == ["Incidence of dose-limiting toxicities"]
    assert trial.primary_endpoints[0].time_frame == "28 days after infusion"
    assert len(trial.secondary_endpoints) == 2
    assert (trial.min_age_years, trial.max_age_years) == (18.0, 65.0)
    assert trial.sex == "all"
    assert trial.healthy_volunteers is False
    assert trial.references[0].endswith("PMID: 00000001")
    assert trial.eligibility_text and trial.eligibility_text.startswith("Inclusion Criteria:")
    assert trial.source == "clinicaltrials.gov API v2"


def test_sites_carry_geopoint_and_first_contact() -> None:
    (trial,) = load_trials(FIXTURES / "study_full.json")
    first, second, third = trial.sites
    assert first.facility == "Example University Hospital"
    assert (first.city, first.state, first.country) == ("Erlangen", "Bavaria", "Germany")
    assert first.status == "RECRUITING"
    assert (first.latitude, first.longitude) == (49.59099, 11.00783)
    assert first.contact_name == "Dr. A. Example"
    assert first.contact_email == "a.example@example.org"
    assert first.contact_phone == "+49 9131 000000"
    assert (second.latitude, second.longitude) == (52.52437, 13.41053)
    assert third.latitude is None and third.longitude is None


def test_minimal_study_missing_modules_is_fine() -> None:
    trial = study_to_trial(_load("study_minimal.json"))
    assert trial.nct_id == "NCT09000002"
    assert trial.title == "CD19 CAR-NK Cells in Myasthenia Gravis"
    assert trial.sites == () and trial.arms == () and trial.phases == ()
    assert trial.status is None and trial.eligibility_text is None
    assert trial.diseases == ("myasthenia_gravis",)
    assert trial.cell_type == "CAR-NK" and trial.target_antigens == ("CD19",)


def test_wrong_types_are_skipped_not_guessed() -> None:
    trial = study_to_trial(_load("study_odd_types.json"))
    assert trial.nct_id == "NCT09000003"  # upper-cased
    assert trial.status is None  # statusModule was a list
    assert trial.phases == ()  # a string, not a list
    assert trial.enrollment is None  # "forty"
    assert trial.conditions == ("Immune Thrombocytopenia",)
    assert trial.diseases == ("itp",)
    assert trial.min_age_years is None  # "N/A"
    assert trial.max_age_years == 0.5
    assert trial.sex == "female"
    assert trial.eligibility_text is None  # a number is not criteria text
    assert len(trial.sites) == 1 and trial.sites[0].latitude is None
    assert trial.interventions == ()


def test_unknown_fields_are_ignored() -> None:
    doc = _load("study_minimal.json")
    doc["protocolSection"]["brandNewModule"] = {"x": [1, 2]}
    doc["someTopLevelThing"] = 1
    assert study_to_trial(doc).nct_id == "NCT09000002"


def test_list_page_and_bare_list() -> None:
    page = parse_page(_load("page_1.json"))
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in page.studies] == [
        "NCT09100001",
        "NCT09100002",
    ]
    assert page.next_page_token == "tok-page-2"
    assert page.total_count == 5
    last = parse_page(_load("page_3.json"))
    assert last.next_page_token is None and len(last.studies) == 1
    bare = parse_page([_load("study_minimal.json"), _load("study_full.json")])
    assert len(bare.studies) == 2
    single = parse_page(_load("study_full.json"))
    assert len(single.studies) == 1 and single.next_page_token is None


def test_load_trials_from_a_page_file() -> None:
    trials = load_trials(FIXTURES / "page_2.json")
    assert [t.nct_id for t in trials] == ["NCT09100003", "NCT09100004"]
    assert len(trials[0].sites) == 2
    assert trials[0].sites[1].city == "Beijing"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("study_no_nct.json", "study has no NCT id"),
        ("not_a_study.json", "no 'protocolSection' or 'studies'"),
        ("truncated.json", "not valid JSON"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(name: str, message: str) -> None:
    with pytest.raises(CtgovError) as info:
        load_trials(FIXTURES / name)
    text = str(info.value)
    assert name in text and message in text
    assert isinstance(info.value, DataError)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(CtgovError, match="cannot read"):
        load_studies(tmp_path / "nope.json")
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(CtgovError, match="file is empty"):
        load_studies(empty)
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42")
    with pytest.raises(CtgovError, match="top level is int"):
        load_studies(scalar)


def test_page_with_a_bad_entry_names_its_index() -> None:
    with pytest.raises(CtgovError, match=r"studies\[1\]"):
        parse_page({"studies": [_load("study_minimal.json"), {"nope": 1}]}, where="p.json")
    with pytest.raises(CtgovError, match="'studies' is not a list"):
        parse_page({"studies": {"a": 1}})


def test_malformed_nct_id() -> None:
    doc = {"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}
    with pytest.raises(CtgovError, match="malformed NCT id"):
        study_to_trial(doc, where="x.json")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-06-30", date(2024, 6, 30)),
        ("2024-06", date(2024, 6, 1)),
        ("2024", date(2024, 1, 1)),
        ("2024-13-01", None),
        ("June 2024", None),
        (None, None),
        (20240601, None),
    ],
)
def test_parse_date(raw: Any, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("18 Years", 18.0),
        ("6 Months", 0.5),
        ("1 Year", 1.0),
        ("2 Weeks", round(14 / 365.25, 4)),
        ("N/A", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_age(raw: Any, expected: float | None) -> None:
    assert parse_age(raw) == expected


def test_eligibility_criteria_helper() -> None:
    text = eligibility_criteria(_load("study_full.json"))
    assert text is not None and "Exclusion Criteria:" in text
    assert eligibility_criteria(_load("study_minimal.json")) is None


def test_store_round_trip_is_atomic(tmp_path: Path) -> None:
    store = TrialStore(tmp_path)
    study = _load("study_full.json")
    trial = study_to_trial(study)
    path = store.save(trial, study, imported_at="2025-06-01T10:00:00", source="study_full.json")
    assert path == tmp_path / "registry" / "NCT09000001.json"
    assert [p.name for p in path.parent.iterdir()] == ["NCT09000001.json"]  # no temp left
    back = store.load("nct09000001")
    assert back.trial == trial
    assert back.study["protocolSection"]["identificationModule"]["nctId"] == "NCT09000001"
    assert back.imported_at == "2025-06-01T10:00:00"
    assert store.ids() == ["NCT09000001"]
    with pytest.raises(DataError, match="no imported record for NCT00000000"):
        store.load("NCT00000000")


def _shared_jsons() -> list[Path]:
    found: list[Path] = []
    for sub in ("trials", "ctgov-v2-examples"):
        folder = SHARED / "research" / sub
        if folder.is_dir():
            found.extend(sorted(folder.glob("*.json")))
    return found


@pytest.mark.shared
def test_every_shared_research_record_imports_or_fails_clearly() -> None:
    if not (SHARED / "research").is_dir():
        pytest.skip(f"shared research folder not found at {SHARED / 'research'}")
    files = _shared_jsons()
    assert files, "no JSON under shared/research/trials or ctgov-v2-examples"
    imported = 0
    for path in files:
        try:
            trials = load_trials(path)
        except CtgovError as exc:
            # a failure must name the file and say what is wrong
            assert path.name in str(exc) and len(str(exc)) > len(str(path)) + 5
            continue
        for trial in trials:
            assert trial.nct_id.startswith("NCT") and trial.title
            assert all((s.latitude is None) == (s.longitude is None) for s in trial.sites)
        imported += len(trials)
    assert imported >= len(files) - 1
