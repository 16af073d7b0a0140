"""Recall rules added from the enlarged development gold set, one test per layer.

Every phrasing here is written for the test (none is copied from a registry text): each rule
is general (a spelling, a unit, an anchor, a lexicon entry), so it is shown on words of our own.
"""

from __future__ import annotations

from typing import Any

import pytest

from cartrial.ingest.parse import parse_eligibility
from cartrial.ingest.parse.grammar import constraint
from cartrial.ingest.parse.normalize import normalize
from cartrial.ingest.parse.patterns import ucum
from cartrial.ingest.parse.records import facts, node_records
from cartrial.ingest.parse.temporal import find_windows


def _facts(sentence: str, section: str = "Exclusion") -> list[tuple[Any, ...]]:
    text = f"{section} Criteria:\n\n* {sentence}\n"
    out = []
    for rec in node_records(parse_eligibility(text)):
        for f in facts(rec):
            out.append(
                (
                    f["category"],
                    f["concept"][0],
                    f["comparator"],
                    f["value"],
                    f["unit"],
                    f.get("anchor"),
                    f.get("direction"),
                )
            )
    return out


# ----------------------------------------------------------------------------- normaliser


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("CPK more than 4 X normal value", "CPK more than 4 xULN"),
        ("GOT above 2 times normal values", "GOT above 2 xULN"),
        ("SGPT < 3x upper normal limit", "SGPT < 3 xULN"),
        ("adults aged from21 to 70", "adults aged from 21 to 70"),
        ("men over65", "men over 65"),
    ],
)
def test_normaliser_uln_words_and_glued_numbers(raw: str, clean: str) -> None:
    assert normalize(raw).text == clean


def test_normaliser_leaves_words_with_digits_alone() -> None:
    # only comparator and range words are split from a number: codes keep their digits
    assert normalize("COVID19 vaccine, CD19 and top10").text == "COVID19 vaccine, CD19 and top10"
    assert normalize("x normal range").text == "x normal range"


# ----------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("raw", "unit"),
    [
        ("ng/mL", "ng/mL"),
        ("ng / ml", "ng/mL"),
        ("ng/dL", "ng/dL"),
        ("pg/mL", "pg/mL"),
        ("°C", "Cel"),
        ("degrees Celsius", "Cel"),
        ("lbs", "[lb_av]"),
    ],
)
def test_unit_spellings(raw: str, unit: str) -> None:
    assert ucum(raw) == unit


def test_a_converted_value_in_brackets_does_not_hide_the_postfix_comparator() -> None:
    got = _facts("Body weight of 40 kg (88 lbs) or less", "Exclusion")
    assert ("threshold", "body_weight", "<=", 40.0, "kg", None, None) in got


def test_grammar_reads_a_range_after_a_split_glued_number() -> None:
    c = constraint(normalize("from21 to 70 years").text, 0)
    assert c is not None
    assert [(b.comparator.value, b.value, b.unit) for b in c.bounds] == [
        (">=", 21.0, "a"),
        ("<=", 70.0, "a"),
    ]


# ----------------------------------------------------------------------------- lexicon


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Glycated hemoglobin A1c above 8.5%", ("threshold", "hba1c", ">", 8.5, "%")),
        ("Haemoglobin A1c > 10 %", ("threshold", "hba1c", ">", 10.0, "%")),
        ("Serum PSA > 4 ng/mL", ("threshold", "psa", ">", 4.0, "ng/mL")),
        ("Total testosterone below 200 ng/dL", ("threshold", "testosterone", "<", 200.0, "ng/dL")),
        ("Free testosterone < 50 pg/mL", ("threshold", "free_testosterone", "<", 50.0, "pg/mL")),
        (
            "Serum total cholesterol > 300 mg/dL",
            ("threshold", "total_cholesterol", ">", 300.0, "mg/dL"),
        ),
        ("Oral temperature ≥ 38.0 °C", ("threshold", "body_temperature", ">=", 38.0, "Cel")),
        ("Marrow plasma cells > 60 %", ("threshold", "bone_marrow_plasma_cells", ">", 60.0, "%")),
        (
            "Urinary protein excretion > 1 g/24 h",
            ("threshold", "urine_protein_24h", ">", 1.0, "g/(24.h)"),
        ),
        ("DLCO below 45 % of predicted", ("threshold", "dlco_pct_pred", "<", 45.0, "%")),
        ("Gestational age above 28 weeks", ("threshold", "gestational_age", ">", 28.0, "wk")),
        ("SPPB score ≤ 8", ("threshold", "sppb", "<=", 8.0, "")),
        ("Total Gleason score 8 or higher", ("threshold", "gleason_score", ">=", 8.0, "")),
        ("Shingles within the past 2 months", ("window", "herpes_zoster", "<=", 2.0, "mo")),
        (
            "Pulmonary embolism within 6 weeks",
            ("window", "venous_thromboembolism", "<=", 6.0, "wk"),
        ),
        ("Convulsions within the past year", ("window", "seizure", "<=", 1.0, "a")),
        ("SARS-CoV-2 infection within 10 days", ("window", "covid19", "<=", 10.0, "d")),
        ("Serum sodium below 130 mEq/L", ("threshold", "sodium", "<", 130.0, "meq/L")),
        ("Vitamin D below 20 ng/mL", ("threshold", "vitamin_d", "<", 20.0, "ng/mL")),
        ("Serum M-protein of at least 1 g/dL", ("threshold", "serum_m_protein", ">=", 1.0, "g/dL")),
        (
            "Involved free light chain ≥ 10 mg/dL",
            ("threshold", "free_light_chain", ">=", 10.0, "mg/dL"),
        ),
        ("Thyroid-stimulating hormone above 8 mIU/L", ("threshold", "tsh", ">", 8.0, "m[IU]/L")),
        ("CD4 T-cell count < 350 cells/mm3", ("threshold", "cd4_count", "<", 350.0, "/uL")),
        ("Resting SBP above 170 mmHg", ("threshold", "systolic_bp", ">", 170.0, "mm[Hg]")),
        (
            "Acute coronary syndromes within 12 weeks",
            ("window", "acute_coronary_syndrome", "<=", 12.0, "wk"),
        ),
        ("Chronic infections within 3 months", ("window", "infection", "<=", 3.0, "mo")),
    ],
)
def test_lexicon_names_new_concepts(sentence: str, expected: tuple[Any, ...]) -> None:
    got = [f[:5] for f in _facts(sentence)]
    assert expected in got, got


def test_hemoglobin_is_not_read_from_hemoglobin_a1c() -> None:
    got = _facts("Hemoglobin A1c > 9 %")
    assert [f[1] for f in got] == ["hba1c"]


def test_transaminases_state_both_aminotransferases() -> None:
    got = _facts("Liver transaminases above 2.5 times the upper limit of normal")
    assert ("threshold", "alt", ">", 2.5, "xULN", None, None) in got
    assert ("threshold", "ast", ">", 2.5, "xULN", None, None) in got


# ----------------------------------------------------------------------------- temporal


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        ("steroids during 2 months before starting the protocol treatment", "first_dose"),
        ("steroids within 6 weeks before the study starts", "enrollment"),
        ("steroids within 6 weeks before the present trial begins", "enrollment"),
        ("belimumab within 8 weeks before Day 0", "first_dose"),
    ],
)
def test_anchor_words(text: str, anchor: str) -> None:
    (w,) = find_windows(normalize(text).text)
    assert w.reference == anchor


def test_forward_period_with_a_minimum_is_read_after_its_anchor() -> None:
    (w,) = find_windows("use condoms for at least 90 days after the last dose of study drug")
    assert (w.amount, w.direction, w.reference) == (90.0, "after", "last_dose")


# ----------------------------------------------------------------------------- composition


def _windows_by_concept(sentence: str) -> dict[str, tuple[Any, ...]]:
    """Concept -> its window, over every concept a node names (a merged list names several)."""
    text = f"Exclusion Criteria:\n\n* {sentence}\n"
    out: dict[str, tuple[Any, ...]] = {}
    for rec in node_records(parse_eligibility(text)):
        for f in facts(rec):
            if f["category"] == "window":
                for concept in f["concept"]:
                    out[concept] = (
                        f["comparator"],
                        f["value"],
                        f["unit"],
                        f["anchor"],
                        f["direction"],
                    )
    return out


def test_a_window_closing_a_list_belongs_to_every_member() -> None:
    got = _windows_by_concept("Stroke, heart attack, or cardiac revascularization within 6 months")
    want = ("<=", 6.0, "mo", "screening", "before")
    assert got == {"stroke": want, "myocardial_infarction": want, "revascularization": want}


def test_a_window_closing_a_drug_and_procedure_list_covers_the_drugs() -> None:
    got = _windows_by_concept("Leflunomide, tacrolimus or plasmapheresis within the last 8 weeks")
    want = ("<=", 8.0, "wk", "screening", "before")
    assert got == {"leflunomide": want, "tacrolimus": want, "plasma_exchange": want}


def test_a_semicolon_ends_the_list_a_window_closes() -> None:
    got = _windows_by_concept("Prior stroke; myocardial infarction within 6 months")
    assert set(got) == {"myocardial_infarction"}


# ----------------------------------------------------------------------------- quantities


def test_plural_unit_spelling_and_daily_after_the_drug() -> None:
    assert normalize("up to 10 mgs").text == "up to 10 mg"
    got = _facts("Receiving no more than 10mgs of prednisone daily", "Inclusion")
    assert ("dose", "prednisone", "<=", 10.0, "mg/d", None, None) in got


def test_or_more_than_opens_a_second_comparison() -> None:
    got = _facts("Ejection fraction > 45% or more than a 10% rise on exertion", "Inclusion")
    assert ("threshold", "lvef", ">", 45.0, "%", None, None) in got
    assert not [f for f in got if f[:3] == ("threshold", "lvef", ">=")]


def test_a_percent_scale_score_takes_its_percent_sign() -> None:
    got = _facts("Karnofsky score of at least 80%", "Inclusion")
    assert got == [("threshold", "karnofsky", ">=", 80.0, "", None, None)]
    # a score that is not written in % is not read from a percentage
    assert not [f for f in _facts("SLEDAI above 40%", "Inclusion") if f[1] == "sledai_2k"]


def test_time_since_the_last_dose_is_a_washout() -> None:
    got = _facts(
        "The interval since the last rituximab infusion must exceed 26 weeks.", "Inclusion"
    )
    assert ("window", "rituximab", ">", 26.0, "wk", "screening", "before") in [
        (c, k, ">" if cmp in (">", ">=") else cmp, v, u, a, d) for c, k, cmp, v, u, a, d in got
    ]


def test_a_dose_word_before_the_last_member_does_not_break_the_list() -> None:
    got = _windows_by_concept(
        "Dialysis, tacrolimus, or high-dose methylprednisolone within 60 days"
    )
    want = ("<=", 60.0, "d", "screening", "before")
    assert got == {"hemodialysis": want, "tacrolimus": want, "methylprednisolone": want}


def test_participation_in_another_drug_study() -> None:
    got = _windows_by_concept("Took part in another device study within 8 weeks of enrolment")
    assert got == {"other_clinical_trial_participation": ("<=", 8.0, "wk", "enrollment", "before")}


def test_the_same_disease_named_again_after_another_is_a_second_reading() -> None:
    got = _facts(
        "Serious infection within 3 months, shingles within 6 months or any infection "
        "needing antibiotics within 14 days"
    )
    windows = sorted((f[1], f[3], f[4]) for f in got if f[0] == "window")
    assert windows == [
        ("herpes_zoster", 6.0, "mo"),
        ("infection", 3.0, "mo"),
        ("infection", 14.0, "d"),
    ]


def test_infection_site_words() -> None:
    got = _windows_by_concept("Lower respiratory tract infection in the previous 4 weeks")
    assert got == {"infection": ("<=", 4.0, "wk", "screening", "before")}


@pytest.mark.parametrize(
    "sentence",
    [
        "Neuropsychiatric SLE within 6 months",
        "Active CNS lupus within 6 months",
        "Central nervous system (CNS) systemic lupus erythematosus within 6 months",
    ],
)
def test_cns_lupus_is_not_read_as_lupus(sentence: str) -> None:
    assert _windows_by_concept(sentence) == {
        "neuropsychiatric_lupus": ("<=", 6.0, "mo", "screening", "before")
    }


def test_one_disease_with_two_windows_gives_two_readings() -> None:
    got = _facts(
        "Serious infection within 1 week before baseline or infection needing antibiotics within 3 weeks before baseline"
    )
    windows = sorted((f[1], f[3], f[4], f[5]) for f in got if f[0] == "window")
    assert windows == [("infection", 1.0, "wk", "baseline"), ("infection", 3.0, "wk", "baseline")]


def test_a_per_drug_window_after_the_anchor() -> None:
    got = _windows_by_concept("Biologics within 8 weeks before baseline (26 weeks for rituximab)")
    assert got == {
        "bDMARDs": ("<=", 8.0, "wk", "baseline", "before"),
        "rituximab": ("<=", 26.0, "wk", "baseline", "before"),
    }


def test_a_window_after_without_does_not_date_the_lab_value() -> None:
    got = _facts("Haemoglobin ≥ 9 g/dL without red cell transfusion within 14 days", "Inclusion")
    assert ("threshold", "hemoglobin", ">=", 9.0, "g/dL", None, None) in got
    assert not [f for f in got if f[0] == "window"]


def test_a_limit_for_a_named_group_in_brackets() -> None:
    got = _facts("Total bilirubin ≤ 2 × ULN (or ≤ 4 × ULN in Gilbert syndrome)", "Inclusion")
    assert ("threshold", "bilirubin_total", "<=", 2.0, "xULN", None, None) in got
    assert ("threshold", "bilirubin_total", "<=", 4.0, "xULN", None, None) in got
    # the group is a condition of the alternative, not a requirement of its own
    text = "Inclusion Criteria:\n\n* Total bilirubin ≤ 2 × ULN (or ≤ 4 × ULN in Gilbert syndrome)\n"
    dumped = str(parse_eligibility(text).criteria)
    assert "AnyOf" in dumped and "gilbert_syndrome" in dumped


def test_a_limit_for_an_unnamed_group_is_left_to_a_person() -> None:
    got = _facts("Creatinine ≤ 1.2 mg/dL (≤ 1.8 mg/dL for those above 75)", "Inclusion")
    assert got == [("threshold", "creatinine", "<=", 1.2, "mg/dL", None, None)]


def test_an_ana_titre_in_brackets_is_a_titre_and_the_list_goes_on() -> None:
    got = _facts("Positive ANA (≥ 1:160) or anti-Sm antibodies", "Inclusion")
    assert ("titre", "ana_titer_ifa", ">=", 160.0, "", None, None) in got
    text = "Inclusion Criteria:\n\n* Positive ANA (≥ 1:160) or anti-Sm antibodies\n"
    assert any(r.get("concept") == "anti_sm" for r in node_records(parse_eligibility(text)))


def test_a_window_between_two_drugs_ends_the_first_list() -> None:
    got = _windows_by_concept(
        "Belimumab within 3 months or other biologics within 5 half-lives before leukapheresis"
    )
    assert got == {
        "belimumab": ("<=", 3.0, "mo", "leukapheresis", "before"),
        "bDMARDs": ("<=", 5.0, "half_lives", "leukapheresis", "before"),
    }


def test_a_window_without_an_anchor_does_not_borrow_across_a_sentence() -> None:
    got = _windows_by_concept(
        "Belimumab within 3 months. Other biologics within 5 half-lives before leukapheresis"
    )
    assert got["belimumab"] == ("<=", 3.0, "mo", "screening", "before")


def test_a_count_over_a_following_list_of_drugs() -> None:
    got = _facts(
        "Failure of at least 3 of the following: azathioprine, methotrexate, tacrolimus, rituximab",
        "Inclusion",
    )
    assert ("count", "conventional_immunosuppressants", ">=", 3.0, "", None, None) in got
    # a following list of symptoms is no count of therapies
    assert _facts("At least 3 of the following: fatigue, fever, arthralgia", "Inclusion") == []


def test_a_change_word_does_not_reach_past_a_comma() -> None:
    got = _facts("Ejection fraction > 45 % or a 10 % rise on exercise, DLCO > 50 %", "Inclusion")
    assert ("threshold", "dlco_pct_pred", ">", 50.0, "%", None, None) in got
    # a change in a value is still no threshold on it
    assert _facts("An increase in serum creatinine > 0.3 mg/dL", "Exclusion") == []


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("ANA with a titre of ≥ 1:320", ("titre", "ana_titer_ifa", ">=", 320.0, "")),
        ("Anti-nuclear antibodies (≥ 1:160)", ("titre", "ana_titer_ifa", ">=", 160.0, "")),
        ("CD3+ T lymphocytes ≥ 150/µL", ("threshold", "cd3_abs", ">=", 150.0, "/uL")),
        ("TLC ≥ 55 %", ("threshold", "tlc_pct_pred", ">=", 55.0, "%")),
        ("Forced expiratory volume (FEV1) ≥ 55 %", ("threshold", "fev1", ">=", 55.0, "%")),
    ],
)
def test_titres_and_lung_and_lymphocyte_names(sentence: str, expected: tuple[Any, ...]) -> None:
    assert expected in [f[:5] for f in _facts(sentence, "Inclusion")]


def test_square_bracket_abbreviations_are_asides() -> None:
    assert normalize(r"alanine transaminase \[ALT\] > 2").text == "alanine transaminase (ALT) > 2"
    assert normalize("SGPT [ALT] > 2").text == "SGPT (ALT) > 2"
    # a bracketed comparator is still the registry's repeated symbol, not an aside
    assert normalize(r"more than \[\>\] 4").text == "> 4"


def test_abbreviation_asides_keep_a_list_of_names_together() -> None:
    got = _facts("GOT (AST/SGOT) and GPT (ALT/SGPT) ≤ 2.5 × ULN", "Inclusion")
    assert ("threshold", "ast", "<=", 2.5, "xULN", None, None) in got
    assert ("threshold", "alt", "<=", 2.5, "xULN", None, None) in got


def test_registration_is_enrolment_and_new_drug_names() -> None:
    got = _windows_by_concept(
        "Anti-TNF agents, alemtuzumab or IVIg within 10 weeks prior to registration"
    )
    want = ("<=", 10.0, "wk", "enrollment", "before")
    assert got == {"tnf_inhibitors": want, "alemtuzumab": want, "ivig": want}


@pytest.mark.parametrize(
    ("sentence", "concept", "window"),
    [
        ("A clinical relapse within the last 60 days", "relapse", ("<=", 60.0, "d", "screening")),
        (
            "Any vaccination within 2 weeks before inclusion",
            "vaccination",
            ("<=", 2.0, "wk", "enrollment"),
        ),
        (
            "Hospitalisation in the 14 days before enrolment",
            "hospitalization",
            ("<=", 14.0, "d", "enrollment"),
        ),
        (
            "Psychiatric hospitalization within 2 years",
            "psychiatric_hospitalization",
            ("<=", 2.0, "a", "screening"),
        ),
        (
            "TNF blockers within 8 weeks before the planned leukapheresis",
            "tnf_inhibitors",
            ("<=", 8.0, "wk", "leukapheresis"),
        ),
        (
            "Steroids within 7 days of protocol enrollment",
            "glucocorticoids",
            ("<=", 7.0, "d", "enrollment"),
        ),
    ],
)
def test_more_dated_concepts_and_anchor_words(
    sentence: str, concept: str, window: tuple[Any, ...]
) -> None:
    assert _windows_by_concept(sentence) == {concept: (*window, "before")}


def test_a_hospital_stay_for_a_named_reason_is_not_any_hospital_stay() -> None:
    assert "hospitalization" not in _windows_by_concept(
        "Hospitalization for asthma within 3 months"
    )


def _negated(sentence: str, section: str = "Inclusion") -> dict[str, bool]:
    text = f"{section} Criteria:\n\n* {sentence}\n"
    return {
        str(r.get("concept")): bool(r.get("negated"))
        for r in node_records(parse_eligibility(text))
        if r["kind"] == "medication"
    }


def test_no_before_a_drug_negates_the_exposure() -> None:
    assert _negated("No belimumab within 12 weeks") == {"belimumab": True}
    assert _negated("Without support of filgrastim within 7 days") == {"g_csf": True}
    # a bare "not" is no negation of the exposure: "not responded to" is a failure
    assert _negated("Has not responded to tacrolimus") == {"tacrolimus": False}


def test_a_window_before_a_colon_introduces_the_list_after_it() -> None:
    got = _windows_by_concept(
        "Any of these drugs in the previous 3 months: spironolactone, ketoconazole or DHEA"
    )
    want = ("<=", 3.0, "mo", "screening", "before")
    assert got == {"spironolactone": want, "ketoconazole": want, "dhea": want}


def test_hormone_and_supportive_drug_names() -> None:
    got = _windows_by_concept(
        "Oestrogens, GnRH agonists, statins or antidepressants within 8 weeks"
    )
    assert set(got) == {"estrogens", "gnrh_analogs", "statins", "antidepressants"}
    # testosterone with a value is the lab, not the drug
    assert _facts("Serum testosterone levels below 300 ng/dL", "Inclusion") == [
        ("threshold", "testosterone", "<", 300.0, "ng/dL", None, None)
    ]


def test_a_window_alone_in_brackets_before_of_dates_the_drug_after() -> None:
    got = _windows_by_concept("A stable dose (for at least 8 weeks) of leflunomide")
    assert got == {"leflunomide": (">=", 8.0, "wk", None, "duration")}
    # a bracketed window of something unread does not jump to the next drug
    assert _windows_by_concept("Psoriasis (within 6 months) and hydroxychloroquine") == {}


def test_hours_are_counted_in_days() -> None:
    (w,) = find_windows("within 96 hours before the infusion")
    assert (w.amount, w.unit.value, w.reference) == (4.0, "days", "first_dose")
    (w,) = find_windows("36 h prior to apheresis")
    assert (w.amount, w.unit.value, w.reference) == (1.5, "days", "leukapheresis")


def test_gvhd_spelling() -> None:
    got = _windows_by_concept("Chronic GvHD within 6 months")
    assert got == {"gvhd": ("<=", 6.0, "mo", "screening", "before")}


def test_a_bracket_opening_on_the_bound_name() -> None:
    got = _facts("Positive antinuclear antibody (ANA) (titre ≥ 1:320)", "Inclusion")
    assert ("titre", "ana_titer_ifa", ">=", 320.0, "", None, None) in got
    got = _facts("Serum albumin (level < 3 g/dL)", "Exclusion")
    assert ("threshold", "albumin", "<", 3.0, "g/dL", None, None) in got


def test_a_joint_count_pair_shares_its_comparator() -> None:
    got = _facts("At least 8 of 68 tender joints and 8 of 66 swollen joints", "Inclusion")
    assert ("threshold", "tender_joint_count_68", ">=", 8.0, "", None, None) in got
    assert ("threshold", "swollen_joint_count_66", ">=", 8.0, "", None, None) in got


def test_washout_spellings() -> None:
    got = _windows_by_concept("Six weeks must have passed since the last dose of abatacept")
    assert got == {"abatacept": (">=", 6.0, "wk", "screening", "before")}
    # a time after a comparator and a drug is a washout, not a dose without a unit
    got = _windows_by_concept("Last infusion of rituximab > 9 months before screening")
    assert got == {"rituximab": (">=", 9.0, "mo", "screening", "before")}


@pytest.mark.parametrize(
    ("sentence", "bounds"),
    [
        ("Adults (≥ 21 years)", [(">=", 21.0)]),
        ("Between the ages of 20 and 60", [(">=", 20.0), ("<=", 60.0)]),
        ("Aged 12 through 17 years", [(">=", 12.0), ("<=", 17.0)]),
        ("At least 18 years old and not older than 64 years", [(">=", 18.0), ("<=", 64.0)]),
        ("Participants younger than 16 years", [("<", 16.0)]),
    ],
)
def test_age_phrasings(sentence: str, bounds: list[tuple[str, float]]) -> None:
    got = [(f[2], f[3]) for f in _facts(sentence, "Inclusion") if f[0] == "age"]
    assert got == bounds


def test_a_half_life_window_never_dates_a_lab_value() -> None:
    text = (
        "Inclusion Criteria:\n\nHaemoglobin ≥ 9 g/dL\n"
        "biologics with an effect on the disease within four half-lives before enrolment\n"
    )
    recs = node_records(parse_eligibility(text))
    hb = [r for r in recs if r.get("concept") == "hemoglobin"]
    assert hb and all(r.get("window") is None for r in hb)


def test_a_monthly_dose_keeps_its_period() -> None:
    got = _facts("Prednisone equivalent of more than 300 mg/month", "Exclusion")
    assert ("dose", "prednisone", ">", 300.0, "mg/mo", None, None) in got


def test_counts_of_disease_episodes() -> None:
    got = _facts("Three or more flares in the previous 24 months", "Inclusion")
    assert ("count", "relapse", ">=", 3.0, "", None, None) in got
    assert ("window", "relapse", "<=", 24.0, "mo", "screening", "before") in got
    # "at least one" is an occurrence, dated by its window, not a count
    got = _facts("At least one relapse in the previous 12 months", "Inclusion")
    assert not [f for f in got if f[0] == "count"]
    assert ("window", "relapse", "<=", 12.0, "mo", "screening", "before") in got
    # a number of episodes with no comparator is not guessed
    assert not [f for f in _facts("2 attacks", "Inclusion") if f[0] == "count"]
