"""Verdicts, decisive criteria, manual items, missing data and the earliest eligible date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.criteria.nodes import NODE_TYPES
from cartrial.criteria.serde import parse_criterion, parse_protocol
from cartrial.domain.patient import ImmunizationRecord, MedicationExposure
from cartrial.evaluate import EVALUATOR, Context, Truth, Verdict, evaluate_node, screen
from cartrial.evaluate.truth import all_of, any_of, at_least
from tests.support.patients import AS_OF, obs, patient


def protocol(inclusion: list[dict], exclusion: list[dict]):  # type: ignore[no-untyped-def]
    return parse_protocol(
        {
            "schema_version": 1,
            "trial": {"nct_id": "NCT00000002", "title": "T"},
            "criteria": {"inclusion": inclusion, "exclusion": exclusion},
        }
    )


AGE = {"id": "inc-age", "kind": "age", "min_years": 18, "max_years": 70, "text": "18-70 years old"}
HB = {
    "id": "inc-hb",
    "kind": "measurement",
    "concept": "hemoglobin",
    "comparator": ">=",
    "value": 85,
    "unit": "g/L",
    "text": "Hemoglobin≥85 g/L",
}
CONSENT = {"id": "inc-consent", "kind": "manual", "text": "Informed consent signed"}
VACC = {
    "id": "exc-vacc",
    "kind": "vaccine",
    "within": {"amount": 4, "unit": "weeks"},
    "text": "Received live vaccine within 4 weeks prior to screening",
}
IS = {
    "id": "exc-is",
    "kind": "medication",
    "classes": ["conventional_immunosuppressants"],
    "within": {"amount": 1, "unit": "weeks"},
    "text": "Received immunosuppressive therapy within 1 week prior to leukapheresis",
}
UNSUITABLE = {"id": "exc-other", "kind": "manual", "text": "Investigator believes unsuitable"}
P = protocol([AGE, HB, CONSENT], [VACC, IS, UNSUITABLE])
GOOD_HB = obs("hemoglobin", 11.0, "g/dL", AS_OF - timedelta(days=5))


def test_eligible_lists_manual_items() -> None:
    res = screen(P, patient(observations=[GOOD_HB]), as_of=AS_OF)
    assert res.verdict is Verdict.ELIGIBLE
    assert set(res.manual_review) == {"inc-consent", "exc-other"}
    assert res.decisive == ()
    by_id = {c.id: c for c in res.criteria}
    assert by_id["inc-consent"].outcome == "manual"
    assert by_id["exc-vacc"].outcome == "pass"


def test_needs_data_names_what_is_missing() -> None:
    res = screen(P, patient(), as_of=AS_OF)
    assert res.verdict is Verdict.NEEDS_DATA
    assert any("hemoglobin" in m for m in res.missing)


def test_ineligible_for_a_lab_has_no_window_date() -> None:
    res = screen(P, patient(observations=[obs("hemoglobin", 7.9, "g/dL", AS_OF)]), as_of=AS_OF)
    assert res.verdict is Verdict.INELIGIBLE
    assert res.decisive == ("inc-hb",)
    assert res.earliest_eligible_date is None


def test_only_windows_failing_reports_the_earliest_date() -> None:
    p = patient(
        observations=[GOOD_HB],
        immunizations=[
            ImmunizationRecord(id="v", concept="yellow_fever", date=date(2026, 11, 10), live=True)
        ],
        medications=[
            MedicationExposure(
                id="m",
                concept="azathioprine",
                drug_classes=("conventional_immunosuppressants",),
                start=date(2025, 1, 1),
                end=date(2026, 11, 20),
            )
        ],
    )
    res = screen(P, p, as_of=AS_OF)
    assert res.verdict is Verdict.INELIGIBLE
    assert set(res.decisive) == {"exc-vacc", "exc-is"}
    # vaccine 10 Nov + 4 weeks -> clear on 9 Dec; azathioprine 20 Nov + 1 week -> 28 Nov
    assert res.earliest_eligible_date == date(2026, 12, 9)
    later = screen(P, p, as_of=res.earliest_eligible_date)
    assert {"exc-vacc", "exc-is"}.isdisjoint(later.decisive)


def test_too_young_reports_birthday() -> None:
    res = screen(P, patient(birth_date=date(2009, 3, 1), observations=[GOOD_HB]), as_of=AS_OF)
    assert res.verdict is Verdict.INELIGIBLE
    assert res.earliest_eligible_date == date(2027, 3, 1)


def test_irrelevant_cohort_items_not_listed_as_manual_or_missing() -> None:
    cohorts = {
        "id": "inc-cohort",
        "kind": "any_of",
        "items": [
            {
                "id": "sle",
                "kind": "all_of",
                "items": [
                    {"id": "sle.dx", "kind": "condition", "concepts": ["sle"]},
                    {
                        "id": "sle.judge",
                        "kind": "manual",
                        "text": "SLE refractory per investigator",
                    },
                ],
            },
            {
                "id": "itp",
                "kind": "all_of",
                "items": [
                    {"id": "itp.dx", "kind": "condition", "concepts": ["itp"]},
                    {"id": "itp.judge", "kind": "manual", "text": "marrow morphology"},
                ],
            },
        ],
    }
    from cartrial.domain.patient import ConditionRecord

    res = screen(
        protocol([cohorts], []),
        patient(conditions=[ConditionRecord(id="c", concept="sle")]),
        as_of=AS_OF,
    )
    assert res.verdict is Verdict.ELIGIBLE
    assert res.manual_review == ("sle.judge",)


def test_every_node_type_has_an_evaluator_handler() -> None:
    missing = [t.__name__ for t in NODE_TYPES if t not in EVALUATOR.handled()]
    assert missing == []


# ---- property: composite evaluation equals Kleene logic over leaf truths

LEAVES: dict[Truth, dict[str, Any]] = {
    Truth.TRUE: {"kind": "age", "min_years": 18},
    Truth.FALSE: {"kind": "age", "min_years": 100},
    Truth.UNKNOWN: {"kind": "measurement", "concept": "alt", "comparator": "<=", "uln_multiple": 3},
}


def trees() -> st.SearchStrategy[tuple[dict[str, Any], Truth]]:
    leaf = st.sampled_from(list(LEAVES)).map(lambda t: (dict(LEAVES[t]), t))

    def extend(kids: st.SearchStrategy[tuple[dict[str, Any], Truth]]):  # type: ignore[no-untyped-def]
        lists = st.lists(kids, min_size=1, max_size=4)
        return st.one_of(
            lists.map(
                lambda ks: (
                    {"kind": "all_of", "items": [k[0] for k in ks]},
                    all_of(k[1] for k in ks),
                )
            ),
            lists.map(
                lambda ks: (
                    {"kind": "any_of", "items": [k[0] for k in ks]},
                    any_of(k[1] for k in ks),
                )
            ),
            kids.map(lambda k: ({"kind": "not", "item": k[0]}, ~k[1])),
            lists.flatmap(
                lambda ks: st.integers(1, len(ks)).map(
                    lambda n: (
                        {"kind": "at_least", "n": n, "items": [k[0] for k in ks]},
                        at_least(n, [k[1] for k in ks]),
                    )
                )
            ),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(trees())
def test_tree_evaluation_is_kleene(tree: tuple[dict[str, Any], Truth]) -> None:
    node, expected = tree
    res = evaluate_node(parse_criterion(node), Context(patient=patient(), as_of=AS_OF))
    assert res.status is expected
    negated = evaluate_node(
        parse_criterion({"kind": "not", "item": node}), Context(patient=patient(), as_of=AS_OF)
    )
    assert negated.status is ~expected


def test_missing_and_manual_lists_skip_criteria_that_cannot_change_the_answer() -> None:
    # exclusion gated on a cohort the patient is not in: all_of(condition ITP, manual, lab)
    gated = {
        "id": "exc-itp",
        "kind": "all_of",
        "items": [
            {"id": "exc-itp.dx", "kind": "condition", "concepts": ["itp"]},
            {"id": "exc-itp.judge", "kind": "manual", "text": "marrow failure"},
            {
                "id": "exc-itp.plt",
                "kind": "measurement",
                "concept": "platelets",
                "comparator": "<",
                "value": 20,
                "unit": "10*9/L",
            },
        ],
    }
    res = screen(protocol([HB], [gated]), patient(observations=[GOOD_HB]), as_of=AS_OF)
    assert res.verdict is Verdict.ELIGIBLE
    assert res.manual_review == ()
    assert res.missing == ()
    by_id = {c.id: c for c in res.criteria}
    assert by_id["exc-itp.dx"].relevant and not by_id["exc-itp.plt"].relevant


def test_failing_data_rescued_only_by_an_exception_is_reported() -> None:
    renal = {
        "id": "inc-renal",
        "kind": "any_of",
        "items": [
            {
                "id": "inc-renal.crcl",
                "kind": "measurement",
                "concept": "hemoglobin",
                "comparator": ">=",
                "value": 85,
                "unit": "g/L",
            },
            {"id": "inc-renal.except", "kind": "manual", "text": "except disease-induced decline"},
        ],
    }
    low = patient(observations=[obs("hemoglobin", 7.0, "g/dL", AS_OF)])
    res = screen(protocol([renal], []), low, as_of=AS_OF)
    assert res.verdict is Verdict.ELIGIBLE
    assert res.manual_review == ("inc-renal.except",)
    assert res.overridden_pending_review == ("inc-renal.crcl",)
    ok = screen(protocol([renal], []), patient(observations=[GOOD_HB]), as_of=AS_OF)
    assert ok.manual_review == () and ok.overridden_pending_review == ()


def test_no_earliest_date_when_a_passing_window_expires_before_it() -> None:
    from cartrial.domain.patient import ConditionRecord

    # inclusion: SLE diagnosed within the last 12 months; exclusion: live vaccine within 4 weeks.
    recent_dx = {
        "id": "inc-dx",
        "kind": "condition",
        "concepts": ["sle"],
        "onset_within": {"amount": 12, "unit": "months"},
    }
    p = patient(
        observations=[GOOD_HB],
        conditions=[ConditionRecord(id="c", concept="sle", onset=date(2025, 12, 1))],
        immunizations=[
            ImmunizationRecord(id="v", concept="mmr", date=date(2026, 11, 10), live=True)
        ],
    )
    # the vaccine clears on 9 Dec 2026, but the diagnosis leaves its 12-month window on 2 Dec
    res = screen(protocol([recent_dx], [VACC]), p, as_of=AS_OF)
    assert res.decisive == ("exc-vacc",)
    assert res.earliest_eligible_date is None
    # with an older vaccine (clears 1 Dec) the date stands
    p2 = p.model_copy(
        update={
            "immunizations": (
                ImmunizationRecord(id="v", concept="mmr", date=date(2026, 11, 2), live=True),
            )
        }
    )
    res2 = screen(protocol([recent_dx], [VACC]), p2, as_of=AS_OF)
    assert res2.earliest_eligible_date == date(2026, 12, 1)
