"""Composition rules: sentence ends before run-in list markers, a drug's own bracketed window,
waivers that are not allergies, washouts of other-trial participation; and the fast paths
(gates, grouped normaliser rules) agreeing with the plain rules they stand in front of."""

from __future__ import annotations

import importlib
import re

import pytest

from cartrial.criteria.nodes import ManualReview, MedicationHistory
from cartrial.criteria.walk import children
from cartrial.ingest.parse import lexicon, parse_eligibility
from cartrial.ingest.parse.normalize import normalize
from cartrial.ingest.parse.records import facts, node_records
from cartrial.ingest.parse.sections import clauses


def _leaves(text: str) -> list[object]:
    out: list[object] = []

    def walk(n: object) -> None:
        kids = children(n)  # type: ignore[arg-type]
        if not kids:
            out.append(n)
        for k in kids:
            walk(k)

    for c in parse_eligibility(text).criteria:
        walk(c.node)
    return out


def _facts(text: str) -> list[dict[str, object]]:
    return [f for rec in node_records(parse_eligibility(text)) for f in facts(rec)]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("kept stable for > 2 weeks. 5. Screening is positive", 2),
        ("unless contraindicated. 3.3 Worsening of nephritis", 2),
        ("Antimalarial drug. * Either mycophenolate", 2),
        ("a dose of 5. 10 mg was given", 1),  # a number after a full stop is no marker
        ("the 2019 EULAR/ACR criteria. 2019 was the year", 1),
    ],
)
def test_run_in_list_markers_end_a_sentence(text: str, pieces: int) -> None:
    assert len(clauses(text, 0, len(text))) == pieces


def test_a_bracket_after_a_drug_carries_its_window() -> None:
    text = (
        "Inclusion Criteria:\n* prior mycophenolate mofetil (administered for a minimum of "
        "3 months)"
    )
    meds = [n for n in _leaves(text) if isinstance(n, MedicationHistory)]
    assert meds and meds[0].drugs == ("mycophenolate_mofetil",)
    assert meds[0].min_duration is not None and meds[0].min_duration.amount == 3


def test_unless_contraindicated_is_not_an_allergy() -> None:
    text = (
        "Inclusion Criteria:\n* including cyclophosphamide and mycophenolate mofetil, unless "
        "contraindicated."
    )
    meds = [n for n in _leaves(text) if isinstance(n, MedicationHistory)]
    assert meds and set(meds[0].drugs) == {"cyclophosphamide", "mycophenolate_mofetil"}
    allergy = "Exclusion Criteria:\n* Contraindication to cyclophosphamide"
    assert not [n for n in _leaves(allergy) if isinstance(n, MedicationHistory)]


def test_washout_of_an_investigational_drug_is_kept_for_review() -> None:
    text = "Exclusion Criteria:\n* At least 2 weeks since prior investigational drugs"
    nodes = _leaves(text)
    assert all(isinstance(n, ManualReview) for n in nodes)
    windows = [f for f in _facts(text) if f["category"] == "window"]
    assert [(w["comparator"], w["value"], w["unit"], w["anchor"]) for w in windows] == [
        (">=", 2.0, "wk", "screening")
    ]


# ---------------------------------------------------------------- fast paths agree


_SAMPLES = [
    "Platelets >= 100 x 10⁹/L; ANC ≥ 1.5 × 10^9/L; WBC > 3 x 10³/µL; Hb 4 x 10^12/L",
    "AST and ALT less than or equal to 3 times the upper limit of normal (ULN)",
    "creatinine above the upper normal limit (UNL) &amp; bilirubin \\> 1.5 x ULN",
    "<!-- comment --> at least 3 weeks since prior chemotherapy; G/L 100 G/L",
]


def _plain_normalize(text: str) -> str:
    """The rules applied one by one from the left, without grouping or triggers."""
    mod = importlib.import_module("cartrial.ingest.parse.normalize")
    rx = re.compile(
        "|".join([*(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(mod._RULES)), mod._CHAR_CLASS]),
        re.IGNORECASE | re.DOTALL,
    )
    out: list[str] = []
    pos = 0
    source = text.translate(mod._ONE_TO_ONE)
    for m in rx.finditer(source):
        group = m.lastgroup
        assert group is not None
        if group == "ch":
            repl = mod._MULTI[m.group(0)]
        else:
            rule = mod._RULES[int(group[1:])][1]
            repl = rule if isinstance(rule, str) else rule(m)
        out.append(source[pos : m.start()] + repl)
        pos = m.end()
    out.append(source[pos:])
    return "".join(out)


@pytest.mark.parametrize("text", _SAMPLES)
def test_grouped_normaliser_equals_the_plain_rules(text: str) -> None:
    assert normalize(text).text == _plain_normalize(text)


@pytest.mark.parametrize("text", _SAMPLES)
def test_lexicon_gate_finds_what_the_per_table_scan_finds(text: str) -> None:
    tables = tuple(lexicon._REGISTRY)
    together = lexicon._scan(tables, text)
    for tid in tables:
        assert together[tid] == lexicon._scan((tid,), text)[tid]


def test_a_dose_bound_without_a_unit_is_not_read_as_any_exposure() -> None:
    text = "Exclusion Criteria:\n* hemodialysis, or prednisone ≥100 within 8 w"
    assert not [n for n in _leaves(text) if isinstance(n, MedicationHistory)]
    assert any(isinstance(n, ManualReview) and n.data_hint == "dose" for n in _leaves(text))
    with_unit = "Exclusion Criteria:\n* prednisone within 8 weeks"
    assert [n for n in _leaves(with_unit) if isinstance(n, MedicationHistory)]


def test_no_breastfeeding_for_months_after_treatment_keeps_the_forward_window() -> None:
    text = (
        "Inclusion Criteria:\n* no-breast-feeding during RTX treatment and in the 12 months "
        "following RTX treatment stop"
    )
    windows = [f for f in _facts(text) if f["category"] == "window"]
    assert [
        (w["concept"], w["value"], w["unit"], w["anchor"], w["direction"]) for w in windows
    ] == [(["breastfeeding"], 12.0, "mo", "last_dose", "after")]
    # without a forward period it stays a condition
    plain = "Exclusion Criteria:\n* Pregnant or breastfeeding women"
    assert not any(isinstance(n, ManualReview) for n in _leaves(plain))


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("Score ≥6 for SELENA-SLEDAI clinical symptoms", "clinical_sledai", 6.0),
        ("a score of at least 4 on the ESSDAI", "essdai", 4.0),
    ],
)
def test_score_value_before_the_instrument_name(text: str, key: str, value: float) -> None:
    got = [f for f in _facts("Inclusion Criteria:\n* " + text) if f["category"] == "threshold"]
    assert [(f["concept"], f["comparator"], f["value"]) for f in got] == [([key], ">=", value)]


def test_antibody_above_the_upper_normal_limit_is_a_uln_threshold() -> None:
    text = (
        "Inclusion Criteria:\n* anti-AChR antibody must be above the reference laboratory upper "
        "normal limit (UNL) and documented within the past 10 years of screening."
    )
    got = {(f["category"], f["comparator"], f["value"], f["unit"]) for f in _facts(text)}
    assert ("threshold", ">", 1.0, "xULN") in got
    assert ("window", "<=", 10.0, "a") in got


@pytest.mark.parametrize(
    ("text", "key", "cmp", "value"),
    [
        (
            "No peripheral neuropathy ≥ grade 2 within the past 14 days",
            "peripheral_neuropathy",
            ">=",
            2.0,
        ),
        ("grade 3 or higher CRS after a prior CAR T-cell product", "crs", ">=", 3.0),
        ("neurotoxicity grade > 1", "neurotoxicity", ">", 1.0),
    ],
)
def test_toxicity_grade_bounds(text: str, key: str, cmp: str, value: float) -> None:
    got = [f for f in _facts("Exclusion Criteria:\n* " + text) if f["category"] == "threshold"]
    assert [(f["concept"], f["comparator"], f["value"]) for f in got] == [
        ([f"{key}_grade"], cmp, value)
    ]


def test_a_grade_without_comparator_is_not_guessed() -> None:
    got = _facts("Exclusion Criteria:\n* grade 2 neuropathy")
    assert not [f for f in got if f["category"] == "threshold"]
