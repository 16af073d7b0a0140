"""One test per recognizer family (``ingest/parse/recognizers/<family>.py``) and the composition
rules of ``recognizers/__init__.py``: claims, joins by the sentence's own words, exceptions."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cartrial.criteria.nodes import (
    Age,
    AllOf,
    AnyOf,
    ConditionHistory,
    Criterion,
    Derived,
    ManualReview,
    Measurement,
    MedicationHistory,
    Not,
    Score,
    Serology,
    SexIs,
    Vaccination,
)
from cartrial.criteria.walk import children
from cartrial.domain.patient import Sex
from cartrial.ingest.parse import lexicon, node_records, parse_eligibility
from cartrial.ingest.parse.recognizers.common import IIM_RX
from cartrial.ingest.parse.records import facts


def _node(sentence: str, section: str = "Inclusion") -> Criterion:
    result = parse_eligibility(f"{section} Criteria:\n\n* {sentence}\n")
    assert len(result.criteria) == 1
    return result.criteria[0].node


def _facts(sentence: str, section: str = "Inclusion") -> list[tuple[Any, ...]]:
    result = parse_eligibility(f"{section} Criteria:\n\n* {sentence}\n")
    return [
        (f["category"], tuple(f["concept"]), f["comparator"], f["value"], f["unit"])
        for rec in node_records(result)
        for f in facts(rec)
    ]


# ---------------------------------------------------------------- thresholds, names, pairs


@pytest.mark.parametrize(
    ("sentence", "section", "group"),
    [
        ("AST and ALT ≤ 3 x ULN", "Inclusion", AllOf),  # both must hold
        ("AST or ALT ≤ 3 x ULN", "Inclusion", AnyOf),
        ("AST, ALT > 3 x ULN", "Exclusion", AnyOf),  # a bare list in an exclusion: any of
    ],
)
def test_a_list_of_names_shares_one_bound_joined_as_written(
    sentence: str, section: str, group: type
) -> None:
    node = _node(sentence, section)
    assert isinstance(node, group)
    assert [(m.concept, m.uln_multiple) for m in node.items if isinstance(m, Measurement)] == [
        ("ast", 3.0),
        ("alt", 3.0),
    ]


def test_an_exception_after_a_threshold_is_its_alternative_or_its_carve_out() -> None:
    inc = _node(
        "Total bilirubin ≤ 1.5 x ULN (except Gilbert's syndrome, total bilirubin ≤ 3 x ULN)"
    )
    assert isinstance(inc, AnyOf)
    assert isinstance(inc.items[0], Measurement) and inc.items[0].uln_multiple == 1.5
    exc = _node("Total bilirubin > 1.5 x ULN (except Gilbert's syndrome)", "Exclusion")
    assert isinstance(exc, AllOf) and isinstance(exc.items[1], Not)
    carved = exc.items[1].item
    assert isinstance(carved, ConditionHistory) and carved.concepts == ("gilbert_syndrome",)


def test_two_bounds_with_the_unit_written_once() -> None:
    assert _facts("BMI ≤ 18.5 or ≥ 35 kg/m2") == [
        ("threshold", ("bmi",), "<=", 18.5, "kg/m2"),
        ("threshold", ("bmi",), ">=", 35.0, "kg/m2"),
    ]
    assert isinstance(_node("BMI ≤ 18.5 or ≥ 35 kg/m2"), AnyOf)


def test_a_scale_set_from_zero_is_an_upper_bound() -> None:
    assert _facts("ECOG 0 or 1") == [("threshold", ("ecog",), "<=", 1.0, "")]


# ---------------------------------------------------------------- renal


@pytest.mark.parametrize(
    ("sentence", "calculator", "unit"),
    [
        ("eGFR ≥ 60 mL/min/1.73 m2", "egfr_ckd_epi_2021", "mL/min/{1.73_m2}"),
        ("Creatinine clearance ≥ 50 mL/min (Cockcroft-Gault)", "crcl_cockcroft_gault", "mL/min"),
    ],
)
def test_renal_function_names_its_calculator(sentence: str, calculator: str, unit: str) -> None:
    node = _node(sentence)
    assert isinstance(node, Derived) and (node.calculator, node.unit) == (calculator, unit)


def test_a_measured_clearance_is_not_a_calculator() -> None:
    node = _node("Creatinine clearance ≥ 50 mL/min measured by 24-hour urine collection")
    assert not any(isinstance(n, Derived) for n in _leaves(node))


# ---------------------------------------------------------------- scores


@pytest.mark.parametrize(
    ("sentence", "section", "instrument", "cmp", "value"),
    [
        ("≥ 6 of 66 swollen joints", "Inclusion", "swollen_joint_count_66", ">=", 6.0),
        ("A score of at least 4 on the ESSDAI", "Inclusion", "essdai", ">=", 4.0),
        ("Peripheral neuropathy ≥ grade 2", "Exclusion", "peripheral_neuropathy_grade", ">=", 2.0),
    ],
)
def test_scores_not_written_name_then_value(
    sentence: str, section: str, instrument: str, cmp: str, value: float
) -> None:
    node = _node(sentence, section)
    assert isinstance(node, Score)
    assert (node.instrument, node.comparator.value, node.value) == (instrument, cmp, value)


def test_bilag_counts_are_any_of_a_and_b() -> None:
    node = _node("At least one BILAG A or two BILAG B domain scores")
    assert isinstance(node, AnyOf)
    assert [(s.instrument, s.value) for s in node.items if isinstance(s, Score)] == [
        ("bilag_a_count", 1.0),
        ("bilag_b_count", 2.0),
    ]


# ---------------------------------------------------------------- classification, conditions


def test_classification_criteria_name_the_disease() -> None:
    node = _node("Meets the 2019 EULAR/ACR classification criteria for SLE")
    assert isinstance(node, ConditionHistory) and node.concepts == ("sle",)
    assert node.note is not None and "EULAR" in node.note


def test_a_disease_exception_is_read_as_and_not() -> None:
    node = _node(
        "History of malignancy within 5 years, except non-melanoma skin cancer", "Exclusion"
    )
    assert isinstance(node, AllOf)
    main, carve = node.items
    assert isinstance(main, ConditionHistory) and main.concepts == ("malignancy",)
    assert main.onset_within is not None and main.onset_within.amount == 5
    assert isinstance(carve, Not) and isinstance(carve.item, ConditionHistory)


def test_a_threshold_is_not_read_again_as_a_condition() -> None:
    """Claims: "lupus nephritis (creatinine > 2.5 mg/dL)" is defined by the test it names."""
    node = _node("Severe lupus nephritis (serum creatinine > 2.5 mg/dL)", "Exclusion")
    leaves = _leaves(node)
    assert any(isinstance(n, Measurement) and n.concept == "creatinine" for n in leaves)
    assert not any(isinstance(n, ConditionHistory) for n in leaves)


# ---------------------------------------------------------------- serology, reproductive


def test_a_viral_load_confirms_the_antigen_or_antibody() -> None:
    node = _node("HBsAg or anti-HBc positive and HBV DNA detectable", "Exclusion")
    assert isinstance(node, AllOf)
    first, dna = node.items
    assert isinstance(first, AnyOf) and isinstance(dna, Serology) and dna.concept == "hbv_dna"


def test_pregnancy_test_and_contraception() -> None:
    test = _node("Negative serum pregnancy test")
    assert isinstance(test, Serology) and (test.concept, test.result) == (
        "hcg_serum_qual",
        "negative",
    )
    agree = _node("Agree to use contraception for 12 months after the infusion")
    assert isinstance(agree, ManualReview) and agree.data_hint == "contraception"


# ---------------------------------------------------------------- prior therapy, medications


def test_prior_therapies_and_vaccines() -> None:
    targeted = _node("Prior CD19-targeted therapy", "Exclusion")
    assert isinstance(targeted, MedicationHistory) and targeted.classes == ("cd19_targeted",)
    vaccine = _node("Live vaccine within 4 weeks before screening", "Exclusion")
    assert isinstance(vaccine, Vaccination) and vaccine.live_only
    assert vaccine.within is not None and (vaccine.within.amount, vaccine.within.unit.value) == (
        4,
        "weeks",
    )


def test_a_minimum_daily_dose_belongs_to_its_drug() -> None:
    node = _node("Prednisone ≥ 10 mg/day")
    assert isinstance(node, MedicationHistory)
    assert (node.drugs, node.min_daily_dose_mg) == (("prednisone",), 10.0)


def test_a_per_drug_window_inside_a_washout_list() -> None:
    node = _node(
        "Treatment with cyclophosphamide, mycophenolate or tacrolimus within 3 months "
        "(6 months for rituximab)",
        "Exclusion",
    )
    assert isinstance(node, AnyOf)
    rest, own = node.items
    assert isinstance(rest, MedicationHistory) and isinstance(own, MedicationHistory)
    assert own.drugs == ("rituximab",) and own.within is not None and own.within.amount == 6
    assert rest.within is not None and rest.within.amount == 3


def test_a_washout_in_the_inclusion_list_is_not_within() -> None:
    node = _node("At least 4 weeks since prior rituximab")
    assert isinstance(node, Not) and isinstance(node.item, MedicationHistory)
    assert node.item.within is not None and node.item.within.amount == 4


# ---------------------------------------------------------------- demographics


def test_age_and_sex() -> None:
    age = _node("Aged 18 to 70 years")
    assert isinstance(age, Age) and (age.min_years, age.max_years) == (18, 70)
    sex = _node("Male or female")
    assert isinstance(sex, SexIs) and set(sex.allowed) == {Sex.FEMALE, Sex.MALE}


# ---------------------------------------------------------------- joins


@pytest.mark.parametrize(
    ("sentence", "section", "group"),
    [
        ("Hemoglobin < 8 g/dL or platelets < 50 x 10^9/L", "Exclusion", AnyOf),
        ("Hemoglobin ≥ 9 g/dL and platelets ≥ 100 x 10^9/L", "Inclusion", AllOf),
        # an exclusion sentence listing two facts: either excludes
        ("Hemoglobin < 8 g/dL; platelets < 50 x 10^9/L", "Exclusion", AnyOf),
    ],
)
def test_the_nodes_of_a_sentence_join_by_its_words(
    sentence: str, section: str, group: type
) -> None:
    node = _node(sentence, section)
    assert isinstance(node, group) and len(node.items) == 2


def _leaves(node: Criterion) -> list[Criterion]:
    kids = children(node)
    if not kids:
        return [node]
    return [leaf for k in kids for leaf in _leaves(k)]


@pytest.mark.parametrize(
    "text",
    [
        "Idiopathic inflammatory myopathies (IIM) including myositis; not iim; MYOSITIS",
        "inflammatory  myopathy and Myositis-specific antibodies",
        "no match here at all",
    ],
)
def test_the_gated_pattern_finds_what_the_plain_pattern_finds(text: str) -> None:
    plain = re.compile(lexicon.IIM_PATTERN, re.IGNORECASE)
    assert [m.span() for m in IIM_RX.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert IIM_RX.pattern.startswith("(?=[")  # the fast path is in place
