"""Node records (an Interpreter with one handler per node kind) and the facts they state."""

from __future__ import annotations

from cartrial.criteria.interpret import INTERPRETER_MODULES
from cartrial.criteria.nodes import NODE_TYPES
from cartrial.ingest.parse import parse_eligibility
from cartrial.ingest.parse.records import RECORD, facts, node_records


def _facts(text: str) -> list[tuple[object, ...]]:
    out = []
    for rec in node_records(parse_eligibility(text)):
        for f in facts(rec):
            out.append(
                (
                    f["category"],
                    tuple(f["concept"]),
                    f["comparator"],
                    f["value"],
                    f["unit"],
                    f.get("anchor"),
                    f.get("direction"),
                )
            )
    return out


def test_the_record_interpreter_is_complete_and_registered() -> None:
    assert RECORD.missing(NODE_TYPES) == []
    assert "cartrial.ingest.parse.records" in INTERPRETER_MODULES


def test_threshold_and_age_facts() -> None:
    got = _facts(
        "Inclusion Criteria:\n* Age 18-65 years\n* Platelets ≥ 50 × 10^9/L\n* ALT ≤ 3 × ULN"
    )
    assert ("age", ("age",), ">=", 18.0, "a", None, None) in got
    assert ("age", ("age",), "<=", 65.0, "a", None, None) in got
    assert ("threshold", ("platelets",), ">=", 50.0, "10*9/L", None, None) in got
    assert ("threshold", ("alt",), "<=", 3.0, "xULN", None, None) in got


def test_an_exclusion_pair_keeps_the_written_comparators() -> None:
    got = _facts("Exclusion Criteria:\n* BMI at Screening of ≤18.5 or ≥35 kg/m2")
    assert ("threshold", ("bmi",), "<=", 18.5, "kg/m2", None, None) in got
    assert ("threshold", ("bmi",), ">=", 35.0, "kg/m2", None, None) in got


def test_window_facts_carry_anchor_and_direction() -> None:
    got = _facts("Exclusion Criteria:\n* Use of rituximab within 6 months prior to randomization")
    assert ("window", ("rituximab",), "<=", 6.0, "mo", "randomization", "before") in got


def test_a_window_with_an_unknown_anchor_is_a_review_node_and_states_no_fact() -> None:
    result = parse_eligibility(
        "Exclusion Criteria:\n* Rituximab within 7 days before the laboratory test"
    )
    recs = node_records(result)
    assert [r["kind"] for r in recs] == ["manual"]
    assert "not an anchor the parser knows" in recs[0]["note"]
    assert [f for r in recs for f in facts(r)] == []


def test_a_dose_cap_is_a_review_node_with_the_dose_read() -> None:
    result = parse_eligibility("Inclusion Criteria:\n* Prednisone (or equivalent) ≤ 30 mg/day")
    recs = node_records(result)
    assert [r["kind"] for r in recs] == ["manual"]
    assert recs[0]["read_facts"][0]["comparator"] == "<="
    assert _facts("Inclusion Criteria:\n* Prednisone (or equivalent) ≤ 30 mg/day") == [
        ("dose", ("prednisone",), "<=", 30.0, "mg/d", None, None)
    ]


def test_a_per_drug_exception_inside_a_washout_list() -> None:
    got = _facts(
        "Exclusion Criteria:\n* Use of B-cell depleting therapy within 3 months "
        "(6 months for rituximab) prior to CAR T-cell infusion"
    )
    assert ("window", ("b_cell_depleting",), "<=", 3.0, "mo", "first_dose", "before") in got
    assert ("window", ("rituximab",), "<=", 6.0, "mo", "first_dose", "before") in got


def test_an_age_after_a_disease_is_no_disease_duration() -> None:
    got = _facts(
        "Inclusion Criteria:\n* Diagnosed with SLE, aged ≥18 years and ≤65 years at screening, "
        "fulfilling the 2019 EULAR/ACR criteria"
    )
    assert ("age", ("age",), ">=", 18.0, "a", None, None) in got
    assert ("age", ("age",), "<=", 65.0, "a", None, None) in got
    assert not [f for f in got if f[0] == "window"]


def test_the_anchor_of_a_window_is_not_read_as_a_concept() -> None:
    got = _facts(
        "Exclusion Criteria:\n* systemic corticosteroids 5 days before CAR T cell infusion"
    )
    assert all("car_t" not in "".join(f[1]) for f in got)


def test_changes_are_not_levels() -> None:
    assert _facts("Exclusion Criteria:\n* Creatinine increase > 0.5 mg/dL") == []
    assert _facts("Exclusion Criteria:\n* Creatinine > 0.5 mg/dL above upper limit of normal") == []


def test_a_ratio_is_not_its_denominator() -> None:
    got = _facts("Inclusion Criteria:\n* post bronchodilator FEV1/FVC >= 0.7")
    assert not [f for f in got if f[1] == ("fvc_pct_pred",)]


def test_joint_counts_out_of_a_total() -> None:
    got = _facts("Inclusion Criteria:\n* ≥ 6 of 66 swollen joints and ≥ 6 of 68 tender joints")
    assert ("threshold", ("swollen_joint_count_66",), ">=", 6.0, "", None, None) in got
    assert ("threshold", ("tender_joint_count_68",), ">=", 6.0, "", None, None) in got


def test_anti_smith_is_read() -> None:
    recs = node_records(parse_eligibility("Inclusion Criteria:\n* Positive anti-Sm antibody"))
    assert [(r["kind"], r["concept"], r["value"]) for r in recs] == [
        ("serology", "anti_sm", "positive")
    ]
