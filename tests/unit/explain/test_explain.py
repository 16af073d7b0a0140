"""Explanations for people: limits stated whole, washouts with the drug and the clearing date,
every alternative of a failed "any of", missing data grouped by what to order."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cartrial.criteria.protocol import Protocol
from cartrial.criteria.serde import parse_protocol
from cartrial.evaluate import screen
from cartrial.explain import explain, flat
from cartrial.explain.names import concept_name, order_group, unit_display
from cartrial.explain.values import fmt_number, fmt_quantity, significant_figures
from tests.support.patients import AS_OF, ConditionRecord, MedicationExposure, obs, patient


def protocol(inclusion: list[dict[str, Any]], exclusion: list[dict[str, Any]] = ()) -> Protocol:  # type: ignore[assignment]
    return parse_protocol(
        {
            "schema_version": 1,
            "trial": {"nct_id": "NCT00000016", "title": "T"},
            "criteria": {"inclusion": list(inclusion), "exclusion": list(exclusion)},
        }
    )


CHILD_AGE = {"id": "inc-1", "kind": "age", "min_years": 5, "max_years": 18, "text": "5-18 years"}
ADULT_AGE = {"id": "inc-age", "kind": "age", "min_years": 18, "max_years": 65, "text": "18-65"}
HB = {
    "id": "inc-hb",
    "kind": "measurement",
    "concept": "hemoglobin",
    "comparator": ">=",
    "value": 85,
    "unit": "g/L",
    "text": "Hemoglobin ≥85 g/L",
}
STEROIDS = {
    "id": "exc-6",
    "kind": "medication",
    "classes": ["glucocorticoids"],
    "within": {"amount": 4, "unit": "weeks"},
    "text": "Systemic corticosteroids within 4 weeks before screening",
}
COHORTS = {
    "id": "inc-disease",
    "kind": "any_of",
    "text": "One of the disease cohorts",
    "items": [
        {"id": "inc-disease.sle", "kind": "condition", "concepts": ["sle"], "text": "SLE cohort"},
        {
            "id": "inc-disease.ssc",
            "kind": "all_of",
            "text": "SSc cohort",
            "items": [
                {
                    "id": "inc-disease.ssc.dx",
                    "kind": "condition",
                    "concepts": ["systemic_sclerosis"],
                },
                {
                    "id": "inc-disease.ssc.mrss",
                    "kind": "score",
                    "instrument": "mrss",
                    "comparator": ">=",
                    "value": 15,
                },
            ],
        },
    ],
}
LABS = [
    {
        "id": "inc-cr",
        "kind": "measurement",
        "concept": "creatinine",
        "comparator": "<=",
        "value": 1.5,
        "unit": "mg/dL",
        "text": "Cr ≤ 1.5 mg/dL",
    },
    {
        "id": "inc-lvef",
        "kind": "measurement",
        "concept": "lvef",
        "comparator": ">=",
        "value": 50,
        "unit": "%",
        "text": "LVEF ≥ 50%",
    },
    {
        "id": "inc-sledai",
        "kind": "score",
        "instrument": "sledai_2k",
        "comparator": ">=",
        "value": 6,
        "text": "SLEDAI-2K ≥ 6",
    },
    {
        "id": "inc-hcg",
        "kind": "serology",
        "concept": "hcg_serum_qual",
        "result": "negative",
        "lookback": {"amount": 7, "unit": "days"},
        "text": "negative serum hCG within 7 days",
    },
]


def test_age_limit_is_stated_whole() -> None:
    p = protocol([CHILD_AGE])
    res = screen(p, patient(birth_date=date(1992, 1, 10)), as_of=AS_OF)
    ex = explain(p, res)
    assert ex.verdict == "INELIGIBLE"
    assert ex.reasons[0].text == "age 34 — must be 5 to 18"
    assert ex.reason == "age 34 — must be 5 to 18"


def test_too_young_says_when_the_age_is_reached() -> None:
    p = protocol([ADULT_AGE])
    res = screen(p, patient(birth_date=date(2014, 4, 10)), as_of=AS_OF)
    text = explain(p, res).reasons[0].text
    assert text == "age 12 — must be 18 to 65 — turns 18 on 2032-04-10"


def test_washout_names_the_drug_the_dose_and_the_clearing_date() -> None:
    p = protocol([], [STEROIDS])
    pred = MedicationExposure(
        id="m1",
        concept="prednisone",
        drug_classes=("glucocorticoids",),
        start=date(2026, 8, 1),
        end=date(2026, 11, 10),
        daily_dose_mg=10,
    )
    res = screen(p, patient(medications=[pred]), as_of=AS_OF)
    ex = explain(p, res)
    assert ex.verdict == "INELIGIBLE"
    clears = date(2026, 11, 10) + timedelta(weeks=4)  # the last dose leaves the 4-week window
    assert ex.reasons[0].text == (
        "systemic corticosteroids within 4 weeks before screening: prednisone 10 mg/day, "
        f"last dose 2026-11-10 — clears on {res.earliest_eligible_date}"
    )
    assert res.earliest_eligible_date is not None
    assert abs((res.earliest_eligible_date - clears).days) <= 1
    assert ex.reasons[0].clears_on == res.earliest_eligible_date


def test_failed_any_of_lists_every_alternative_and_why() -> None:
    p = protocol([COHORTS])
    ra = ConditionRecord(
        id="c1", concept="rheumatoid_arthritis", active=True, onset=date(2015, 1, 1)
    )
    res = screen(p, patient(conditions=[ra]), as_of=AS_OF)
    ex = explain(p, res)
    (reason,) = ex.reasons
    assert reason.text == "none of the 2 alternatives is met"
    labels = [a.label for a in reason.alternatives]
    assert labels == ["SLE cohort", "SSc cohort"]
    sle, ssc = reason.alternatives
    assert [r.text for r in sle.reasons] == ["no systemic lupus erythematosus in the record"]
    # the SSc alternative fails on its diagnosis; the unknown mRSS does not decide it
    assert [r.text for r in ssc.reasons] == ["no systemic sclerosis in the record"]
    assert "SLE cohort — no systemic lupus erythematosus in the record" in flat(reason)


def test_lab_value_in_the_protocol_unit_with_the_report_beside() -> None:
    p = protocol([HB])
    hb = obs("hemoglobin", 7.6, "g/dL", AS_OF - timedelta(days=3))
    ex = explain(p, screen(p, patient(observations=[hb]), as_of=AS_OF))
    assert ex.reasons[0].text == (
        f"haemoglobin 76 g/L (reported 7.6 g/dL) on {(AS_OF - timedelta(days=3))} — must be ≥ 85 g/L"
    )


def test_missing_data_grouped_by_what_to_order_with_the_first_date_it_counts() -> None:
    p = protocol(LABS)
    res = screen(p, patient(), as_of=AS_OF)
    ex = explain(p, res)
    assert ex.verdict == "NEEDS_DATA"
    groups = {g.group: [(i.name, i.when) for i in g.items] for g in ex.missing}
    assert list(groups) == ["labs", "imaging", "scores"]
    start = (AS_OF - timedelta(days=28)).isoformat()
    assert groups["labs"] == [
        ("serum creatinine", f"on or after {start} (the 28-day screening window)"),
        ("serum hCG pregnancy test", "on or after 2026-11-15 (within 7 days before screening)"),
    ]
    assert groups["imaging"] == [
        (
            "left ventricular ejection fraction (LVEF)",
            f"on or after {start} (the 28-day screening window)",
        )
    ]
    assert groups["scores"][0][0] == "SLEDAI-2K"
    assert ex.reason.startswith("missing: serum creatinine, on or after")


def test_no_missing_data_for_a_trial_already_ineligible() -> None:
    p = protocol([CHILD_AGE, *LABS])
    res = screen(p, patient(), as_of=AS_OF)  # 46 years old: ineligible whatever the labs say
    assert res.missing  # the engine still knows what is unknown...
    ex = explain(p, res)
    assert ex.verdict == "INELIGIBLE"
    assert ex.missing == ()  # ...but it cannot change the verdict, so it is not listed
    assert "creatinine" not in ex.reason


def test_eligible_says_so_and_counts_items_to_confirm() -> None:
    consent = {"id": "inc-consent", "kind": "manual", "text": "Informed consent signed"}
    p = protocol([HB, consent])
    hb = obs("hemoglobin", 11.0, "g/dL", AS_OF - timedelta(days=2))
    ex = explain(p, screen(p, patient(observations=[hb]), as_of=AS_OF))
    assert ex.reason == "every computable criterion is met; 1 item for the investigator to confirm"
    assert [c.text for c in ex.to_confirm] == ["Informed consent signed"]


def test_names_and_units_are_human() -> None:
    assert concept_name("hcg_urine_qual") == "urine hCG pregnancy test"
    assert concept_name("fvc_pct_pred") == "FVC (% predicted)"
    assert concept_name("glucocorticoids") == "systemic corticosteroids"
    assert unit_display("mm[Hg]") == "mmHg"
    assert unit_display("{INR}") == "" and unit_display("{score}") == ""
    assert unit_display("10*9/L") == "× 10⁹/L"
    assert unit_display("umol/L") == "µmol/L"
    assert order_group("mpap") == "imaging"
    assert order_group("selena_sledai") == "scores"
    assert order_group("hbv_dna") == "labs"
    assert order_group("esrd") == "history"


def test_values_rounded_to_the_source_precision() -> None:
    assert significant_figures(62.0) == 2 and significant_figures("0.50") == 2
    assert significant_figures(3200.0) == 2 and significant_figures(7.25) == 3
    assert fmt_quantity(0.701754, "mg/dL", 62.0, "umol/L") == "0.70 mg/dL (reported 62 µmol/L)"
    assert fmt_quantity(1.1, "{INR}") == "1.1"
    assert fmt_quantity(34.0, "%") == "34%"
    assert fmt_number(3200, 2) == "3200"


def test_every_leaf_has_a_sentence_and_composites_a_tally() -> None:
    p = protocol([COHORTS])
    ra = ConditionRecord(
        id="c1", concept="rheumatoid_arthritis", active=True, onset=date(2015, 1, 1)
    )
    ex = explain(p, screen(p, patient(conditions=[ra]), as_of=AS_OF))
    assert ex.sentences["inc-disease"] == "0 of 2 met (one is enough)"
    assert ex.sentences["inc-disease.ssc"] == "0 of 2 met (all needed), 1 unknown"
    assert ex.sentences["inc-disease.ssc.mrss"].startswith(
        "no modified Rodnan skin score (mRSS) on or after"
    )
    assert ex.headline == (
        "none of the 2 alternatives is met: no systemic lupus erythematosus in the record; "
        "no systemic sclerosis in the record"
    )
