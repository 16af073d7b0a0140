"""The vocabulary API: code lookup, concepts, drugs, vaccines, default ranges."""

from __future__ import annotations

import pytest

from cartrial import vocab
from cartrial.vocab import ConceptRef


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        ("http://loinc.org", "2160-0", ConceptRef("labs", "creatinine")),
        ("urn:oid:2.16.840.1.113883.6.1", "718-7", ConceptRef("labs", "hemoglobin")),
        ("LOINC", "6690-2", ConceptRef("labs", "wbc")),
        ("http://snomed.info/sct", "55464009", ConceptRef("conditions", "sle")),
        (
            "http://hl7.org/fhir/sid/icd-10-cm",
            "M32.14",
            ConceptRef("conditions", "lupus_nephritis"),
        ),
        ("http://hl7.org/fhir/sid/icd-10-cm", "M3214", ConceptRef("conditions", "lupus_nephritis")),
        (
            "http://www.nlm.nih.gov/research/umls/rxnorm",
            "6851",
            ConceptRef("medications", "methotrexate"),
        ),
        ("http://www.whocc.no/atc", "H02AB06", ConceptRef("medications", "prednisolone")),
        ("https://www.whocc.no/atc/", "l04ax03", ConceptRef("medications", "methotrexate")),
        ("http://hl7.org/fhir/sid/cvx", "03", ConceptRef("vaccines", "mmr")),
        ("http://snomed.info/sct", "234336002", ConceptRef("procedures", "hsct")),
    ],
)
def test_lookup_code_exact(system: str, code: str, expected: ConceptRef) -> None:
    ref = vocab.lookup_code(system, code)
    assert ref == expected
    assert ref is not None and ref.match == "exact"


def test_lookup_atc_falls_back_to_class_prefix() -> None:
    ref = vocab.lookup_code("http://www.whocc.no/atc", "H02AB99")
    assert ref == ConceptRef("atc_classes", "glucocorticoids_systemic")
    assert ref is not None and ref.match == "atc_prefix"


def test_lookup_icd_prefix_family() -> None:
    # M32.9 is listed, M32.0 (drug-induced SLE) only through the M32 family prefix
    assert vocab.lookup_code("http://hl7.org/fhir/sid/icd-10-cm", "M32.0") == ConceptRef(
        "conditions", "sle"
    )
    refs = vocab.lookup_codes("http://hl7.org/fhir/sid/icd-10-cm", "C44.91")
    assert [r.key for r in refs] == ["nmsc", "malignancy"]


def test_lookup_multiple_concepts_and_group_filter() -> None:
    refs = vocab.lookup_codes("http://hl7.org/fhir/sid/icd-10-cm", "Z99.2")
    assert {(r.group, r.key) for r in refs} == {
        ("conditions", "esrd"),
        ("procedures", "hemodialysis"),
    }
    only = vocab.lookup_code("http://hl7.org/fhir/sid/icd-10-cm", "Z99.2", groups=["procedures"])
    assert only == ConceptRef("procedures", "hemodialysis")


def test_lookup_unknown() -> None:
    assert vocab.lookup_code("http://loinc.org", "0000-0") is None
    assert vocab.lookup_code("http://example.org/local", "2160-0") is None
    assert vocab.lookup_code(None, "x") is None


def test_unverified_codes_are_not_shipped() -> None:
    # leukapheresis has no verified SNOMED code in the reference: no codes at all
    assert vocab.codes("procedures", "leukapheresis") == ()
    assert "leukapheresis" in vocab.concept_keys("procedures")


def test_concept_keys_and_display() -> None:
    assert "creatinine" in vocab.concept_keys("labs")
    assert "csDMARDs" in vocab.concept_keys("atc_class_groups")
    assert vocab.display("conditions", "sle") == "Systemic lupus erythematosus"
    with pytest.raises(KeyError):
        vocab.display("labs", "nope")
    with pytest.raises(KeyError):
        vocab.concept_keys("nope")


def test_lab_info() -> None:
    info = vocab.lab("creatinine")
    assert info.canonical_unit == "mg/dL"
    assert any(a.unit == "umol/L" for a in info.alternative_units)
    assert any(c.code == "2160-0" for c in info.codes)


def test_drug_classes() -> None:
    assert "csDMARDs" in vocab.drug("methotrexate").classes
    rtx = vocab.drug("rituximab")
    assert {"bDMARDs", "b_cell_depleting"} <= rtx.classes
    assert "anti_cd20" in rtx.atc_classes
    assert vocab.drug("prednisone").classes == frozenset({"glucocorticoids"})
    assert "prednisone" in vocab.drugs_in_class("glucocorticoids")
    assert "rituximab" in vocab.drugs_in_class("anti_cd20")
    assert vocab.drugs_in_class("csDMARDs") >= {"methotrexate", "leflunomide", "hydroxychloroquine"}
    with pytest.raises(KeyError):
        vocab.drugs_in_class("nope")


def test_glucocorticoid_factor_and_half_life() -> None:
    assert vocab.glucocorticoid_factor("prednisone") == 1.0
    assert vocab.glucocorticoid_factor("methylprednisolone") == 1.25
    assert vocab.glucocorticoid_factor("methotrexate") is None
    hl = vocab.half_life_days("belimumab")
    assert hl is not None and hl.days == 19.4 and hl.checked and hl.five_half_lives_days == 97.0
    assert vocab.half_life_days("prednisolone") is not None  # "prednisone/prednisolone" alias
    assert vocab.half_life_days("mycophenolate_mofetil") is not None
    assert vocab.half_life_days("nope") is None


def test_vaccine_live() -> None:
    assert vocab.vaccine_is_live("mmr") is True
    assert vocab.vaccine_is_live("zoster_recombinant") is False
    assert vocab.vaccine_is_live("influenza_unspecified") is None
    assert vocab.vaccine_is_live("smallpox_mpox_nonreplicating") is None


REQUIRED_RANGES = [
    "alt",
    "ast",
    "bilirubin_total",
    "creatinine",
    "inr",
    "prothrombin_time",
    "creatine_kinase",
    "aldolase",
    "hbv_dna",
    "hcv_rna",
    "crp",
    "esr",
]


@pytest.mark.parametrize("key", REQUIRED_RANGES)
def test_default_ranges_documented(key: str) -> None:
    rng = vocab.default_range(key)
    assert rng is not None
    low, high, source = rng
    assert high is not None
    assert low is None or low < high
    assert "confirm against the site laboratory" in source


def test_default_range_absent() -> None:
    assert vocab.default_range("sledai_2k") is None
