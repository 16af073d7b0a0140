"""Recognition beyond the listed codes: instrument names, SNOMED CT descendants, ICD-10-CM
children, possible mentions in free text, UCUM annotation counts."""

from __future__ import annotations

import pytest

from cartrial import vocab
from cartrial.domain.errors import UnknownUnitError

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("mRSS", "mrss"),
        ("m.R.S.S.", "mrss"),
        ("Modified Rodnan Skin Score", "mrss"),
        ("SLEDAI-2K", "sledai_2k"),
        ("sledai 2k", "sledai_2k"),
        ("ESSDAI", "essdai"),
        ("EULAR Sjögren's syndrome disease activity index", "essdai"),
        ("66/68 swollen joint count", "swollen_joint_count_66"),
        ("TJC68", "tender_joint_count_68"),
        ("DAS28-CRP", "das28_crp"),
        ("DLCO % predicted", "dlco_pct_pred"),
    ],
)
def test_instrument_names_match_after_normalisation(text: str, key: str) -> None:
    assert vocab.instrument_by_name(text) == key


@pytest.mark.parametrize("text", ["DAS28", "CDAI", "PGA", "mRSS (modified)", "skin score", ""])
def test_ambiguous_or_unlisted_names_are_not_guessed(text: str) -> None:
    assert vocab.instrument_by_name(text) is None


def test_every_named_instrument_is_a_lab_concept() -> None:
    labs = vocab.concept_keys("labs")
    assert set(vocab.instrument_names()) <= labs


def test_snomed_descendant_and_icd_child() -> None:
    (ref,) = vocab.lookup_codes(SNOMED, "239791005")
    assert (ref.key, ref.match) == ("rheumatoid_arthritis", "snomed_descendant")
    assert vocab.hierarchy.snomed_ancestors("239791005") == {"rheumatoid_arthritis": "69896004"}
    assert vocab.lookup_codes(SNOMED, "44054006") == ()  # type 2 diabetes: not a concept here
    child = vocab.lookup_codes(ICD10CM, "Z94.841")
    assert [(r.key, r.match) for r in child] == [("hsct", "icd_descendant")]


def test_exact_code_wins_over_descendant() -> None:
    (ref,) = vocab.lookup_codes(SNOMED, "69896004")
    assert ref.match == "exact"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Epilepsy", {"epilepsy"}),
        ("History of seizures", {"epilepsy"}),
        ("Lupus nephritis class IV", {"sle", "lupus_nephritis"}),
        ("Ingrown toenail", set()),
        ("Sleep apnea", set()),
    ],
)
def test_mentions(text: str, expected: set[str]) -> None:
    assert set(vocab.mentions(text)) == expected


@pytest.mark.parametrize("unit", ["{#}", "1", "{points}", "{score}", "{count}", ""])
def test_annotation_units_are_dimensionless_counts_and_scores(unit: str) -> None:
    assert vocab.convert("mrss", 9, unit) == (9.0, "{score}")
    assert vocab.convert("swollen_joint_count_66", 4, unit) == (4.0, "{count}")


def test_a_titre_is_not_a_score() -> None:
    with pytest.raises(UnknownUnitError):
        vocab.convert("mrss", 9, "{titer}")
