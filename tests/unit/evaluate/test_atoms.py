"""Each atom's three-valued evaluation, evidence and flip dates, on synthetic patients."""

from __future__ import annotations

from datetime import date, timedelta

from cartrial.criteria.serde import parse_criterion
from cartrial.domain.patient import (
    ConditionRecord,
    ImmunizationRecord,
    MedicationExposure,
    ProcedureRecord,
    Sex,
)
from cartrial.evaluate import Context, Truth, evaluate_node
from tests.support.patients import AS_OF, obs, patient


def ev(node: dict, p, *, favourable: bool = True):  # type: ignore[no-untyped-def]
    return evaluate_node(
        parse_criterion(node), Context(patient=p, as_of=AS_OF, favourable=favourable)
    )


HB = {
    "id": "hb",
    "kind": "measurement",
    "concept": "hemoglobin",
    "comparator": ">=",
    "value": 85,
    "unit": "g/L",
}


def test_absolute_threshold_converted_to_canonical_unit() -> None:
    ok = ev(HB, patient(observations=[obs("hemoglobin", 9.0, "g/dL", AS_OF - timedelta(days=3))]))
    assert ok.status is Truth.TRUE
    assert ok.evidence[0].threshold == 8.5
    low = ev(HB, patient(observations=[obs("hemoglobin", 8.4, "g/dL", AS_OF - timedelta(days=3))]))
    assert low.status is Truth.FALSE
    edge = ev(HB, patient(observations=[obs("hemoglobin", 8.5, "g/dL", AS_OF)]))
    assert edge.status is Truth.TRUE  # >= is inclusive


def test_latest_value_inside_window_wins() -> None:
    p = patient(
        observations=[
            obs("hemoglobin", 7.0, "g/dL", AS_OF - timedelta(days=20), id="old"),
            obs("hemoglobin", 10.0, "g/dL", AS_OF - timedelta(days=2), id="new"),
        ]
    )
    res = ev(HB, p)
    assert res.status is Truth.TRUE
    assert res.evidence[0].resource == "Observation/new"


def test_stale_or_absent_value_is_unknown_and_says_what_is_missing() -> None:
    stale = ev(
        HB, patient(observations=[obs("hemoglobin", 12.0, "g/dL", AS_OF - timedelta(days=40))])
    )
    assert stale.status is Truth.UNKNOWN
    assert "too old" in stale.missing[0]
    assert "2026-10-25" in stale.missing[0]  # 28-day screening window
    absent = ev(HB, patient())
    assert absent.status is Truth.UNKNOWN
    assert "hemoglobin" in absent.missing[0]


def test_future_values_are_ignored() -> None:
    res = ev(HB, patient(observations=[obs("hemoglobin", 12.0, "g/dL", AS_OF + timedelta(days=1))]))
    assert res.status is Truth.UNKNOWN


def test_uln_multiple_uses_reference_range_then_default() -> None:
    node = {
        "id": "alt",
        "kind": "measurement",
        "concept": "alt",
        "comparator": "<=",
        "uln_multiple": 3,
    }
    own = ev(node, patient(observations=[obs("alt", 100, "U/L", AS_OF, ref_high=35)]))
    assert own.status is Truth.TRUE  # 100 <= 105
    assert own.evidence[0].uln == 35
    assert own.evidence[0].uln_source == "reference range on the result"
    high = ev(node, patient(observations=[obs("alt", 106, "U/L", AS_OF, ref_high=35)]))
    assert high.status is Truth.FALSE
    default = ev(node, patient(observations=[obs("alt", 60, "U/L", AS_OF)]))
    assert default.status in (Truth.TRUE, Truth.FALSE)
    assert default.evidence[0].uln_source and default.evidence[0].uln_source.startswith("default")


def test_crcl_computed_through_calculator_with_inputs_in_evidence() -> None:
    node = {
        "id": "crcl",
        "kind": "derived",
        "calculator": "crcl_cockcroft_gault",
        "comparator": ">=",
        "value": 30,
        "unit": "mL/min",
    }
    # 46-year-old woman (born 1980-05-01), 60 kg, SCr 1.0 mg/dL:
    # (140-46)*60/(72*1.0)*0.85 = 66.58 mL/min (Cockcroft & Gault 1976)
    p = patient(
        observations=[obs("creatinine", 1.0, "mg/dL", AS_OF), obs("body_weight", 60, "kg", AS_OF)]
    )
    res = ev(node, p)
    assert res.status is Truth.TRUE
    calc = res.evidence[-1]
    assert abs(float(calc.value) - 66.58) < 0.05  # type: ignore[arg-type]
    assert calc.inputs["weight_kg"] == 60
    missing = ev(node, patient(observations=[obs("creatinine", 1.0, "mg/dL", AS_OF)]))
    assert missing.status is Truth.UNKNOWN
    assert any("body weight" in m for m in missing.missing)


def test_reported_egfr_accepted() -> None:
    node = {
        "id": "egfr",
        "kind": "derived",
        "calculator": "egfr_ckd_epi_2021",
        "comparator": ">=",
        "value": 30,
        "unit": "mL/min/{1.73_m2}",
    }
    res = ev(node, patient(observations=[obs("egfr_ckd_epi_2021", 25, "mL/min/{1.73_m2}", AS_OF)]))
    assert res.status is Truth.FALSE


def test_condition_history_absent_is_false_and_onset_windows() -> None:
    node = {
        "id": "dx",
        "kind": "condition",
        "concepts": ["sle"],
        "onset_at_least": {"amount": 6, "unit": "months"},
    }
    assert ev(node, patient()).status is Truth.FALSE
    recent = ev(
        node, patient(conditions=[ConditionRecord(id="c1", concept="sle", onset=date(2026, 9, 1))])
    )
    assert recent.status is Truth.FALSE
    assert recent.flips_on == date(2027, 3, 1)
    old = ev(
        node, patient(conditions=[ConditionRecord(id="c1", concept="sle", onset=date(2020, 1, 1))])
    )
    assert old.status is Truth.TRUE
    undated = ev(node, patient(conditions=[ConditionRecord(id="c1", concept="sle")]))
    assert undated.status is Truth.UNKNOWN


def test_malignancy_within_five_years() -> None:
    node = {
        "id": "ca",
        "kind": "condition",
        "concepts": ["malignancy"],
        "onset_within": {"amount": 5, "unit": "years"},
    }
    p = patient(
        conditions=[
            ConditionRecord(id="m", concept="malignancy", onset=date(2023, 6, 1), active=False)
        ]
    )
    res = ev(node, p, favourable=False)
    assert res.status is Truth.TRUE
    assert res.flips_on == date(2028, 6, 2)
    old = patient(
        conditions=[ConditionRecord(id="m", concept="malignancy", onset=date(2019, 6, 1))]
    )
    assert ev(node, old).status is Truth.FALSE


STEROID_WASHOUT = {
    "id": "gc",
    "kind": "medication",
    "classes": ["glucocorticoids"],
    "exclude_routes": ["inhal"],
    "within": {"amount": 4, "unit": "weeks"},
}


def test_washout_window_and_when_it_ends() -> None:
    p = patient(
        medications=[
            MedicationExposure(
                id="m1",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=date(2026, 1, 1),
                end=date(2026, 11, 1),
                daily_dose_mg=10,
            )
        ]
    )
    res = ev(STEROID_WASHOUT, p, favourable=False)
    assert res.status is Truth.TRUE
    assert res.flips_on == date(2026, 11, 30)  # last dose 1 Nov + 28 days, then one more day
    inhaled = patient(
        medications=[
            MedicationExposure(
                id="m1",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                route="inhalation",
                start=date(2026, 1, 1),
                end=date(2026, 11, 1),
            )
        ]
    )
    assert ev(STEROID_WASHOUT, inhaled).status is Truth.FALSE
    ongoing = patient(
        medications=[
            MedicationExposure(
                id="m1",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=date(2026, 1, 1),
                ongoing=True,
            )
        ]
    )
    res2 = ev(STEROID_WASHOUT, ongoing)
    assert res2.status is Truth.TRUE and res2.flips_on is None


def test_unknown_end_date_is_unknown() -> None:
    p = patient(
        medications=[
            MedicationExposure(
                id="m1",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=date(2026, 1, 1),
                status="unknown",
            )
        ]
    )
    res = ev(STEROID_WASHOUT, p)
    assert res.status is Truth.UNKNOWN
    assert "end date" in res.missing[0]


def test_five_half_lives_uses_each_drugs_half_life() -> None:
    node = {
        "id": "hl",
        "kind": "medication",
        "drugs": ["belimumab"],
        "within": {"amount": 5, "unit": "half_lives"},
    }
    # belimumab t1/2 19.4 d -> 97 days (vocabulary elimination_half_lives)
    inside = patient(
        medications=[
            MedicationExposure(
                id="b", concept="belimumab", start=date(2025, 1, 1), end=date(2026, 9, 1)
            )
        ]
    )
    res = ev(node, inside)
    assert res.status is Truth.TRUE
    assert res.flips_on == date(2026, 9, 1) + timedelta(days=98)
    outside = patient(
        medications=[
            MedicationExposure(
                id="b", concept="belimumab", start=date(2025, 1, 1), end=date(2026, 8, 1)
            )
        ]
    )
    assert ev(node, outside).status is Truth.FALSE


def test_refractory_by_status_reason_or_duration_with_active_disease() -> None:
    node = {
        "id": "ref",
        "kind": "medication",
        "drugs": ["mycophenolate_mofetil", "azathioprine"],
        "outcome": "failure_or_intolerance",
        "min_duration": {"amount": 6, "unit": "months"},
        "active_disease": ["sle"],
    }
    by_reason = patient(
        medications=[
            MedicationExposure(
                id="a",
                concept="azathioprine",
                start=date(2026, 1, 1),
                end=date(2026, 2, 1),
                outcome="intolerance",
            )
        ]
    )
    assert ev(node, by_reason).status is Truth.TRUE
    long_active = patient(
        conditions=[ConditionRecord(id="c", concept="sle", onset=date(2018, 1, 1))],
        medications=[
            MedicationExposure(
                id="m",
                concept="mycophenolate_mofetil",
                start=date(2025, 1, 1),
                end=date(2025, 9, 1),
            )
        ],
    )
    assert ev(node, long_active).status is Truth.TRUE
    short = patient(
        conditions=[ConditionRecord(id="c", concept="sle", onset=date(2018, 1, 1))],
        medications=[
            MedicationExposure(
                id="m",
                concept="mycophenolate_mofetil",
                start=date(2025, 1, 1),
                end=date(2025, 3, 1),
            )
        ],
    )
    assert ev(node, short).status is Truth.FALSE


def test_distinct_agents_counted() -> None:
    node = {
        "id": "b",
        "kind": "medication",
        "classes": ["bDMARDs", "tsDMARDs"],
        "min_distinct": 2,
        "outcome": "failure_or_intolerance",
    }
    one = patient(
        medications=[
            MedicationExposure(
                id="a", concept="adalimumab", drug_classes=("bDMARDs",), outcome="failure"
            )
        ]
    )
    assert ev(node, one).status is Truth.FALSE
    two = patient(
        medications=[
            MedicationExposure(
                id="a", concept="adalimumab", drug_classes=("bDMARDs",), outcome="failure"
            ),
            MedicationExposure(
                id="t", concept="tofacitinib", drug_classes=("tsDMARDs",), outcome="failure"
            ),
        ]
    )
    assert ev(node, two).status is Truth.TRUE


def test_prednisone_equivalent_dose_per_kg() -> None:
    node = {
        "id": "gc",
        "kind": "medication",
        "classes": ["glucocorticoids"],
        "min_dose_mg_per_kg_day": 0.5,
    }
    # methylprednisolone 32 mg/day x 1.25 = 40 mg prednisone-equivalent; 60 kg -> 0.667 mg/kg/day
    p = patient(
        observations=[obs("body_weight", 60, "kg", AS_OF)],
        medications=[
            MedicationExposure(
                id="m",
                concept="methylprednisolone",
                drug_classes=("glucocorticoids",),
                start=date(2025, 1, 1),
                end=date(2025, 6, 1),
                daily_dose_mg=32,
            )
        ],
    )
    assert ev(node, p).status is Truth.TRUE
    low = patient(
        observations=[obs("body_weight", 90, "kg", AS_OF)],
        medications=[
            MedicationExposure(
                id="m",
                concept="methylprednisolone",
                drug_classes=("glucocorticoids",),
                daily_dose_mg=32,
            )
        ],
    )
    assert ev(node, low).status is Truth.FALSE  # 40/90 = 0.44
    no_weight = patient(
        medications=[
            MedicationExposure(
                id="m", concept="prednisone", drug_classes=("glucocorticoids",), daily_dose_mg=40
            )
        ]
    )
    assert ev(node, no_weight).status is Truth.UNKNOWN


def test_live_vaccine_window() -> None:
    node = {
        "id": "v",
        "kind": "vaccine",
        "live_only": True,
        "within": {"amount": 4, "unit": "weeks"},
    }
    p = patient(
        immunizations=[ImmunizationRecord(id="i", concept="mmr", date=date(2026, 11, 8), live=True)]
    )
    res = ev(node, p, favourable=False)
    assert res.status is Truth.TRUE
    assert res.flips_on == date(2026, 12, 7)
    flu = patient(
        immunizations=[
            ImmunizationRecord(
                id="i", concept="influenza_inactivated", date=date(2026, 11, 8), live=False
            )
        ]
    )
    assert ev(node, flu).status is Truth.FALSE


def test_procedure_window() -> None:
    node = {
        "id": "tx",
        "kind": "procedure",
        "concepts": ["hsct", "solid_organ_transplant"],
        "within": {"amount": 3, "unit": "months"},
    }
    p = patient(procedures=[ProcedureRecord(id="x", concept="hsct", date=date(2026, 10, 1))])
    assert ev(node, p).status is Truth.TRUE
    old = patient(procedures=[ProcedureRecord(id="x", concept="hsct", date=date(2026, 1, 1))])
    assert ev(node, old).status is Truth.FALSE


def test_serology_positive_negative_and_numeric() -> None:
    node = {"id": "s", "kind": "serology", "concept": "hbsag", "result": "positive"}
    pos = patient(observations=[obs("hbsag", None, None, AS_OF, result="positive")])
    assert ev(node, pos).status is Truth.TRUE
    neg = patient(observations=[obs("hbsag", None, None, AS_OF, result="negative")])
    assert ev(node, neg).status is Truth.FALSE
    assert ev(node, patient()).status is Truth.UNKNOWN
    dna = {"id": "d", "kind": "serology", "concept": "hbv_dna", "result": "positive"}
    above = patient(observations=[obs("hbv_dna", 500, "[IU]/mL", AS_OF, ref_high=20)])
    assert ev(dna, above).status is Truth.TRUE


def test_age_bounds_and_birthday_flip() -> None:
    node = {"id": "age", "kind": "age", "min_years": 18, "max_years": 65}
    teen = patient(birth_date=date(2009, 1, 15))
    res = ev(node, teen)
    assert res.status is Truth.FALSE
    assert res.flips_on == date(2027, 1, 15)
    assert ev(node, patient(birth_date=None)).status is Truth.UNKNOWN
    sixty_five = patient(birth_date=date(1961, 1, 1))
    assert ev(node, sixty_five).status is Truth.TRUE


def test_sex_unknown() -> None:
    node = {"id": "sx", "kind": "sex", "allowed": ["female"]}
    assert ev(node, patient(sex=Sex.UNKNOWN)).status is Truth.UNKNOWN
    assert ev(node, patient(sex=Sex.MALE)).status is Truth.FALSE


def test_score_reported_and_from_items() -> None:
    node = {"id": "sd", "kind": "score", "instrument": "sledai_2k", "comparator": ">=", "value": 8}
    reported = patient(observations=[obs("sledai_2k", 10, "{score}", AS_OF)])
    assert ev(node, reported).status is Truth.TRUE
    # items: arthritis 4 + proteinuria 4 + low complement 2 = 10 (Gladman 2002 weights)
    items = patient(
        observations=[
            obs(
                "sledai_2k",
                None,
                None,
                AS_OF,
                components={
                    "arthritis": True,
                    "proteinuria": True,
                    "low_complement": True,
                    "rash": False,
                },
            )
        ]
    )
    res = ev(node, items)
    assert res.status is Truth.TRUE
    assert res.evidence[0].value == 10


def test_manual_review_takes_the_favourable_side_but_is_marked() -> None:
    node = {"id": "m", "kind": "manual", "text": "Investigator considers suitable"}
    inc = ev(node, patient(), favourable=True)
    exc = ev(node, patient(), favourable=False)
    assert inc.manual and exc.manual
    assert inc.status is Truth.TRUE and exc.status is Truth.FALSE


def test_censored_results() -> None:
    from cartrial.criteria.nodes import Comparator
    from cartrial.evaluate.atoms_measure import censored_compare

    le, ge = Comparator.LE, Comparator.GE
    # "<20" meets "<= 30", cannot settle "<= 10", and never meets ">= 25"
    assert censored_compare(le, 30, 20, "<") is Truth.TRUE
    assert censored_compare(le, 10, 20, "<") is Truth.UNKNOWN
    assert censored_compare(ge, 25, 20, "<") is Truth.FALSE
    assert censored_compare(ge, 20, 20, "<") is Truth.FALSE  # strictly below 20
    assert censored_compare(ge, 20, 20, "<=") is Truth.UNKNOWN
    # ">500" meets ">= 100", cannot settle ">= 1000", never meets "<= 400"
    assert censored_compare(ge, 100, 500, ">") is Truth.TRUE
    assert censored_compare(ge, 1000, 500, ">") is Truth.UNKNOWN
    assert censored_compare(le, 400, 500, ">") is Truth.FALSE
    assert censored_compare(le, 500, 500, ">") is Truth.FALSE
    assert censored_compare(le, 500, 500, None) is Truth.TRUE


def test_any_value_in_window_catches_a_recovered_peak() -> None:
    node = {
        "id": "cr",
        "kind": "measurement",
        "concept": "creatinine",
        "comparator": ">",
        "value": 2.5,
        "unit": "mg/dL",
        "lookback": {"amount": 8, "unit": "weeks"},
        "aggregate": "any",
    }
    peak = patient(
        observations=[
            obs("creatinine", 3.1, "mg/dL", date(2026, 10, 20), id="peak"),
            obs("creatinine", 1.1, "mg/dL", date(2026, 11, 20), id="now"),
        ]
    )
    res = ev(node, peak, favourable=False)
    assert res.status is Truth.TRUE
    assert res.evidence[0].resource == "Observation/peak"
    latest_only = ev({**node, "aggregate": "latest"}, peak)
    assert latest_only.status is Truth.FALSE
    old_peak = patient(
        observations=[
            obs("creatinine", 3.1, "mg/dL", date(2026, 9, 1)),
            obs("creatinine", 1.1, "mg/dL", date(2026, 11, 20)),
        ]
    )
    assert ev(node, old_peak).status is Truth.FALSE  # 1 Sept is outside the 8 weeks
    assert ev(node, patient()).status is Truth.UNKNOWN


def test_serology_also_uses_the_latest_across_tests() -> None:
    node = {
        "id": "hcg",
        "kind": "serology",
        "concept": "hcg_serum_qual",
        "also": ["hcg_urine_qual"],
        "result": "positive",
    }
    urine_neg = patient(observations=[obs("hcg_urine_qual", None, None, AS_OF, result="negative")])
    assert ev(node, urine_neg).status is Truth.FALSE
    newer_pos = patient(
        observations=[
            obs("hcg_serum_qual", None, None, AS_OF - timedelta(days=5), result="negative"),
            obs("hcg_urine_qual", None, None, AS_OF - timedelta(days=1), result="positive"),
        ]
    )
    assert ev(node, newer_pos).status is Truth.TRUE
    assert ev(node, patient()).status is Truth.UNKNOWN


def test_numeric_viral_load_without_range_uses_default_limit() -> None:
    from cartrial import vocab

    node = {"id": "d", "kind": "serology", "concept": "hbv_dna", "result": "positive"}
    default = vocab.default_range("hbv_dna")
    assert default is not None and default[1] is not None
    high = default[1]
    above = patient(observations=[obs("hbv_dna", high * 10, "[IU]/mL", AS_OF)])
    assert ev(node, above).status is Truth.TRUE
    below = patient(
        observations=[obs("hbv_dna", high, "[IU]/mL", AS_OF, components={"comparator": "<"})]
    )
    assert ev(node, below).status is Truth.FALSE


def test_mg_per_kg_uses_the_weight_at_the_time() -> None:
    node = {
        "id": "gc",
        "kind": "medication",
        "classes": ["glucocorticoids"],
        "min_dose_mg_per_kg_day": 0.5,
    }
    # 30 mg/day prednisone in 2025 while weighing 50 kg (0.6 mg/kg/day); now 80 kg
    p = patient(
        observations=[
            obs("body_weight", 50, "kg", date(2025, 2, 1), id="w-then"),
            obs("body_weight", 80, "kg", AS_OF, id="w-now"),
        ],
        medications=[
            MedicationExposure(
                id="m",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=date(2025, 1, 1),
                end=date(2025, 6, 1),
                daily_dose_mg=30,
            )
        ],
    )
    assert ev(node, p).status is Truth.TRUE


def test_exit_date_agrees_with_the_window_at_month_ends() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from cartrial.evaluate.atoms_history import _exit_date

    @given(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
        st.integers(min_value=1, max_value=24),
        st.sampled_from(["days", "weeks", "months", "years"]),
    )
    def agree(event: date, amount: int, unit: str) -> None:
        from cartrial.domain.timewindow import TimeUnit, Window

        w = Window(amount=amount, unit=TimeUnit(unit))
        leave = _exit_date(event, w)
        assert w.start(leave) > event  # outside on the exit day
        assert w.start(leave - timedelta(days=1)) <= event  # still inside the day before

    agree()
    from cartrial.domain.timewindow import TimeUnit, Window

    # transplant on 30 Sept, "within 3 months": still inside on 31 Dec, clear on 1 Jan
    assert _exit_date(date(2026, 9, 30), Window(amount=3, unit=TimeUnit.MONTHS)) == date(2027, 1, 1)


def test_same_day_results_a_positive_wins() -> None:
    node = {
        "id": "hiv",
        "kind": "serology",
        "concept": "hiv_ab",
        "also": ["hiv_agab"],
        "result": "positive",
    }
    # acute infection: antibody still negative, Ag/Ab combination test positive on the same day
    acute = patient(
        observations=[
            obs("hiv_ab", None, None, AS_OF, result="negative"),
            obs("hiv_agab", None, None, AS_OF, result="positive"),
        ]
    )
    assert ev(node, acute, favourable=False).status is Truth.TRUE
    both_neg = patient(
        observations=[
            obs("hiv_ab", None, None, AS_OF, result="negative"),
            obs("hiv_agab", None, None, AS_OF, result="negative"),
        ]
    )
    assert ev(node, both_neg).status is Truth.FALSE
