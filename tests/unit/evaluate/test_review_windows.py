"""Correctness review: window arithmetic, flip dates, exposures and censored values.

Every expectation is derived by hand; the comment next to each says how. The flip-date rule:
re-screening on ``flips_on`` must give the other answer, and the day before must not.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cartrial.criteria.nodes import Comparator
from cartrial.criteria.serde import parse_criterion, parse_protocol
from cartrial.domain.patient import ConditionRecord, MedicationExposure, Patient
from cartrial.evaluate import Context, NodeResult, Truth, evaluate_node, screen
from cartrial.evaluate.atoms_measure import censored_compare, qualitative
from tests.support.patients import AS_OF, obs, patient

DAY = timedelta(days=1)


def ev(
    node: dict[str, Any], p: Patient, *, as_of: date = AS_OF, favourable: bool = True
) -> NodeResult:
    return evaluate_node(
        parse_criterion(node), Context(patient=p, as_of=as_of, favourable=favourable)
    )


# ------------------------------------------------------------------ age


def test_age_flip_for_a_29_february_birthday_is_1_march() -> None:
    # Born 29 Feb 2008. Patient.age_on counts a year completed only once (month, day) reaches
    # (2, 29), so in 2026 (not a leap year) she is still 17 on 28 Feb and 18 on 1 March.
    node = {"id": "age", "kind": "age", "min_years": 18}
    p = patient(birth_date=date(2008, 2, 29))
    res = ev(node, p, as_of=date(2026, 1, 10))
    assert res.status is Truth.FALSE
    assert res.flips_on == date(2026, 3, 1)
    assert ev(node, p, as_of=res.flips_on).status is Truth.TRUE
    assert ev(node, p, as_of=res.flips_on - DAY).status is Truth.FALSE


def test_age_upper_bound_flip_for_a_29_february_birthday() -> None:
    # "under 18" (max 18, exclusive) is TRUE until the 18th birthday, which in 2026 falls on
    # 1 March for a 29 Feb birth (see above): FALSE from 1 March, still TRUE on 28 Feb.
    node = {"id": "child", "kind": "age", "max_years": 18, "max_inclusive": False}
    p = patient(birth_date=date(2008, 2, 29))
    res = ev(node, p, as_of=date(2026, 1, 10), favourable=False)
    assert res.status is Truth.TRUE
    assert res.flips_on == date(2026, 3, 1)
    assert ev(node, p, as_of=date(2026, 2, 28)).status is Truth.TRUE


def test_age_flip_for_a_fractional_bound() -> None:
    # "at least 17.5 years" in completed years means 18 (17 < 17.5): born 1 Jun 2009, the
    # criterion is first met on 1 Jun 2027, not on the 17th birthday (1 Jun 2026, already past).
    node = {"id": "age", "kind": "age", "min_years": 17.5}
    p = patient(birth_date=date(2009, 6, 1))
    res = ev(node, p)
    assert res.status is Truth.FALSE
    assert res.flips_on == date(2027, 6, 1)


# ------------------------------------------------------------------ condition onset


def test_onset_at_least_and_within_use_the_same_window() -> None:
    # "diagnosed >= 6 months before screening" on 28 Feb 2027: the 6-month window before
    # screening starts on 28 Aug 2026 (Window.start, the arithmetic every window uses), so an
    # onset on 30 Aug 2026 is inside the last 6 months: "within 6 months" is TRUE and
    # "at least 6 months" must be FALSE (the two readings cannot both hold off the boundary).
    at_least = {
        "id": "dx",
        "kind": "condition",
        "concepts": ["sle"],
        "onset_at_least": {"amount": 6, "unit": "months"},
    }
    within = {
        "id": "dx",
        "kind": "condition",
        "concepts": ["sle"],
        "onset_within": {"amount": 6, "unit": "months"},
    }
    p = patient(conditions=[ConditionRecord(id="c", concept="sle", onset=date(2026, 8, 30))])
    screening = date(2027, 2, 28)
    assert ev(within, p, as_of=screening).status is Truth.TRUE
    res = ev(at_least, p, as_of=screening)
    assert res.status is Truth.FALSE
    # first D whose window start (D - 6 months) reaches 30 Aug: 1 Mar 2027 (start 1 Sep)
    assert res.flips_on == date(2027, 3, 1)
    assert ev(at_least, p, as_of=res.flips_on).status is Truth.TRUE


# ------------------------------------------------------------------ medications


WASHOUT = {
    "id": "gc",
    "kind": "medication",
    "classes": ["glucocorticoids"],
    "within": {"amount": 4, "unit": "weeks"},
}


def test_exposure_started_inside_the_window_counts_even_without_an_end_date() -> None:
    # Prednisone started 5 days before screening (end unknown, not marked ongoing): whatever
    # its end, it was taken inside the 4 weeks before screening -> TRUE, not UNKNOWN. With no
    # end date, time alone cannot say when it leaves the window.
    p = patient(
        medications=[
            MedicationExposure(
                id="m",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=AS_OF - timedelta(days=5),
                status="unknown",
            )
        ]
    )
    res = ev(WASHOUT, p, favourable=False)
    assert res.status is Truth.TRUE
    assert res.flips_on is None
    # started before the window with no end: it may or may not reach into it
    before = patient(
        medications=[
            MedicationExposure(
                id="m",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=AS_OF - timedelta(days=60),
                status="unknown",
            )
        ]
    )
    assert ev(WASHOUT, before).status is Truth.UNKNOWN


def test_duration_counts_only_exposure_up_to_screening() -> None:
    # Mycophenolate started 1 Sep 2026 with a planned end of 1 Sep 2027 (a prescription's
    # validity): on 22 Nov 2026 it has been taken for under 3 months, so ">= 6 months of
    # therapy with the disease still active" is not (yet) met.
    node = {
        "id": "ref",
        "kind": "medication",
        "drugs": ["mycophenolate_mofetil"],
        "outcome": "failure",
        "min_duration": {"amount": 6, "unit": "months"},
        "active_disease": ["sle"],
    }
    p = patient(
        conditions=[ConditionRecord(id="c", concept="sle", onset=date(2018, 1, 1))],
        medications=[
            MedicationExposure(
                id="m",
                concept="mycophenolate_mofetil",
                start=date(2026, 9, 1),
                end=date(2027, 9, 1),
            )
        ],
    )
    assert ev(node, p).status is Truth.FALSE
    plain = {
        "id": "dur",
        "kind": "medication",
        "drugs": ["mycophenolate_mofetil"],
        "min_duration": {"amount": 6, "unit": "months"},
    }
    assert ev(plain, p).status is Truth.FALSE
    # 6 months elapsed by 1 Mar 2027 (1 Sep + 6 months)
    assert ev(plain, p, as_of=date(2027, 3, 1)).status is Truth.TRUE


def test_washout_flip_when_one_agent_is_ongoing() -> None:
    # needs 2 distinct agents inside 4 weeks; 3 qualify: azathioprine (ongoing, never leaves),
    # methotrexate (ended 10 Nov -> leaves 9 Dec) and mycophenolate (ended 15 Nov -> 14 Dec).
    # With methotrexate gone, two remain (azathioprine, mycophenolate); with both gone, only
    # azathioprine: the count drops below 2 on 14 Dec.
    node = {
        "id": "is",
        "kind": "medication",
        "drugs": ["azathioprine", "methotrexate", "mycophenolate_mofetil"],
        "min_distinct": 2,
        "within": {"amount": 4, "unit": "weeks"},
    }
    p = patient(
        medications=[
            MedicationExposure(
                id="a", concept="azathioprine", start=date(2026, 1, 1), ongoing=True
            ),
            MedicationExposure(
                id="b", concept="methotrexate", start=date(2026, 1, 1), end=date(2026, 11, 10)
            ),
            MedicationExposure(
                id="c",
                concept="mycophenolate_mofetil",
                start=date(2026, 1, 1),
                end=date(2026, 11, 15),
            ),
        ]
    )
    res = ev(node, p, favourable=False)
    assert res.status is Truth.TRUE
    assert res.flips_on == date(2026, 12, 14)
    assert ev(node, p, as_of=date(2026, 12, 14)).status is Truth.FALSE
    assert ev(node, p, as_of=date(2026, 12, 13)).status is Truth.TRUE


# ------------------------------------------------------------------ composites and screening


def test_all_of_gives_no_flip_date_when_a_met_part_expires_first() -> None:
    # all_of(age >= 18, SLE diagnosed within 1 year): the 17-year-old (born 15 Jan 2009) turns
    # 18 on 15 Jan 2027, but her SLE (onset 1 Jan 2026) leaves the 1-year window on 2 Jan 2027,
    # so on 15 Jan 2027 the criterion still fails: time alone never makes it pass.
    node = {
        "id": "inc",
        "kind": "all_of",
        "items": [
            {"id": "inc.age", "kind": "age", "min_years": 18},
            {
                "id": "inc.dx",
                "kind": "condition",
                "concepts": ["sle"],
                "onset_within": {"amount": 1, "unit": "years"},
            },
        ],
    }
    p = patient(
        birth_date=date(2009, 1, 15),
        conditions=[ConditionRecord(id="c", concept="sle", onset=date(2026, 1, 1))],
    )
    res = ev(node, p)
    assert res.status is Truth.FALSE
    assert ev(node, p, as_of=date(2027, 1, 15)).status is Truth.FALSE
    assert res.flips_on is None
    prot = parse_protocol(
        {
            "schema_version": 1,
            "trial": {"nct_id": "NCT00000002", "title": "T"},
            "criteria": {"inclusion": [node], "exclusion": []},
        }
    )
    assert screen(prot, p, as_of=AS_OF).earliest_eligible_date is None


def test_any_of_gives_no_flip_date_when_a_failing_part_arrives_first() -> None:
    # exclusion any_of(SLE diagnosed within 1 year [TRUE; onset 1 Jan 2026 leaves the window
    # on 2 Jan 2027], ITP diagnosed at least 6 months ago [FALSE; onset 1 Jun 2026 is met from
    # 1 Dec 2026, when the window start D - 6 months reaches 1 Jun]): the second part becomes
    # TRUE before the first leaves, so time alone never lifts the exclusion.
    node = {
        "id": "exc",
        "kind": "any_of",
        "items": [
            {
                "id": "exc.recent",
                "kind": "condition",
                "concepts": ["sle"],
                "onset_within": {"amount": 1, "unit": "years"},
            },
            {
                "id": "exc.old",
                "kind": "condition",
                "concepts": ["itp"],
                "onset_at_least": {"amount": 6, "unit": "months"},
            },
        ],
    }
    p = patient(
        conditions=[
            ConditionRecord(id="c", concept="sle", onset=date(2026, 1, 1)),
            ConditionRecord(id="d", concept="itp", onset=date(2026, 6, 1)),
        ]
    )
    res = ev(node, p, favourable=False)
    assert res.status is Truth.TRUE
    assert ev(node, p, as_of=date(2027, 1, 2), favourable=False).status is Truth.TRUE
    assert res.flips_on is None


# ------------------------------------------------------------------ censored values


def test_censored_value_against_an_equality() -> None:
    eq = Comparator.EQ
    # "<20" never equals 20; "<=20" may; ">500" may equal 600 but never 500 or 400
    assert censored_compare(eq, 20, 20, "<") is Truth.FALSE
    assert censored_compare(eq, 20, 20, "<=") is Truth.UNKNOWN
    assert censored_compare(eq, 10, 20, "<") is Truth.UNKNOWN
    assert censored_compare(eq, 30, 20, "<") is Truth.FALSE
    assert censored_compare(eq, 600, 500, ">") is Truth.UNKNOWN
    assert censored_compare(eq, 500, 500, ">") is Truth.FALSE
    assert censored_compare(eq, 400, 500, ">") is Truth.FALSE
    assert censored_compare(eq, 500, 500, None) is Truth.TRUE


def test_censored_viral_load_against_the_upper_limit() -> None:
    # positive = above the upper limit (20 IU/mL here). ">20" is above it; "<1000" may or may
    # not be (undetermined); ">=20" may be exactly 20 (undetermined); "<=20" is not above.
    def q(value: float, censor: str) -> str | None:
        return qualitative(
            obs("hbv_dna", value, "[IU]/mL", AS_OF, ref_high=20, components={"comparator": censor})
        )

    assert q(20, ">") == "positive"
    assert q(1000, "<") is None
    assert q(20, ">=") is None
    assert q(20, "<=") == "negative"
    assert q(20, "<") == "negative"
    assert q(5, ">") is None


def test_reported_egfr_above_the_assay_limit_is_not_a_failure() -> None:
    # eGFR reported as ">60": the true value could be 70 or 95, so ">= 90" cannot be settled
    # from the report; without creatinine to compute it, the answer is UNKNOWN, not FALSE.
    node = {
        "id": "e",
        "kind": "derived",
        "calculator": "egfr_ckd_epi_2021",
        "comparator": ">=",
        "value": 90,
        "unit": "mL/min/{1.73_m2}",
    }
    censored = obs(
        "egfr_ckd_epi_2021", 60, "mL/min/{1.73_m2}", AS_OF, components={"comparator": ">"}
    )
    res = ev(node, patient(observations=[censored]))
    assert res.status is Truth.UNKNOWN
    # ">60" does settle ">= 60" and "< 30"
    assert ev({**node, "value": 60}, patient(observations=[censored])).status is Truth.TRUE
    assert (
        ev({**node, "comparator": "<", "value": 30}, patient(observations=[censored])).status
        is Truth.FALSE
    )
    # with creatinine on record, the computed value settles it: 46-year-old woman (born
    # 1 May 1980), SCr 0.6 mg/dL -> CKD-EPI 2021 = 142*(0.6/0.7)^-0.241*0.9938^46*1.012 = 112
    with_scr = patient(observations=[censored, obs("creatinine", 0.6, "mg/dL", AS_OF)])
    assert ev(node, with_scr).status is Truth.TRUE


def test_missing_names_only_the_data_that_would_settle_an_exposure() -> None:
    # prednisone ended 1 Nov (inside the 4 weeks) with no dose recorded: "> 10 mg/day within
    # 4 weeks" is UNKNOWN for want of the dose alone; "taken until 2026-11-01" is evidence,
    # not something missing.
    node = {**WASHOUT, "min_daily_dose_mg": 10}
    p = patient(
        medications=[
            MedicationExposure(
                id="m",
                concept="prednisone",
                drug_classes=("glucocorticoids",),
                start=date(2026, 1, 1),
                end=date(2026, 11, 1),
            )
        ]
    )
    res = ev(node, p, favourable=False)
    assert res.status is Truth.UNKNOWN
    assert res.missing == ("daily dose of MedicationStatement/m (prednisone)",)


# ------------------------------------------------------------------ property: flip dates


def test_entry_date_agrees_with_the_window() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cartrial.domain.timewindow import TimeUnit, Window
    from cartrial.evaluate.atoms_history import _entry_date

    @settings(max_examples=300, deadline=None)
    @given(
        st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
        st.integers(min_value=1, max_value=24),
        st.sampled_from(["days", "weeks", "months", "years"]),
    )
    def agree(event: date, amount: int, unit: str) -> None:
        w = Window(amount=amount, unit=TimeUnit(unit))
        ready = _entry_date(event, w)
        assert w.start(ready) >= event  # at least the window before on the entry day
        assert w.start(ready - DAY) < event  # not yet the day before

    agree()


def test_flip_dates_of_time_based_trees_obey_the_rescreening_rule() -> None:
    # For any tree of time-based atoms: if flips_on is given, re-evaluating on that date gives
    # another answer and every day before it (from as_of) gives the same answer.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cartrial.domain.patient import ImmunizationRecord

    atoms = st.sampled_from(
        [
            {"kind": "age", "min_years": 18},
            {"kind": "age", "max_years": 17},
            {
                "kind": "condition",
                "concepts": ["sle"],
                "onset_within": {"amount": 3, "unit": "months"},
            },
            {
                "kind": "condition",
                "concepts": ["sle"],
                "onset_at_least": {"amount": 2, "unit": "months"},
            },
            {
                "kind": "condition",
                "concepts": ["itp"],
                "onset_at_least": {"amount": 1, "unit": "months"},
            },
            {"kind": "vaccine", "live_only": False, "within": {"amount": 6, "unit": "weeks"}},
            {
                "kind": "medication",
                "drugs": ["azathioprine", "methotrexate"],
                "within": {"amount": 4, "unit": "weeks"},
            },
            {
                "kind": "medication",
                "drugs": ["azathioprine", "methotrexate"],
                "min_distinct": 2,
                "within": {"amount": 2, "unit": "months"},
            },
        ]
    )

    def trees(kids: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        lists = st.lists(kids, min_size=1, max_size=3)
        return st.one_of(
            lists.map(lambda ks: {"kind": "all_of", "items": ks}),
            lists.map(lambda ks: {"kind": "any_of", "items": ks}),
            kids.map(lambda k: {"kind": "not", "item": k}),
            lists.flatmap(
                lambda ks: st.integers(1, len(ks)).map(
                    lambda n: {"kind": "at_least", "n": n, "items": ks}
                )
            ),
        )

    offsets = st.integers(min_value=0, max_value=150)

    @settings(max_examples=300, deadline=None)
    @given(
        st.recursive(atoms, trees, max_leaves=5),
        offsets,
        offsets,
        offsets,
        offsets,
        offsets,
        st.integers(min_value=6200, max_value=6800),
    )
    def rule(
        tree: dict[str, Any], sle: int, itp: int, vac: int, aza: int, mtx: int, age_days: int
    ) -> None:
        p = patient(
            birth_date=AS_OF - timedelta(days=age_days),
            conditions=[
                ConditionRecord(id="s", concept="sle", onset=AS_OF - timedelta(days=sle)),
                ConditionRecord(id="i", concept="itp", onset=AS_OF - timedelta(days=itp)),
            ],
            immunizations=[
                ImmunizationRecord(id="v", concept="mmr", date=AS_OF - timedelta(days=vac))
            ],
            medications=[
                MedicationExposure(
                    id="a",
                    concept="azathioprine",
                    start=date(2020, 1, 1),
                    end=AS_OF - timedelta(days=aza),
                ),
                MedicationExposure(
                    id="m",
                    concept="methotrexate",
                    start=date(2020, 1, 1),
                    end=AS_OF - timedelta(days=mtx),
                ),
            ],
        )
        node = parse_criterion(tree)
        now = evaluate_node(node, Context(patient=p, as_of=AS_OF))
        if now.flips_on is None:
            return
        assert now.flips_on > AS_OF
        then = evaluate_node(node, Context(patient=p, as_of=now.flips_on))
        assert then.status is not now.status
        day = AS_OF
        while day < now.flips_on:
            assert evaluate_node(node, Context(patient=p, as_of=day)).status is now.status
            day += DAY

    rule()


# ------------------------------------------------------------------ serology: inconclusive


def test_latest_inconclusive_serology_is_not_passed_over_for_an_older_result() -> None:
    # HIV Ag/Ab negative on 2 Nov, then "indeterminate" on 17 Nov (ingest keeps the words, no
    # result). The latest test does not settle "HIV positive"; reading the older negative as
    # the answer would clear a patient whose newest test is in doubt -> UNKNOWN.
    node = {
        "id": "hiv",
        "kind": "serology",
        "concept": "hiv_agab",
        "also": ["hiv_ab"],
        "result": "positive",
    }
    p = patient(
        observations=[
            obs("hiv_ab", None, None, AS_OF - timedelta(days=20), result="negative", id="old"),
            obs(
                "hiv_agab",
                None,
                None,
                AS_OF - timedelta(days=5),
                id="new",
                components={"value_text": "indeterminate"},
            ),
        ]
    )
    res = ev(node, p, favourable=False)
    assert res.status is Truth.UNKNOWN
    assert res.evidence[0].resource == "Observation/new"
    assert any("hiv_agab" in m for m in res.missing)
    # a conclusive result after the indeterminate one settles it again
    later = patient(
        observations=[
            *p.observations,
            obs("hiv_agab", None, None, AS_OF, result="negative", id="repeat"),
        ]
    )
    assert ev(node, later).status is Truth.FALSE
    # "ever": negatives plus an inconclusive test cannot rule out a positive one
    ever = {**node, "ever": True}
    assert ev(ever, p).status is Truth.UNKNOWN
    assert ev(ever, patient(observations=[p.observations[0]])).status is Truth.FALSE


def test_glucocorticoid_without_an_equivalence_is_not_read_as_prednisone() -> None:
    # A systemic glucocorticoid known only by its ATC class (e.g. deflazacort, H02AB13: 6 mg ~
    # 5 mg prednisone, not in the equivalence table) at 40 mg/day: its prednisone-equivalent
    # dose is not known, so ">= 35 mg/day prednisone-equivalent" cannot be decided (reading
    # 40 mg as 40 mg prednisone would say TRUE; the true equivalent is ~33 mg).
    node = {
        "id": "gc",
        "kind": "medication",
        "classes": ["glucocorticoids"],
        "min_daily_dose_mg": 35,
    }
    p = patient(
        medications=[
            MedicationExposure(
                id="d",
                concept="glucocorticoids_systemic",
                drug_classes=(
                    "glucocorticoids",
                    "corticosteroids_systemic",
                    "glucocorticoids_systemic",
                ),
                start=date(2026, 1, 1),
                end=date(2026, 6, 1),
                daily_dose_mg=40,
            )
        ]
    )
    res = ev(node, p)
    assert res.status is Truth.UNKNOWN
    assert any("prednisone" in m for m in res.missing)
    # a non-steroid dose threshold still reads the dose as given (mg of that drug)
    mtx = {"id": "mtx", "kind": "medication", "drugs": ["methotrexate"], "min_daily_dose_mg": 2}
    q = patient(
        medications=[
            MedicationExposure(
                id="m",
                concept="methotrexate",
                start=date(2026, 1, 1),
                end=date(2026, 6, 1),
                daily_dose_mg=2.5,
            )
        ]
    )
    assert ev(mtx, q).status is Truth.TRUE
