"""Vignettes for NCT06792344 - CD19 CAR-T in childhood-onset refractory systemic sclerosis.

Protocol reading (trials/NCT06792344.yaml): age 5-18 completed years; SSc by the 2013
ACR/EULAR criteria (score >= 9, any date) with an SSc antibody (any date); mRSS >= 15 and the
organ-function panel (LVEF, bedside-Schwartz eGFR from height and creatinine, AST/ALT,
bilirubin, SpO2, DLCO, FVC) inside the 28-day window; intractable disease = glucocorticoid
(>= 0.5 mg/kg/d), cyclophosphamide and an immunomodulator each >= 3 months with SSc still
active (or stopped for lack of efficacy), or rapid progression with a failed routine treatment.
Exclusions need mPAP, the infection serologies and, for girls, a serum hCG inside the window.

Screening date 2026-11-22; the screening window opens 2026-10-25.
"""

from __future__ import annotations

from datetime import date

from tests.vignettes._common import (
    ELIGIBLE,
    INELIGIBLE,
    LAB_DAY,
    NEEDS_DATA,
    BundleBuilder,
    check,
    crit,
    missing_for,
    outcome,
    run,
)

NCT = "NCT06792344"

# ManualReview items listed for every otherwise eligible child (hand-read from the protocol).
# Not listed: "exc-7.gvhd.grade" (no GVHD on record: exclusion 7's GVHD all_of is already false).
COMMON_MANUAL = {
    "inc-6.ecg",
    "inc-7.contraception",
    "inc-8",
    "exc-1.other-organ",
    "exc-3.other",
    "exc-4.congenital",
    "exc-4.arrhythmia.other",
    "exc-4.pericardial",
    "exc-4.vasoactive",
    "exc-6",
    "exc-12",
    "exc-13",
}
# Inclusion 7 names a *urine* pregnancy test; the girls below have one (negative) beside the
# serum hCG that exclusion 10 asks for, so the "not of childbearing age" alternative is settled
# by data and not listed. Without the urine test that alternative cannot stand in for it (the
# evaluator rule of issue 9): see test_girl_without_a_urine_pregnancy_test_needs_one.
GIRL_MANUAL: set[str] = set()
# "except those whose safety risks have been ruled out": needed for a child who did receive
# CAR-T; for one who did not, data settle the exclusion and the item must not be listed.
CART_EXCEPTION = "exc-2.exception.ruled-out"
RAPID_PROGRESSION_MANUAL = {
    "inc-5.rapid-progression.progression",
    "inc-5.rapid-progression.benefit",
}


def child(
    pid: str,
    *,
    birth: str = "2014-06-15",
    gender: str = "female",
    weight_kg: float = 38,
    height_cm: float = 150,
    creatinine: tuple[float, str] = (0.6, "mg/dL"),
    alt: tuple[float, float] = (20, 40),
    mrss: float | None = 22,
    mpap: float = 18,
    serum_hcg: bool | None = False,
    urine_hcg: bool | None = False,
    hbsag: bool = False,
    syphilis: bool = False,
    prednisone_mg: float = 20,
    intractable: bool = True,
) -> BundleBuilder:
    """A child with diffuse cutaneous SSc since May 2023 (2013 ACR/EULAR score 11, anti-Scl-70
    positive) treated with prednisone (20 mg/d for 12 months), monthly IV cyclophosphamide for
    6.5 months and mycophenolate since February 2024 (ongoing), skin still active. The screening
    work-up of 2026-11-12 is normal unless a keyword says otherwise.

    Default dose check: 20 mg / 38 kg = 0.526 mg/kg/d >= 0.5.
    Default eGFR (bedside Schwartz): 0.413 x 150 cm / 0.6 mg/dL = 103.3 mL/min/1.73 m2 >= 30.
    """
    b = BundleBuilder(pid, birth=birth, gender=gender)
    b.condition("ssc_diffuse_cutaneous", "2023-05-01")
    b.score("ssc_acr_eular_2013", 11, "2023-05-20")
    b.result("anti_scl70", True, "2023-05-20")
    if intractable:
        b.med("prednisone", "2023-06-01", "2024-06-01", dose_mg=prednisone_mg)
        b.med("cyclophosphamide", "2023-07-01", "2024-01-15", dose_mg=500)
        b.med("mycophenolate_mofetil", "2024-02-01", None, status="active", dose_mg=500, per_day=2)
    b.lab("body_weight", weight_kg, "kg", LAB_DAY)
    b.lab("body_height", height_cm, "cm", LAB_DAY)
    if mrss is not None:
        b.score("mrss", mrss, LAB_DAY)
    b.lab("lvef", 62, "%", LAB_DAY)
    b.lab("creatinine", creatinine[0], creatinine[1], LAB_DAY)
    b.lab("ast", 30, "U/L", LAB_DAY, ref_high=40)
    b.lab("alt", alt[0], "U/L", LAB_DAY, ref_high=alt[1])
    b.lab("bilirubin_total", 0.5, "mg/dL", LAB_DAY, ref_high=1.0)
    b.lab("spo2", 97, "%", LAB_DAY)
    b.lab("dlco_pct_pred", 68, "%", LAB_DAY)
    b.lab("fvc_pct_pred", 78, "%", LAB_DAY)
    b.lab("mpap", mpap, "mm[Hg]", LAB_DAY)
    b.result("hbsag", hbsag, LAB_DAY)
    b.result("anti_hbc_total", False, LAB_DAY)
    b.result("anti_hcv", False, LAB_DAY)
    b.result("hiv_ab", False, LAB_DAY)
    b.result("syphilis_treponemal", syphilis, LAB_DAY)
    if serum_hcg is not None:
        b.result("hcg_serum_qual", serum_hcg, LAB_DAY)
    if urine_hcg is not None and gender == "female":
        b.result("hcg_urine_qual", urine_hcg, LAB_DAY)
    return b


def test_girl_without_a_urine_pregnancy_test_needs_one() -> None:
    """Inclusion 7 asks a subject of childbearing age for a negative *urine* pregnancy test; the
    girl has only the serum hCG of exclusion 10. The manual alternative ("not of childbearing
    age") may only rescue a urine test known to fail, not stand in for a missing one (issue 9):
    NEEDS_DATA, asking for the urine test and nothing else."""
    res = run(NCT, child("ssc-girl-no-urine-hcg", urine_hcg=None))
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-7.pregnancy-test") == "unknown"
    assert len(res.missing) == 1 and res.missing[0].startswith("hcg_urine_qual result")
    assert "inc-7.pregnancy-test.not-cba" not in res.manual_review


def test_twelve_year_old_girl_with_intractable_diffuse_ssc_is_eligible() -> None:
    """A 12-year-old girl (born 2014-06-15) meets every computable criterion through the
    "intractable disease" branch (prednisone >= 0.5 mg/kg/d, cyclophosphamide and mycophenolate
    each >= 3 months with SSc still active). Her serum hCG is negative. ELIGIBLE; no failed
    routine treatment is recorded, so the rapid-progression branch is FALSE and its manual items
    are not listed."""
    res = run(NCT, child("ssc-girl-eligible"))
    check(res, ELIGIBLE, manual=COMMON_MANUAL | GIRL_MANUAL, settled_by_data={CART_EXCEPTION})
    assert outcome(res, "inc-5.intractable") == "pass"
    assert outcome(res, "inc-6.egfr") == "pass"
    assert abs(crit(res, "inc-6.egfr").evidence[-1].value - 0.413 * 150 / 0.6) < 0.01


def test_boy_aged_18_years_11_months_enters_through_rapid_progression() -> None:
    """A boy born 2007-12-20 is 18 in completed years on 2026-11-22: the upper bound 18 is
    inclusive, so he is in range. He never had cyclophosphamide (the intractable branch fails),
    but mycophenolate was stopped for lack of efficacy, which is the computable part of the
    "rapid disease progression ... clinical routine treatment is ineffective" branch. ELIGIBLE,
    with the rapid-progression judgment and benefit/risk left to the investigator.
    eGFR = 0.413 x 176 / 0.9 = 80.8; a boy needs no pregnancy test."""
    b = BundleBuilder("ssc-boy-18", birth="2007-12-20", gender="male")
    b.condition("systemic_sclerosis", "2021-09-01")
    b.score("ssc_acr_eular_2013", 13, "2021-10-01")
    b.result("anti_centromere", True, "2021-10-01")
    b.med("prednisone", "2021-10-01", "2022-10-01", dose_mg=30)
    b.med(
        "mycophenolate_mofetil",
        "2022-01-01",
        "2026-05-01",
        dose_mg=1000,
        per_day=2,
        reason="lack of efficacy",
    )
    b.lab("body_weight", 62, "kg", LAB_DAY)
    b.lab("body_height", 176, "cm", LAB_DAY)
    b.score("mrss", 27, LAB_DAY)
    b.lab("lvef", 58, "%", LAB_DAY)
    b.lab("creatinine", 0.9, "mg/dL", LAB_DAY)
    b.lab("ast", 28, "U/L", LAB_DAY, ref_high=40)
    b.lab("alt", 31, "U/L", LAB_DAY, ref_high=40)
    b.lab("bilirubin_total", 0.7, "mg/dL", LAB_DAY, ref_high=1.2)
    b.lab("spo2", 95, "%", LAB_DAY)
    b.lab("dlco_pct_pred", 52, "%", LAB_DAY)
    b.lab("fvc_pct_pred", 64, "%", LAB_DAY)
    b.lab("mpap", 22, "mm[Hg]", LAB_DAY)
    for key in ("hbsag", "anti_hbc_total", "anti_hcv", "hiv_ab", "syphilis_treponemal"):
        b.result(key, False, LAB_DAY)
    res = run(NCT, b)
    check(
        res,
        ELIGIBLE,
        manual=COMMON_MANUAL | RAPID_PROGRESSION_MANUAL,
        settled_by_data={CART_EXCEPTION},
    )
    assert outcome(res, "inc-1") == "pass"
    assert outcome(res, "inc-5.intractable.cyclophosphamide") == "fail"
    assert outcome(res, "inc-5.rapid-progression.routine-failed") == "pass"


def test_four_year_old_is_too_young_until_his_fifth_birthday() -> None:
    """A boy born 2022-03-15 is 4 on the screening date: "age >= 5 years" fails. Everything else
    holds (16 kg, 10 mg prednisone = 0.625 mg/kg/d; eGFR 0.413 x 102 / 0.35 = 120.4), so the
    only failure is age, which time alone cures: earliest eligible date = his fifth birthday,
    2027-03-15."""
    b = child(
        "ssc-boy-4",
        birth="2022-03-15",
        gender="male",
        weight_kg=16,
        height_cm=102,
        creatinine=(0.35, "mg/dL"),
        prednisone_mg=10,
        serum_hcg=None,
    )
    res = run(NCT, b)
    check(res, INELIGIBLE, {"inc-1"}, earliest=date(2027, 3, 15))
    assert outcome(res, "inc-1") == "fail"


def test_nineteen_year_old_is_too_old() -> None:
    """A young woman born 2007-06-01 is 19 on the screening date: above the registry's upper
    age of 18. INELIGIBLE for inclusion 1; growing older never helps, so no earliest date."""
    res = run(NCT, child("ssc-19", birth="2007-06-01", weight_kg=55, prednisone_mg=30))
    check(res, INELIGIBLE, {"inc-1"}, earliest=None)


def test_bedside_schwartz_egfr_from_creatinine_in_umol_per_l_below_30() -> None:
    """The 12-year-old girl (150 cm) in scleroderma renal crisis: creatinine 199 µmol/L =
    199 / 88.4 = 2.2511 mg/dL; bedside Schwartz eGFR = 0.413 x 150 / 2.2511 = 27.52
    mL/min/1.73 m2 < 30. Inclusion 6 (organ function) fails. INELIGIBLE."""
    res = run(NCT, child("ssc-renal-crisis", creatinine=(199, "umol/L")))
    check(res, INELIGIBLE, {"inc-6"}, earliest=None)
    egfr = crit(res, "inc-6.egfr")
    assert egfr.outcome == "fail"
    assert abs(egfr.evidence[-1].value - 27.52) < 0.01


def test_alt_above_three_times_a_paediatric_uln() -> None:
    """The girl's laboratory uses a paediatric ALT range with ULN 25 U/L: 3.0 x 25 = 75, and her
    ALT is 80 U/L, so "AST and ALT <= 3.0 ULN" fails (with the adult default of 40 U/L she would
    have passed at 120). INELIGIBLE for inclusion 6."""
    res = run(NCT, child("ssc-alt", alt=(80, 25)))
    check(res, INELIGIBLE, {"inc-6"}, earliest=None)
    alt = crit(res, "inc-6.alt")
    assert alt.outcome == "fail"
    assert alt.evidence[0].uln == 25 and alt.evidence[0].threshold == 75
    assert outcome(res, "inc-6.ast") == "pass"


def test_mmr_booster_two_weeks_ago_blocks_until_four_weeks_have_passed() -> None:
    """The girl had an MMR booster (live) on 2026-11-08. "Had received live vaccine within 4
    weeks before screening": 2026-11-08 + 28 days = 2026-12-06 is the last day inside the
    window, so the first clear day is 2026-12-07."""
    b = child("ssc-mmr")
    b.vaccine("mmr", "2026-11-08")
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-9"}, earliest=date(2026, 12, 7))


def test_inactivated_influenza_vaccine_does_not_count() -> None:
    """Same girl, but the vaccine on 2026-11-08 was the inactivated influenza vaccine: not live,
    so exclusion 9 is not met. ELIGIBLE."""
    b = child("ssc-flu")
    b.vaccine("influenza_inactivated", "2026-11-08")
    res = run(NCT, b)
    check(res, ELIGIBLE, manual=COMMON_MANUAL | GIRL_MANUAL, settled_by_data={CART_EXCEPTION})
    assert outcome(res, "exc-9") == "pass"


def test_mrss_older_than_the_screening_window_is_missing() -> None:
    """The girl's last mRSS was taken on 2026-09-01, before the window opened (2026-10-25).
    Inclusion 4 (mRSS >= 15) cannot be judged: NEEDS_DATA, asking for an mRSS measured on or
    after 2026-10-25 and saying the September value is too old."""
    b = child("ssc-old-mrss", mrss=None)
    b.score("mrss", 24, "2026-09-01")
    res = run(NCT, b)
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-4") == "unknown"
    wanted = missing_for(res, "mrss score (or its items) measured on or after 2026-10-25")
    assert len(wanted) == 1 and "latest on record is 2026-09-01, too old" in wanted[0]


def test_missing_names_only_the_data_that_can_change_the_verdict() -> None:
    """With HBsAg, anti-HBc and anti-HCV all negative, "HBsAg or HBcAb positive AND HBV DNA
    above range" and "HCV antibody positive AND HCV RNA above range" are already false: no HBV
    DNA or HCV RNA is needed. So the eligible girl has nothing missing, and the girl whose mRSS
    is too old is missing exactly one thing, the mRSS."""
    eligible = run(NCT, child("ssc-girl-nothing-missing"))
    check(eligible, ELIGIBLE, manual=COMMON_MANUAL | GIRL_MANUAL, settled_by_data={CART_EXCEPTION})
    assert eligible.missing == ()
    b = child("ssc-old-mrss-only", mrss=None)
    b.score("mrss", 24, "2026-09-01")
    res = run(NCT, b)
    check(res, NEEDS_DATA)
    assert len(res.missing) == 1
    assert res.missing[0].startswith("mrss score (or its items) measured on or after 2026-10-25")


def test_hodgkin_lymphoma_in_remission_still_excludes() -> None:
    """The girl was treated for Hodgkin lymphoma in 2019 and has been in remission since 2020.
    "Patients with known malignant diseases such as tumors before screening" states no time
    limit and no carve-out: exclusion 11 is met. INELIGIBLE, no date."""
    b = child("ssc-hodgkin")
    b.condition("malignancy", "2019-02-01", active=False)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-11"}, earliest=None)


def test_stem_cell_transplant_within_three_months() -> None:
    """The girl received an autologous haematopoietic stem-cell transplant on 2026-09-15.
    "within 3 months before screening": 2026-09-15 + 3 months = 2026-12-15 is the last day it
    counts, so she is clear from 2026-12-16."""
    b = child("ssc-hsct")
    b.procedure("hsct", "2026-09-15")
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-7"}, earliest=date(2026, 12, 16))
    assert outcome(res, "exc-7.transplant") == "fail"


def test_kidney_transplant_on_the_last_day_of_a_month() -> None:
    """The girl received a kidney transplant for scleroderma renal crisis on 2026-09-30.
    Windows are calendar months with the day clamped to the month's end. On 2026-12-31, "3
    months before" is 2026-09-30 (there is no 31 September), so the transplant is still within
    the window; on 2027-01-01 the window opens on 2026-10-01 and the transplant is outside.
    The earliest eligible date is therefore 2027-01-01, and screening on that date clears it."""
    b = child("ssc-kidney-tx")
    b.procedure("kidney_transplant", "2026-09-30")
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-7"})
    assert run(NCT, b, as_of=date(2026, 12, 31)).verdict is INELIGIBLE
    assert res.earliest_eligible_date == date(2027, 1, 1)


def test_prior_car_t_with_risks_ruled_out_is_not_excluded() -> None:
    """The girl received a CD19 CAR-T product (tisagenlecleucel) on compassionate grounds in
    2025. Exclusion 2 applies "except those whose safety risks have been ruled out by the
    investigators"; that judgment is a ManualReview assumed favourable pending review, so the
    exclusion is not met: ELIGIBLE, with the exception listed for the investigator."""
    b = child("ssc-prior-cart")
    b.med("tisagenlecleucel", "2025-04-10", "2025-04-10")
    res = run(NCT, b)
    check(res, ELIGIBLE, manual=COMMON_MANUAL | GIRL_MANUAL | {CART_EXCEPTION})
    assert outcome(res, "exc-2.prior") == "fail"  # she did receive CAR-T...
    assert outcome(res, "exc-2") == "pass"  # ...but the exception is assumed pending review
    assert "exc-2.exception.ruled-out" in res.manual_review


def test_positive_blood_pregnancy_test_excludes() -> None:
    """A 16-year-old girl (born 2010-03-03, 52 kg, prednisone 30 mg = 0.58 mg/kg/d) has a
    positive serum hCG at screening: exclusion 10. INELIGIBLE."""
    res = run(
        NCT,
        child(
            "ssc-16-pregnant", birth="2010-03-03", weight_kg=52, prednisone_mg=30, serum_hcg=True
        ),
    )
    check(res, INELIGIBLE, {"exc-10"}, earliest=None)


def test_mean_pulmonary_artery_pressure_above_45_excludes() -> None:
    """The girl's right-heart catheter shows mPAP 48 mmHg: "Severe pulmonary hypertension (mean
    pulmonary pressure > 45mmHg)", exclusion 1. INELIGIBLE."""
    res = run(NCT, child("ssc-pah", mpap=48))
    check(res, INELIGIBLE, {"exc-1"}, earliest=None)
    assert outcome(res, "exc-1.mpap") == "fail"


def test_positive_treponemal_antibody_excludes() -> None:
    """The girl's treponemal antibody is positive: "Treponema pallidum antibody positive"
    (exclusion 8). INELIGIBLE."""
    res = run(NCT, child("ssc-syphilis", syphilis=True))
    check(res, INELIGIBLE, {"exc-8"}, earliest=None)
    assert outcome(res, "exc-8.syphilis") == "fail"


def test_hbsag_positive_with_hbv_dna_without_reference_range() -> None:
    """The girl is HBsAg positive and her HBV DNA is 5,000 IU/mL, reported without a reference
    range. The protocol reads "HBV DNA detection greater than the normal range" against the
    result's range, else the documented default (20 IU/mL): 5,000 > 20, so exclusion 8 is met.
    INELIGIBLE."""
    b = child("ssc-hbv-norange", hbsag=True)
    b.lab("hbv_dna", 5000, "[IU]/mL", LAB_DAY)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-8"}, earliest=None)
    assert outcome(res, "exc-8.hbv.dna") == "fail"
