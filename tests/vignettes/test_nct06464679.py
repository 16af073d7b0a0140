"""Vignettes for NCT06464679 (CHEC2024-181) - CD19 CAR-NK in refractory Sjögren's syndrome,
systemic sclerosis, idiopathic inflammatory myopathy and rheumatoid arthritis (Changhai).

Protocol reading (trials/NCT06464679.yaml): age 18-65; organ function inside the 28-day window
(WBC >= 3, ANC >= 1, Hb >= 60 g/L; liver tests within limits or - per "(No requirements for
conditions caused by the disease itself)" - pending the investigator; Cockcroft-Gault CrCl >= 60
mL/min with no exception; INR and PT strictly below 1.5 x ULN); a negative serum hCG within 7
days for women of childbearing potential and not lactating; four disease cohorts as
alternatives. Exclusions need the infection serologies and, for women, a serum hCG in the window;
malignancy excludes at any time except NMSC and carcinoma in situ disease-free > 5 years; each
cohort has its own exclusions, gated on the cohort's diagnosis.

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

NCT = "NCT06464679"
HCG_DAY = "2026-11-18"  # inside the 7 days before screening that inclusion 3 asks for

# ManualReview items listed for every otherwise eligible patient (hand-read from the protocol).
# Not listed when real data settle their parent: "inc-2.2.disease-caused" (liver tests within
# limits), "inc-3.hcg.not-cbp" (negative serum hCG, or a man).
COMMON_MANUAL = {
    "inc-2.1.no-csf",
    "inc-2.5",
    "inc-3.contraception",
    "inc-4",
    "exc-1",
    "exc-2.other",
    "exc-3.other",
    "exc-4.other",
    "exc-9.other",
    "exc-10",
    "exc-11.intend",
    "exc-12",
}
LIVER_EXCEPTION = "inc-2.2.disease-caused"  # needed only when a liver test is out of range
# The cohort-specific exclusions are all_of(cohort diagnosis, ...): their manual items matter
# only for patients of that cohort.
PSS_MANUAL = {"inc-5.pss.1.criteria", "inc-5.pss.3.relapse", "exc-pss.2.mpd"}
SSC_MANUAL = {"inc-5.ssc.3.relapse"}
IIM_MANUAL = {"inc-5.iim.1.criteria", "inc-5.iim.4.relapse", "exc-iim.1", "exc-iim.3"}
RA_MANUAL = {"inc-5.ra.1.criteria", "inc-5.ra.4.1.guidelines", "inc-5.ra.4.2", "exc-ra.1"}
# Manual items whose branch data alone already settle (another cohort's exclusions, RA items of an
# any_of / at_least met by data): the engine must NOT list them (settled_by_data).
FOREIGN_COHORT_EXCLUSIONS = {"exc-pss.2.mpd", "exc-iim.1", "exc-iim.3"}
RA_SETTLED_BY_DATA = {
    "inc-5.ra.4.1.socioeconomic.limited",
    "inc-5.ra.4.1.csdmard-contraindicated.ci",
    "inc-5.ra.4.1.csdmard-contraindicated.mechanisms",
    "inc-5.ra.4.3.2",
    "inc-5.ra.4.3.3",
    "inc-5.ra.4.3.4",
    "inc-5.ra.4.3.5",
}


def screening(
    b: BundleBuilder,
    *,
    female: bool = True,
    weight_kg: float = 55,
    creatinine: tuple[float, str] = (0.9, "mg/dL"),
    alt: tuple[float, float] = (25, 40),
    serum_hcg: bool = False,
) -> BundleBuilder:
    """The screening panel of 2026-11-12 (serum hCG on 2026-11-18), normal unless a keyword says
    otherwise. ``alt`` = (value U/L, the lab's ULN)."""
    b.lab("wbc", 4.5, "10*9/L", LAB_DAY)
    b.lab("anc", 2.6, "10*9/L", LAB_DAY)
    b.lab("hemoglobin", 12.1, "g/dL", LAB_DAY)
    b.lab("alt", alt[0], "U/L", LAB_DAY, ref_high=alt[1])
    b.lab("ast", 27, "U/L", LAB_DAY, ref_high=40)
    b.lab("bilirubin_total", 0.6, "mg/dL", LAB_DAY, ref_high=1.2)
    b.lab("creatinine", creatinine[0], creatinine[1], LAB_DAY)
    b.lab("body_weight", weight_kg, "kg", LAB_DAY)
    b.lab("inr", 1.0, "{INR}", LAB_DAY, ref_low=0.8, ref_high=1.2)
    b.lab("prothrombin_time", 12, "s", LAB_DAY, ref_low=10, ref_high=13)
    for key in ("hbsag", "anti_hbc_total", "anti_hcv", "hiv_ab", "syphilis_treponemal"):
        b.result(key, False, LAB_DAY)
    if female:
        b.result("hcg_serum_qual", serum_hcg, HCG_DAY)
    return b


def sjogren_woman(
    pid: str, *, birth: str = "1981-08-12", essdai: float | None = 9, **labs: object
) -> BundleBuilder:
    """A 45-year-old woman with primary Sjögren's syndrome since 2015 (parotid swelling,
    cytopenias, polyneuropathy), ESSDAI 9 at screening, hydroxychloroquine since 2015.
    Default CrCl: (140 - 45) x 55 / (72 x 0.9) x 0.85 = 68.5 mL/min >= 60."""
    b = BundleBuilder(pid, birth=birth, gender="female")
    b.condition("primary_sjogren", "2015-03-01")
    b.med("hydroxychloroquine", "2015-04-01", None, status="active", dose_mg=200, per_day=2)
    if essdai is not None:
        b.score("essdai", essdai, LAB_DAY)
    return screening(b, **labs)  # type: ignore[arg-type]


def ssc_man(pid: str, *, ild: bool = False, **labs: object) -> BundleBuilder:
    """A 52-year-old man with diffuse cutaneous SSc since 2019 (2013 ACR/EULAR score 12)."""
    b = BundleBuilder(pid, birth="1974-05-05", gender="male")
    b.condition("ssc_diffuse_cutaneous", "2019-06-01")
    b.score("ssc_acr_eular_2013", 12, "2019-07-01")
    if ild:
        b.condition("ssc_ild", "2021-01-10")
    labs.setdefault("weight_kg", 80)
    labs.setdefault("creatinine", (1.0, "mg/dL"))
    return screening(b, female=False, **labs)  # type: ignore[arg-type]


def ra_man(pid: str, *, diagnosed: str = "2014-09-01") -> BundleBuilder:
    """A 58-year-old man with seropositive RA: 8 swollen (of 66) and 11 tender (of 68) joints,
    CRP 24 mg/L, DAS28-ESR 5.1; methotrexate (inadequate response), adalimumab (loss of
    response) and tocilizumab (intolerance) have failed.
    CrCl: (140 - 58) x 82 / (72 x 1.0) = 93.4 mL/min >= 60."""
    b = BundleBuilder(pid, birth="1968-02-20", gender="male")
    b.condition("rheumatoid_arthritis", diagnosed)
    b.med("methotrexate", "2014-10-01", "2017-03-01", dose_mg=20, reason="inadequate response")
    b.med("adalimumab", "2017-04-01", "2020-01-01", reason="loss of response")
    b.med("tocilizumab", "2020-02-01", "2025-12-01", reason="intolerance")
    b.lab("swollen_joint_count_66", 8, "{count}", LAB_DAY)
    b.lab("tender_joint_count_68", 11, "{count}", LAB_DAY)
    b.lab("crp", 24, "mg/L", LAB_DAY)
    b.score("das28_esr", 5.1, LAB_DAY)
    return screening(b, female=False, weight_kg=82, creatinine=(1.0, "mg/dL"))


# ------------------------------------------------------------------------------ cohorts


def test_sjogren_with_essdai_9_is_eligible() -> None:
    """Sjögren cohort: pSS on record, ESSDAI 9 >= 5; "ineffective conventional treatment or
    relapse after remission" holds pending the investigator (relapse). Negative serum hCG on
    2026-11-18 (within 7 days), CrCl 68.5 >= 60. ELIGIBLE."""
    res = run(NCT, sjogren_woman("pss-eligible"))
    check(
        res,
        ELIGIBLE,
        manual=COMMON_MANUAL | PSS_MANUAL,
        settled_by_data=FOREIGN_COHORT_EXCLUSIONS - PSS_MANUAL,
    )
    assert outcome(res, "inc-5.pss.2") == "pass"
    assert abs(crit(res, "inc-2.3").evidence[-1].value - (140 - 45) * 55 / (72 * 0.9) * 0.85) < 0.01


def test_diffuse_ssc_without_lung_disease_is_eligible() -> None:
    """SSc cohort: the man has no interstitial lung disease, so the conditional "If combined
    with interstitial pneumonia ... FVC or DLCO <70%" does not apply. CrCl (140 - 52) x 80 /
    (72 x 1.0) = 97.8 >= 60; a man needs no pregnancy test. ELIGIBLE."""
    res = run(NCT, ssc_man("ssc-eligible"))
    check(
        res,
        ELIGIBLE,
        # inc-5.ssc.3 (refractory) holds only by the assumed "relapse after remission", so the
        # progression alternative inc-5.ssc.4 is listed too
        manual=COMMON_MANUAL | SSC_MANUAL | {"inc-5.ssc.4"},
        settled_by_data=FOREIGN_COHORT_EXCLUSIONS,
    )
    assert outcome(res, "inc-5.ssc.2.no-ild") == "pass"


def test_ssc_lung_disease_with_preserved_lung_function_does_not_qualify() -> None:
    """The same man has SSc-ILD, but FVC 82 % and DLCO 75 % of predicted: neither is below 70 %,
    so "If combined with interstitial pneumonia, ... FVC or DLCO <70%" fails and the SSc cohort
    with it. INELIGIBLE for inclusion 5 (no other cohort applies)."""
    b = ssc_man("ssc-ild-mild", ild=True)
    b.lab("fvc_pct_pred", 82, "%", LAB_DAY)
    b.lab("dlco_pct_pred", 75, "%", LAB_DAY)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"inc-5"}, earliest=None)
    assert outcome(res, "inc-5.ssc.2") == "fail"
    assert outcome(res, "inc-5.ssc.2.ild.pft") == "fail"


def test_polymyositis_with_anti_jo1_is_eligible() -> None:
    """Myositis cohort: a 39-year-old woman with anti-Jo-1 positive polymyositis, MMT-8 120
    (< 142), HAQ-DI 0.8 (>= 0.25) and CK 2,000 U/L (>= 1.5 x 200 = 300): two core measures
    abnormal. ELIGIBLE."""
    b = BundleBuilder("iim-eligible", birth="1987-10-10", gender="female")
    b.condition("polymyositis", "2021-05-01")
    b.result("anti_jo1", True, "2021-05-10")
    b.score("mmt8", 120, LAB_DAY)
    b.score("haq_di", 0.8, LAB_DAY)
    b.lab("creatine_kinase", 2000, "U/L", LAB_DAY, ref_high=200)
    screening(b, weight_kg=60)
    res = run(NCT, b)
    check(
        res,
        ELIGIBLE,
        manual=COMMON_MANUAL | IIM_MANUAL,
        settled_by_data=FOREIGN_COHORT_EXCLUSIONS - IIM_MANUAL,
    )
    assert outcome(res, "inc-5.iim.2.muscle") == "pass"
    assert outcome(res, "exc-iim") == "pass"


def test_difficult_to_treat_rheumatoid_arthritis_is_eligible() -> None:
    """RA cohort: diagnosed 2014 (>= 6 months), 8 swollen / 11 tender joints (>= 6 each), CRP
    24 mg/L (>= 10), a csDMARD and two b/tsDMARDs failed, DAS28-ESR 5.1 > 3.2. ELIGIBLE, with the
    EULAR difficult-to-treat judgments left to the investigator."""
    res = run(NCT, ra_man("ra-eligible"))
    check(
        res,
        ELIGIBLE,
        manual=COMMON_MANUAL | RA_MANUAL,
        settled_by_data=FOREIGN_COHORT_EXCLUSIONS | RA_SETTLED_BY_DATA,
    )
    assert outcome(res, "inc-5.ra.4.1.standard") == "pass"
    assert outcome(res, "inc-5.ra.4.3.1.das28") == "pass"


def test_manual_review_omits_exclusions_of_a_cohort_she_is_not_in() -> None:
    """The Sjögren patient has no inflammatory myopathy: "Exclusion criteria for recurrent
    refractory idiopathic inflammatory myopathies" cannot apply to her whatever the
    investigator finds about drug-induced or tumour-associated myositis, so those two items are
    not hers to confirm (exactly as the RA-specific item is already left out for her)."""
    res = run(NCT, sjogren_woman("pss-no-myositis-items"))
    check(res, ELIGIBLE)
    assert "exc-ra.1" not in res.manual_review
    assert "exc-iim.1" not in res.manual_review
    assert "exc-iim.3" not in res.manual_review


def test_manual_review_keeps_the_alternative_when_a_branch_holds_only_by_assumption() -> None:
    """The SSc man has no recorded treatment failure: he qualifies through "relapse of disease
    activity after remission" or through "progressiveness", both the investigator's judgment.
    If relapse is not confirmed, progression still could be, so both must be listed."""
    res = run(NCT, ssc_man("ssc-both-alternatives"))
    check(res, ELIGIBLE)
    assert "inc-5.ssc.3.relapse" in res.manual_review
    assert "inc-5.ssc.4" in res.manual_review


# ------------------------------------------------------------------------------ labs


def test_cockcroft_gault_below_60_from_creatinine_in_umol_per_l() -> None:
    """A 60-year-old man with SSc (70 kg), creatinine 133 µmol/L = 1.5045 mg/dL: CrCl =
    (140 - 60) x 70 / (72 x 1.5045) = 51.7 mL/min < 60. No exception in this protocol:
    INELIGIBLE for inclusion 2."""
    b = BundleBuilder("ssc-crcl", birth="1966-01-15", gender="male")
    b.condition("ssc_diffuse_cutaneous", "2019-06-01")
    b.score("ssc_acr_eular_2013", 12, "2019-07-01")
    screening(b, female=False, weight_kg=70, creatinine=(133, "umol/L"))
    res = run(NCT, b)
    check(res, INELIGIBLE, {"inc-2"}, earliest=None)
    crcl = crit(res, "inc-2.3")
    assert crcl.outcome == "fail"
    expected = (140 - 60) * 70 / (72 * (133 / 88.4))
    assert abs(expected - 51.70) < 0.01
    assert abs(crcl.evidence[-1].value - expected) < 0.01


def test_alt_above_limit_passes_only_as_caused_by_the_disease() -> None:
    """The Sjögren patient has ALT 150 U/L (3 x 40 = 120: above). The liver requirement closes
    with "(No requirements for conditions caused by the disease itself)": assumed pending the
    investigator's confirmation, so she stays ELIGIBLE with the ALT failure visible."""
    res = run(NCT, sjogren_woman("pss-alt", alt=(150, 40)))
    check(
        res,
        ELIGIBLE,
        manual=COMMON_MANUAL | PSS_MANUAL | {LIVER_EXCEPTION},
        settled_by_data=FOREIGN_COHORT_EXCLUSIONS - PSS_MANUAL,
    )
    assert outcome(res, "inc-2.2.limits.alt") == "fail"
    assert outcome(res, "inc-2.2.limits") == "fail"
    assert outcome(res, "inc-2.2") == "pass"


def test_essdai_older_than_the_window_is_missing() -> None:
    """The Sjögren patient's last ESSDAI is from 2026-08-20, before the window opened
    (2026-10-25). The Sjögren cohort cannot be judged and no other cohort applies: NEEDS_DATA,
    asking for an ESSDAI measured on or after 2026-10-25."""
    b = sjogren_woman("pss-old-essdai", essdai=None)
    b.score("essdai", 11, "2026-08-20")
    res = run(NCT, b)
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-5") == "unknown"
    wanted = missing_for(res, "essdai score (or its items) measured on or after 2026-10-25")
    assert len(wanted) == 1 and "latest on record is 2026-08-20, too old" in wanted[0]


def test_missing_names_only_the_essdai() -> None:
    """Same Sjögren patient with a stale ESSDAI: the cohorts she has no diagnosis for are FALSE
    whatever their scores, and her hepatitis antibodies are negative; the one datum that can
    change her verdict is a current ESSDAI, so that is all ``missing`` should name."""
    b = sjogren_woman("pss-old-essdai-only", essdai=None)
    b.score("essdai", 11, "2026-08-20")
    res = run(NCT, b)
    check(res, NEEDS_DATA)
    assert len(res.missing) == 1
    assert res.missing[0].startswith("essdai score (or its items) measured on or after 2026-10-25")


# ------------------------------------------------------------------------------ windows, history


def test_rheumatoid_arthritis_diagnosed_four_months_ago_is_too_recent() -> None:
    """The RA man's diagnosis is dated 2026-07-15: "a previous diagnosis of rheumatoid arthritis
    >= 6 months" is not met until 2026-07-15 + 6 months = 2027-01-15. Every other RA item holds
    and no other cohort applies, so the earliest eligible date is 2027-01-15."""
    res = run(NCT, ra_man("ra-recent", diagnosed="2026-07-15"))
    check(res, INELIGIBLE, {"inc-5"}, earliest=date(2027, 1, 15))
    assert outcome(res, "inc-5.ra.1.diagnosis") == "fail"


def test_seventeen_year_old_waits_for_her_eighteenth_birthday() -> None:
    """A Sjögren patient born 2009-01-10 is 17: "Age: >= 18 years old". Only age fails, so she
    becomes eligible on her 18th birthday, 2027-01-10."""
    res = run(NCT, sjogren_woman("pss-17", birth="2009-01-10"))
    check(res, INELIGIBLE, {"inc-1"}, earliest=date(2027, 1, 10))


def test_cervical_carcinoma_in_situ_less_than_five_years_disease_free() -> None:
    """The Sjögren patient had a cervical carcinoma in situ treated on 2022-03-01 (resolved).
    The carve-out requires "disease-free for more than 5 years": 2022-03-01 + 5 years =
    2027-03-01 is the last day inside, so she is clear from 2027-03-02."""
    b = sjogren_woman("pss-cin")
    b.condition("cervical_cis", "2022-03-01", active=False)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-6"}, earliest=date(2027, 3, 2))
    assert outcome(res, "exc-6.carve-out.recent") == "fail"


def test_skin_cancer_disease_free_for_eight_years_is_excepted() -> None:
    """A basal-cell carcinoma excised in 2018, disease-free since: excepted. ELIGIBLE."""
    b = sjogren_woman("pss-old-bcc")
    b.condition("nmsc", "2018-05-01", active=False)
    res = run(NCT, b)
    check(
        res,
        ELIGIBLE,
        manual=COMMON_MANUAL | PSS_MANUAL,
        settled_by_data=FOREIGN_COHORT_EXCLUSIONS - PSS_MANUAL,
    )
    assert outcome(res, "exc-6") == "pass"


def test_invasive_breast_cancer_excludes_however_long_ago() -> None:
    """Invasive breast cancer treated in 2012, disease-free since: "Subjects with malignant
    tumors" has no time limit, and only NMSC and carcinoma in situ are excepted. INELIGIBLE,
    with no earliest date."""
    b = sjogren_woman("pss-breast")
    b.condition("malignancy", "2012-09-01", active=False)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-6"}, earliest=None)
    assert outcome(res, "exc-6.malignancy") == "fail"


def test_sjogren_with_liver_cirrhosis_meets_the_cohort_exclusion() -> None:
    """The Sjögren patient has liver cirrhosis (primary biliary cholangitis overlap): "Exclusion
    criteria for relapsing refractory dry syndrome: 1. Combined cirrhosis of the liver".
    INELIGIBLE for the Sjögren-specific exclusion."""
    b = sjogren_woman("pss-cirrhosis")
    b.condition("cirrhosis", "2023-11-01")
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-pss"}, earliest=None)
    assert outcome(res, "exc-pss.1") == "fail"


def test_positive_serum_hcg_excludes() -> None:
    """The Sjögren patient's serum hCG on 2026-11-18 is positive: "Pregnant or intending to
    conceive women" (exclusion 11). INELIGIBLE."""
    res = run(NCT, sjogren_woman("pss-pregnant", serum_hcg=True))
    check(res, INELIGIBLE, {"exc-11"}, earliest=None)
    assert outcome(res, "exc-11.hcg") == "fail"


def test_breastfeeding_mother_is_not_eligible() -> None:
    """A 34-year-old Sjögren patient is breastfeeding her 5-month-old: "are not lactating"
    (inclusion 3) fails. INELIGIBLE for inclusion 3."""
    b = sjogren_woman("pss-lactating", birth="1992-06-06")
    b.condition("lactation", "2026-06-20")
    res = run(NCT, b)
    check(res, INELIGIBLE, {"inc-3"}, earliest=None)
    assert outcome(res, "inc-3.not-lactating") == "fail"


def test_inclusion_body_myositis_does_not_exclude_a_sjogren_patient() -> None:
    """The Sjögren patient also has inclusion body myositis (an association of pSS). "Exclusion
    criteria for recurrent refractory idiopathic inflammatory myopathies: ... 2. Inclusion body
    myositis" belongs to the myositis cohort (DM, PM, ASS, NM), which she does not enter through:
    it does not apply to her. ELIGIBLE through the Sjögren cohort."""
    b = sjogren_woman("pss-ibm")
    b.condition("inclusion_body_myositis", "2024-01-10")
    res = run(NCT, b)
    check(res, ELIGIBLE)
    assert outcome(res, "exc-iim.cohort") == "pass"
    assert outcome(res, "exc-iim") == "pass"


def test_inclusion_body_myositis_excludes_a_polymyositis_patient() -> None:
    """The anti-Jo-1 polymyositis patient of the myositis vignette whose diagnosis is revised to
    include inclusion body myositis: she is in the myositis cohort, so its exclusion "2. Inclusion
    body myositis" applies. INELIGIBLE for the cohort-specific exclusion."""
    b = BundleBuilder("iim-ibm", birth="1987-10-10", gender="female")
    b.condition("polymyositis", "2021-05-01")
    b.condition("inclusion_body_myositis", "2025-02-01")
    b.result("anti_jo1", True, "2021-05-10")
    b.score("mmt8", 120, LAB_DAY)
    b.score("haq_di", 0.8, LAB_DAY)
    b.lab("creatine_kinase", 2000, "U/L", LAB_DAY, ref_high=200)
    screening(b, weight_kg=60)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"exc-iim"}, earliest=None)
    assert outcome(res, "exc-iim.2") == "fail"
