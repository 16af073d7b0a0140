"""Vignettes for NCT05239702 - CD7 CAR-T in refractory autoimmune disease (Zhejiang University).

Protocol reading (trials/NCT05239702.yaml): four disease cohorts are alternatives (Crohn's
disease / ulcerative colitis, dermatomyositis, adult-onset Still's disease, rheumatoid
arthritis), each needing the diagnosis and a recorded failure or intolerance of the named
therapies. Exclusion 9 needs creatinine, ALT, AST and bilirubin inside the 28-day screening
window; exclusion 5 needs the hepatitis B/C markers; exclusion 11 the HIV antibody; a woman needs
a urine hCG (exclusion 3, "Pregnant").

Screening date 2026-11-22; the screening window opens 2026-10-25.
"""

from __future__ import annotations

from datetime import date

from cartrial.evaluate import ScreeningResult
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

NCT = "NCT05239702"

# The protocol file models the page's exclusion preamble ("Subjects with any of the following
# exclusion criteria were not eligible for this trial:") as ONE top-level any_of, id "exc", holding
# exc-1 .. exc-12. So every exclusion is reported under the top-level id "exc"; each vignette also
# pins the exact exclusion item that fails with :func:`failing_exclusions`.
EXC = "exc"


def failing_exclusions(res: ScreeningResult) -> set[str]:
    """The exclusion items (exc-1 .. exc-12, children of "exc") that are met for the patient."""
    return {c.id for c in res.criteria if c.parent == EXC and c.outcome == "fail"}


# ManualReview items outside the disease cohorts that are listed for an otherwise eligible
# patient (hand-read from the protocol file). "inc-6.pregnancy-test.not-cbp" (woman not of
# childbearing potential) is not among them: a negative urine hCG, or being a man, already
# settles that any_of, so the assumption is not needed.
COMMON_MANUAL = {
    "inc-5",  # estimated survival > 12 weeks
    "inc-6.contraception",
    "inc-7",
    "exc-1.trauma-consciousness",
    "exc-2.qt",
    "exc-2.heart-disease",
    "exc-4.other",
    "exc-7.other",
    "exc-8",
    "exc-10",
    "exc-12",
}


def screening_labs(
    b: BundleBuilder,
    *,
    creatinine: tuple[float, str] | None = (0.8, "mg/dL"),
    alt: tuple[float, float] | None = (24, 40),
    ast: tuple[float, float] | None = (22, 40),
    bilirubin: tuple[float, str] | None = (0.6, "mg/dL"),
    urine_hcg: bool | None = False,
    hbsag: bool = False,
    anti_hbc: bool = False,
    anti_hcv: bool = False,
    hiv: bool = False,
) -> BundleBuilder:
    """The screening panel the exclusions need (all on 2026-11-12, inside the window).

    ``alt``/``ast`` are (value U/L, ULN U/L of the reporting lab). ``None`` leaves a test out.
    """
    if creatinine is not None:
        b.lab("creatinine", creatinine[0], creatinine[1], LAB_DAY)
    if alt is not None:
        b.lab("alt", alt[0], "U/L", LAB_DAY, ref_low=7, ref_high=alt[1])
    if ast is not None:
        b.lab("ast", ast[0], "U/L", LAB_DAY, ref_low=8, ref_high=ast[1])
    if bilirubin is not None:
        b.lab("bilirubin_total", bilirubin[0], bilirubin[1], LAB_DAY)
    b.result("hbsag", hbsag, LAB_DAY)
    b.result("anti_hbc_total", anti_hbc, LAB_DAY)
    b.result("anti_hcv", anti_hcv, LAB_DAY)
    b.result("hiv_ab", hiv, LAB_DAY)
    if urine_hcg is not None:
        b.result("hcg_urine_qual", urine_hcg, LAB_DAY)
    return b


def crohn_patient(pid: str, **labs: object) -> BundleBuilder:
    """A 34-year-old woman with ileocolonic Crohn's disease since 2019 who has been through
    prednisone (no response), azathioprine (stopped for intolerance) and two anti-TNF agents
    (infliximab: loss of response; adalimumab: lack of efficacy, stopped in August 2026)."""
    b = BundleBuilder(pid, birth="1992-04-17", gender="female")
    b.condition("crohns_disease", "2019-03-01")
    b.med("prednisone", "2019-04-01", "2019-10-01", dose_mg=40, reason="lack of efficacy")
    b.med("azathioprine", "2019-06-01", "2019-09-15", dose_mg=100, reason="intolerance")
    b.med("infliximab", "2020-01-10", "2023-05-20", reason="loss of response")
    b.med("adalimumab", "2023-07-01", "2026-08-01", reason="lack of efficacy")
    return screening_labs(b, **labs)  # type: ignore[arg-type]


def test_crohns_disease_refractory_to_steroids_azathioprine_and_two_anti_tnf_is_eligible() -> None:
    """Crohn's cohort (inclusion 1): diagnosed 2019 (>= 6 months before screening), steroids,
    an immunosuppressant and two biologics each failed or not tolerated, clean screening labs and
    a negative urine hCG. Nothing computable fails, so she is ELIGIBLE; the investigator confirms
    the radiology/histology basis (inc-1.1.basis) and the trial-wide manual items. The other
    cohorts' manual items are not listed (she is not in those cohorts)."""
    res = run(NCT, crohn_patient("crohn-eligible"))
    check(res, ELIGIBLE, manual=COMMON_MANUAL | {"inc-1.1.basis"})
    assert outcome(res, "inc-1.2.biologics") == "pass"
    assert outcome(res, "exc-6") == "pass"  # last prednisone in 2019: outside the 4 weeks


def test_dermatomyositis_man_refractory_to_prednisone_and_methotrexate_is_eligible() -> None:
    """Dermatomyositis cohort (inclusion 2): a 51-year-old man, DM since February 2024 (> 6
    months), no response to prednisone, methotrexate stopped for hepatotoxicity (intolerance).
    A man needs no pregnancy test: exclusion 3's hCG branch is FALSE on sex alone. ELIGIBLE,
    pending the Bohan & Peter confirmation (inc-2.1.criteria)."""
    b = BundleBuilder("dm-eligible", birth="1975-02-02", gender="male")
    b.condition("dermatomyositis", "2024-02-10")
    b.med("prednisone", "2024-02-15", "2025-03-01", dose_mg=60, reason="no response")
    b.med("methotrexate", "2024-04-01", "2024-12-01", dose_mg=15, reason="hepatotoxicity")
    screening_labs(b, urine_hcg=None)
    res = run(NCT, b)
    check(res, ELIGIBLE, manual=COMMON_MANUAL | {"inc-2.1.criteria"})
    assert outcome(res, "exc-3.hcg.female") == "pass"


def test_rheumatoid_arthritis_with_creatinine_exactly_221_umol_per_l_is_not_excluded() -> None:
    """RA cohort (inclusion 4): a 58-year-old woman, methotrexate then tofacitinib failed. Her
    creatinine is reported as 221 µmol/L: 221 / 88.4 = 2.500 mg/dL, which is not "> 2.5mg/dl"
    (exclusion 9 is strict), so she is not excluded. ELIGIBLE pending the 2010 ACR check."""
    b = BundleBuilder("ra-creat-edge", birth="1968-01-30", gender="female")
    b.condition("rheumatoid_arthritis", "2015-05-01")
    b.med("methotrexate", "2015-06-01", "2018-01-01", dose_mg=20, reason="inadequate response")
    b.med(
        "tofacitinib", "2018-02-01", "2026-06-30", dose_mg=5, per_day=2, reason="loss of efficacy"
    )
    screening_labs(b, creatinine=(221, "umol/L"))
    res = run(NCT, b)
    check(res, ELIGIBLE, manual=COMMON_MANUAL | {"inc-4.1.criteria"})
    creat = crit(res, "exc-9.creatinine")
    assert creat.outcome == "pass"
    assert abs(creat.evidence[0].value - 2.5) < 1e-9  # 221 / 88.4
    assert creat.evidence[0].original_unit == "umol/L"


def test_creatinine_230_umol_per_l_is_above_2_5_mg_dl_and_excludes() -> None:
    """The same RA story with creatinine 230 µmol/L: 230 / 88.4 = 2.602 mg/dL > 2.5 mg/dL, so
    exclusion 9 is met. INELIGIBLE for exclusion 9 alone; a lab value is not a time window, so
    no earliest eligible date is given."""
    b = BundleBuilder("ra-creat-high", birth="1968-01-30", gender="female")
    b.condition("rheumatoid_arthritis", "2015-05-01")
    b.med("methotrexate", "2015-06-01", "2018-01-01", dose_mg=20, reason="inadequate response")
    screening_labs(b, creatinine=(230, "umol/L"))
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-9"}
    assert outcome(res, "exc-9.creatinine") == "fail"
    assert abs(crit(res, "exc-9.creatinine").evidence[0].value - 230 / 88.4) < 1e-6


def test_stills_disease_alt_above_three_times_the_labs_own_uln_excludes() -> None:
    """Adult-onset Still's disease (inclusion 3): a 29-year-old woman, glucocorticoids and
    methotrexate failed. ALT 105 U/L; her laboratory's upper limit is 33 U/L, so 3 x ULN = 99 and
    105 > 99: exclusion 9 ("ALT / AST > 3 times ULN") is met. (With the generic default ULN of
    40 U/L the limit would be 120 and she would pass - the result's own referenceRange must be
    used.) AST 60 with ULN 33 (3 x 33 = 99) is fine."""
    b = BundleBuilder("aosd-alt", birth="1997-08-09", gender="female")
    b.condition("adult_onset_stills", "2022-01-15")
    b.med("prednisone", "2022-01-20", "2023-01-20", dose_mg=30, reason="refractory")
    b.med("methotrexate", "2022-03-01", "2024-03-01", dose_mg=15, reason="lack of efficacy")
    screening_labs(b, alt=(105, 33), ast=(60, 33))
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-9"}
    alt = crit(res, "exc-9.alt")
    assert alt.outcome == "fail"
    assert alt.evidence[0].uln == 33 and alt.evidence[0].threshold == 99
    assert outcome(res, "exc-9.ast") == "pass"


def test_recent_prednisone_burst_is_a_washout_with_an_earliest_date() -> None:
    """The Crohn's patient of the first vignette had a prednisone burst from 2026-10-20 to
    2026-11-10. Exclusion 6 ("Systemic steroids ... in the 4 weeks before") is met. It is the
    only failure and it is a time window: the last day of exposure inside the 4 weeks is
    2026-11-10 + 28 days = 2026-12-08, so the first clear day is 2026-12-09."""
    b = crohn_patient("crohn-steroid-burst")
    b.med("prednisone", "2026-10-20", "2026-11-10", dose_mg=40)
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=date(2026, 12, 9))
    assert failing_exclusions(res) == {"exc-6"}
    # on the reported date the washout is over and nothing else fails (the labs of 2026-11-12
    # are still inside that date's window, which opens on 2026-11-11)
    later = run(NCT, b, as_of=date(2026, 12, 9))
    check(later, ELIGIBLE)
    assert outcome(later, "exc-6") == "pass"


def test_dermatomyositis_diagnosed_five_months_ago_is_too_recent() -> None:
    """A 44-year-old woman with dermatomyositis diagnosed on 2026-07-01, prednisone and
    mycophenolate already failed. "At least 6 months before screening" is not met: 2026-07-01 +
    6 months = 2027-01-01, after the screening date. No cohort holds, so inclusion "inc-disease"
    is the decisive criterion; since only the diagnosis' age fails, the earliest eligible date is
    2027-01-01."""
    b = BundleBuilder("dm-recent", birth="1982-05-05", gender="female")
    b.condition("dermatomyositis", "2026-07-01")
    b.med("prednisone", "2026-07-02", "2026-09-30", dose_mg=50, reason="no response")
    b.med(
        "mycophenolate_mofetil",
        "2026-07-15",
        "2026-10-15",
        dose_mg=1000,
        per_day=2,
        reason="ineffective",
    )
    screening_labs(b)
    res = run(NCT, b)
    check(res, INELIGIBLE, {"inc-disease"}, earliest=date(2027, 1, 1))
    assert outcome(res, "inc-2.1.diagnosis") == "fail"
    assert crit(res, "inc-2.1.diagnosis").flips_on == date(2027, 1, 1)
    assert outcome(res, "inc-2.2") == "pass"


def test_missing_liver_enzymes_leave_the_verdict_open() -> None:
    """The RA patient's screening panel has creatinine and bilirubin but no ALT or AST; her last
    ALT is from 2026-09-30, before the window opened (2026-10-25). Exclusion 9 can be neither met
    nor ruled out: NEEDS_DATA, naming ALT and AST and saying the September ALT is too old."""
    b = BundleBuilder("ra-no-lft", birth="1968-01-30", gender="female")
    b.condition("rheumatoid_arthritis", "2015-05-01")
    b.med("methotrexate", "2015-06-01", "2018-01-01", dose_mg=20, reason="inadequate response")
    b.lab("alt", 21, "U/L", "2026-09-30", ref_high=40)
    screening_labs(b, alt=None, ast=None)
    res = run(NCT, b)
    check(res, NEEDS_DATA)
    assert outcome(res, "exc-9") == "unknown"
    assert outcome(res, "exc-9.alt") == "unknown" and outcome(res, "exc-9.ast") == "unknown"
    alt_missing = missing_for(res, "alt (U/L) measured on or after 2026-10-25")
    assert len(alt_missing) == 1 and "latest on record is 2026-09-30, too old" in alt_missing[0]
    assert missing_for(res, "ast (U/L) measured on or after 2026-10-25")
    assert len(res.missing) == 2  # ALT and AST, nothing else


def test_anti_hbc_positive_with_hbv_dna_above_the_assay_range_is_active_hepatitis_b() -> None:
    """Crohn's patient, HBsAg negative but anti-HBc positive, HBV DNA 1,200 IU/mL with the
    assay's reference range "< 20 IU/mL": active hepatitis B by the protocol file's reading of
    exclusion 5 (marker positive AND DNA above range). INELIGIBLE for exclusion 5."""
    b = crohn_patient("crohn-hbv", anti_hbc=True)
    b.lab("hbv_dna", 1200, "[IU]/mL", LAB_DAY, ref_high=20)
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-5"}
    assert outcome(res, "exc-5.hbv") == "fail"
    assert outcome(res, "exc-5.hbv.dna") == "fail"


def test_resolved_hepatitis_b_anti_hbc_positive_with_undetectable_dna_is_eligible() -> None:
    """Same patient, anti-HBc positive but HBV DNA reported "Not detected": a past, resolved
    infection, not "active infection of hepatitis B virus". ELIGIBLE."""
    b = crohn_patient("crohn-hbv-resolved", anti_hbc=True)
    b.result("hbv_dna", False, LAB_DAY)
    res = run(NCT, b)
    check(res, ELIGIBLE, manual=COMMON_MANUAL | {"inc-1.1.basis"})
    assert outcome(res, "exc-5.hbv.anti-hbc") == "fail"  # the marker alone is present...
    assert outcome(res, "exc-5.hbv") == "pass"  # ...but without DNA it is not active


def test_hiv_infection_on_record_excludes() -> None:
    """Crohn's patient with HIV infection coded in her problem list since 2012 (antibody test in
    the window also positive). Exclusion 11 "HIV infection". INELIGIBLE, no date."""
    b = crohn_patient("crohn-hiv", hiv=True)
    b.condition("hiv", "2012-06-01")
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-11"}
    assert outcome(res, "exc-11.diagnosis") == "fail"
    assert outcome(res, "exc-11.antibody") == "fail"


def test_prior_car_t_product_is_a_gene_therapy_product() -> None:
    """RA patient who received tisagenlecleucel (a CAR-T product, ATC L01XL) for a lymphoma in
    2021: "Those who have used any gene therapy products before" (exclusion 7). INELIGIBLE."""
    b = BundleBuilder("ra-prior-cart", birth="1966-11-11", gender="male")
    b.condition("rheumatoid_arthritis", "2010-05-01")
    b.med("methotrexate", "2010-06-01", "2014-01-01", dose_mg=20, reason="failed")
    b.med("tisagenlecleucel", "2021-03-04", "2021-03-04")
    screening_labs(b, urine_hcg=None)
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-7"}
    assert outcome(res, "exc-7.car-t") == "fail"


def test_positive_urine_pregnancy_test_excludes() -> None:
    """The Crohn's patient's urine hCG at screening is positive: "Pregnant (or lactating)
    women" (exclusion 3) through its hCG branch. INELIGIBLE for exclusion 3 only."""
    res = run(NCT, crohn_patient("crohn-pregnant", urine_hcg=True))
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-3"}
    assert outcome(res, "exc-3.hcg") == "fail"
    assert outcome(res, "exc-3.pregnant") == "pass"  # no pregnancy coded: only the test


def test_bilirubin_in_umol_per_l_above_2_mg_dl_excludes_even_with_gilbert_syndrome() -> None:
    """Crohn's patient with Gilbert's syndrome, total bilirubin 36 µmol/L = 36 / 17.1 = 2.105
    mg/dL > 2.0 mg/dL. Unlike its sister trials this protocol grants no Gilbert's exception
    ("bilirubin > 2.0mg/dl"), so exclusion 9 is met. INELIGIBLE."""
    b = crohn_patient("crohn-gilbert", bilirubin=(36, "umol/L"))
    b.condition("gilbert_syndrome", "2008-01-01")
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=None)
    assert failing_exclusions(res) == {"exc-9"}
    bili = crit(res, "exc-9.bilirubin")
    assert bili.outcome == "fail"
    assert abs(bili.evidence[0].value - 36 / 17.1) < 1e-6


def test_topical_hydrocortisone_is_not_a_systemic_steroid() -> None:
    """The Crohn's patient used hydrocortisone cream (topical route) for eczema from 2026-11-01
    to 2026-11-10. Exclusion 6 names "Systemic steroids ... in the 4 weeks before": a topical
    steroid is not systemic, so it does not count. ELIGIBLE, as in the first vignette."""
    b = crohn_patient("crohn-topical-steroid")
    b.med("hydrocortisone", "2026-11-01", "2026-11-10", dose_mg=10, route="Topical route")
    res = run(NCT, b)
    check(res, ELIGIBLE, manual=COMMON_MANUAL | {"inc-1.1.basis"})
    assert outcome(res, "exc-6") == "pass"


def test_oral_hydrocortisone_in_the_same_weeks_is_systemic() -> None:
    """The same course taken by mouth is systemic: exclusion 6 is met. The last day of exposure
    inside the 4 weeks is 2026-11-10 + 28 days = 2026-12-08, so the first clear day is
    2026-12-09."""
    b = crohn_patient("crohn-oral-hydrocortisone")
    b.med("hydrocortisone", "2026-11-01", "2026-11-10", dose_mg=10, route="oral")
    res = run(NCT, b)
    check(res, INELIGIBLE, {EXC}, earliest=date(2026, 12, 9))
    assert failing_exclusions(res) == {"exc-6"}
