"""Composition rules for therapy counts and doses (``ingest/parse/therapy.py``)."""

from __future__ import annotations

from cartrial.criteria.nodes import ManualReview, MedicationHistory
from cartrial.criteria.walk import children
from cartrial.ingest.parse import parse_eligibility


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


def test_failed_at_least_two_immunosuppressants_is_a_count() -> None:
    nodes = _leaves("Inclusion Criteria:\n* Have failed at least two immunosuppressants")
    meds = [n for n in nodes if isinstance(n, MedicationHistory)]
    assert meds and meds[0].min_distinct == 2
    assert meds[0].classes == ("conventional_immunosuppressants",)
    assert meds[0].outcome == "failure_or_intolerance"


def test_two_or_more_of_the_following_drugs() -> None:
    nodes = _leaves(
        "Inclusion Criteria:\n* any two or more of the following immunomodulatory drugs: "
        "cyclophosphamide, azathioprine, methotrexate"
    )
    assert any(isinstance(n, MedicationHistory) and n.min_distinct == 2 for n in nodes)


def test_a_maximum_count_of_regimens_is_kept_for_review() -> None:
    nodes = _leaves("Inclusion Criteria:\n* Maximum of 4 previous treatment regimens")
    assert len(nodes) == 1 and isinstance(nodes[0], ManualReview)
    assert "<= 4" in (nodes[0].note or "")


def test_a_minimum_daily_dose_is_computable() -> None:
    nodes = _leaves("Inclusion Criteria:\n* azathioprine (minimum daily dose of 1.5 mg/kg)")
    meds = [n for n in nodes if isinstance(n, MedicationHistory)]
    assert meds and meds[0].drugs == ("azathioprine",) and meds[0].min_dose_mg_per_kg_day == 1.5


def test_a_strict_dose_is_not_read_as_its_neighbour() -> None:
    nodes = _leaves("Exclusion Criteria:\n* Patients who have taken more than 20mg/d of prednisone")
    assert not any(isinstance(n, MedicationHistory) and n.min_daily_dose_mg == 20 for n in nodes)
    assert any(isinstance(n, ManualReview) and "> 20" in (n.note or "") for n in nodes)


def test_each_dose_of_a_list_keeps_its_own_unit() -> None:
    text = (
        "Inclusion Criteria:\n* Stable doses of azathioprine (≤ 2 mg/kg/day), methotrexate "
        "(≤ 25 mg/week) or mycophenolate mofetil (≤ 3 g/day)"
    )
    notes = [n.note or "" for n in _leaves(text) if isinstance(n, ManualReview)]
    assert any("azathioprine <= 2 mg/kg/d" in n for n in notes)
    assert any("methotrexate <= 25 mg/wk" in n for n in notes)
    assert any("mycophenolate_mofetil <= 3 g/d" in n for n in notes)


def test_one_dose_is_not_spread_over_a_drug_list() -> None:
    nodes = _leaves(
        "Inclusion Criteria:\n* use of glucocorticoid (more than 1mg/kg/d) and any two of: "
        "cyclophosphamide, mycophenolate mofetil, azathioprine"
    )
    assert not any(
        isinstance(n, MedicationHistory)
        and n.min_dose_mg_per_kg_day
        and "cyclophosphamide" in n.drugs
        for n in nodes
    )
