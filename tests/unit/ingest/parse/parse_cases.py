"""Sentence -> expected node cases for the eligibility parser (written for these tests).

Each case: (id, section, sentence, expected, forbidden).
- ``expected``: records (subsets of the flat JSON node records) that must all be produced;
- ``forbidden``: records that must *not* be produced (e.g. a relative change read as a level).
"""

from __future__ import annotations

from typing import Any

Rec = dict[str, Any]
Case = tuple[str, str, str, list[Rec], list[Rec]]

INC, EXC = "inclusion", "exclusion"


def M(concept: str, cmp: str, value: float, unit: str, **kw: Any) -> Rec:
    return {
        "kind": "measurement",
        "concept": concept,
        "comparator": cmp,
        "value": value,
        "unit": unit,
        **kw,
    }


def U(concept: str, cmp: str, mult: float, **kw: Any) -> Rec:
    return {
        "kind": "measurement",
        "concept": concept,
        "comparator": cmp,
        "uln_multiple": mult,
        **kw,
    }


def L(concept: str, cmp: str, mult: float) -> Rec:
    return {"kind": "measurement", "concept": concept, "comparator": cmp, "lln_multiple": mult}


def D(calc: str, cmp: str, value: float, unit: str, **kw: Any) -> Rec:
    return {
        "kind": "derived",
        "concept": calc,
        "comparator": cmp,
        "value": value,
        "unit": unit,
        **kw,
    }


def S(instrument: str, cmp: str, value: float, **kw: Any) -> Rec:
    return {"kind": "score", "concept": instrument, "comparator": cmp, "value": value, **kw}


def C(concepts: str, **kw: Any) -> Rec:
    return {"kind": "condition", "concept": concepts, **kw}


def SER(concept: str, result: str, **kw: Any) -> Rec:
    return {"kind": "serology", "concept": concept, "value": result, **kw}


def MED(concept: str, **kw: Any) -> Rec:
    return {"kind": "medication", "concept": concept, **kw}


def PROC(concept: str, **kw: Any) -> Rec:
    return {"kind": "procedure", "concept": concept, **kw}


def W(
    amount: float, unit: str, direction: str = "within", reference: str = "screening"
) -> dict[str, Any]:
    return {"amount": amount, "unit": unit, "direction": direction, "reference": reference}


def AGE(lo: float | None, hi: float | None, **kw: Any) -> Rec:
    return {"kind": "age", "min_years": lo, "max_years": hi, **kw}


MANUAL: Rec = {"kind": "manual"}
ANY_MEASURE: Rec = {"kind": "measurement"}
ANY_SCORE: Rec = {"kind": "score"}

CASES: list[Case] = [
    # ------------------------------------------------------------------ age
    ("age-range-dash", INC, "18-70 years old;", [AGE(18, 70)], []),
    ("age-range-to", INC, "Aged 18 to 65 years at the time of screening", [AGE(18, 65)], []),
    (
        "age-between",
        INC,
        "Male or female patients between 18 and 75 years of age",
        [AGE(18, 75)],
        [],
    ),
    ("age-ge-symbol", INC, "Gender unlimited, age ≥5 years;", [AGE(5, None), {"kind": "sex"}], []),
    (
        "age-both-bounds",
        INC,
        "Age: ≥ 18 years old and ≤ 65 years old, male or female",
        [AGE(18, 65), {"kind": "sex"}],
        [],
    ),
    ("age-escaped", INC, "Aged \\>= 18 years and \\<= 75 years at screening", [AGE(18, 75)], []),
    ("age-or-older", INC, "Adults 18 years of age or older", [AGE(18, None)], []),
    ("age-words", INC, "Age greater than or equal to 16 years", [AGE(16, None)], []),
    (
        "age-exclusive",
        INC,
        "Age > 18 years and < 70 years",
        [AGE(18, 70, min_inclusive=False, max_inclusive=False)],
        [],
    ),
    ("age-inclusive-note", INC, "Aged 6 to 17 years (inclusive)", [AGE(6, 17)], []),
    ("age-not-duration", INC, "Disease duration of at least 6 months", [], [{"kind": "age"}]),
    # ------------------------------------------------------------------ blood counts
    ("wbc-x10", INC, "WBC≥2.5×10^9/L", [M("wbc", ">=", 2.5, "10*9/L")], []),
    ("wbc-words", INC, "White blood cell count ≥ 3 x 10\\^9/L", [M("wbc", ">=", 3, "10*9/L")], []),
    (
        "wbc-lost-superscript",
        INC,
        "White blood cell count ≥3×109/L;",
        [M("wbc", ">=", 3, "10*9/L")],
        [],
    ),
    ("wbc-superscript", INC, "Leukocytes ≥ 3.0 × 10⁹/L", [M("wbc", ">=", 3.0, "10*9/L")], []),
    ("wbc-per-uL", INC, "WBC count ≥ 3,000/μL", [M("wbc", ">=", 3000, "/uL")], []),
    ("anc-neut", INC, "NEUT≥1×10^9/L;", [M("anc", ">=", 1, "10*9/L")], []),
    (
        "anc-absolute",
        INC,
        "Absolute neutrophil count (ANC) ≥ 1.5 x 10^9/L",
        [M("anc", ">=", 1.5, "10*9/L")],
        [],
    ),
    ("anc-mm3", INC, "ANC > 1,000/mm3", [M("anc", ">", 1000, "/uL")], []),
    ("anc-gl", INC, "Neutrophils ≥ 1.0 G/L", [M("anc", ">=", 1.0, "10*9/L")], []),
    (
        "anc-ge-words",
        INC,
        "Neutrophil count greater than or equal to 1.0 x 10^9/L",
        [M("anc", ">=", 1.0, "10*9/L")],
        [],
    ),
    ("alc", INC, "Absolute lymphocyte count ≥ 0.5 × 10^9/L", [M("alc", ">=", 0.5, "10*9/L")], []),
    ("hb-gl", INC, "Hemoglobin≥85 g/L;", [M("hemoglobin", ">=", 85, "g/L")], []),
    ("hb-gdl", INC, "Haemoglobin ≥ 8.0 g/dL", [M("hemoglobin", ">=", 8.0, "g/dL")], []),
    ("hb-abbrev", INC, "Hb ≥ 9 g/dL without transfusion", [M("hemoglobin", ">=", 9, "g/dL")], []),
    ("hb-no-space", INC, "c. Hemoglobin ≥60g/L;", [M("hemoglobin", ">=", 60, "g/L")], []),
    ("plt-bpc", INC, "BPC≥50×10^9/L;", [M("platelets", ">=", 50, "10*9/L")], []),
    (
        "plt-words",
        INC,
        "Platelet count of at least 75 x 10^9/L",
        [M("platelets", ">=", 75, "10*9/L")],
        [],
    ),
    ("plt-lt", EXC, "Platelets < 50,000/μL", [M("platelets", "<", 50000, "/uL")], []),
    ("plt-k", INC, "Platelets ≥ 100 x 10^3/μL", [M("platelets", ">=", 100, "10*3/uL")], []),
    (
        "plt-no-less",
        INC,
        "Platelet count no less than 50×10^9/L",
        [M("platelets", ">=", 50, "10*9/L")],
        [],
    ),
    (
        "plt-or-more",
        INC,
        "Platelet count 100 x 10^9/L or more",
        [M("platelets", ">=", 100, "10*9/L")],
        [],
    ),
    # ------------------------------------------------------------------ liver / kidney / coagulation
    ("alt-uln", INC, "ALT≤3×ULN", [U("alt", "<=", 3)], []),
    ("ast-alt-and", INC, "AST and ALT≤3.0ULN", [U("ast", "<=", 3.0), U("alt", "<=", 3.0)], []),
    (
        "ast-alt-slash-below",
        INC,
        "AST/ALT below 2 times the upper limit of normal",
        [U("ast", "<", 2), U("alt", "<", 2)],
        [],
    ),
    ("alt-ast-exc", EXC, "ALT / AST > 3 times ULN", [U("alt", ">", 3), U("ast", ">", 3)], []),
    (
        "alt-words",
        INC,
        "Alanine aminotransferase ≤ 2.5 times the upper limit of normal",
        [U("alt", "<=", 2.5)],
        [],
    ),
    ("ast-sgot", INC, "SGOT ≤ 2.5 × ULN", [U("ast", "<=", 2.5)], []),
    ("alt-not-exceed", INC, "ALT not exceeding 3 x ULN", [U("alt", "<=", 3)], []),
    ("alt-uln-paren", INC, "ALT ≤ 3 × upper limit of normal (ULN)", [U("alt", "<=", 3)], []),
    ("alt-fold", INC, "ALT ≤ 2-fold ULN", [U("alt", "<=", 2)], []),
    (
        "bili-mgdl",
        INC,
        "blood bilirubin ≤2.0 mg/dl",
        [M("bilirubin_total", "<=", 2.0, "mg/dL")],
        [],
    ),
    ("bili-tbil-uln", INC, "TBIL≤1.5×ULN", [U("bilirubin_total", "<=", 1.5)], []),
    (
        "bili-umol",
        INC,
        "Total bilirubin ≤ 34 µmol/L",
        [M("bilirubin_total", "<=", 34, "umol/L")],
        [],
    ),
    (
        "bili-gilbert-exception",
        INC,
        "TBIL≤1.5×ULN (except Gilbert's syndrome, total bilirubin≤3.0×ULN);",
        [U("bilirubin_total", "<=", 1.5), U("bilirubin_total", "<=", 3.0), C("gilbert_syndrome")],
        [],
    ),
    (
        "bili-gilbert-excluding",
        INC,
        "TBIL≤1.5 x ULN(excluding Gilbert syndrome, total bilirubin ≤ 3.0 x ULN)",
        [U("bilirubin_total", "<=", 1.5), U("bilirubin_total", "<=", 3.0), C("gilbert_syndrome")],
        [],
    ),
    (
        "alt-myositis-exception",
        INC,
        "ALT≤3×ULN (except for elevated ALT caused by inflammatory myopathy)",
        [U("alt", "<=", 3), {"kind": "manual"}],
        [],
    ),
    ("creat-exc", EXC, "Serum creatinine > 2.5mg/dl", [M("creatinine", ">", 2.5, "mg/dL")], []),
    (
        "creat-two-units",
        EXC,
        "serum creatinine > 2.5 mg/dL or 221 μmol/L",
        [M("creatinine", ">", 2.5, "mg/dL")],
        [M("creatinine", ">", 221, "umol/L")],
    ),
    ("creat-umol", INC, "Serum creatinine ≤ 1.5 × ULN", [U("creatinine", "<=", 1.5)], []),
    ("inr-uln", INC, "international normalized ratio (INR) ≤ 1.5 x ULN", [U("inr", "<=", 1.5)], []),
    ("inr-unitless", INC, "INR ≤ 1.5", [M("inr", "<=", 1.5, "{INR}")], []),
    ("pt-uln", INC, "prothrombin time (PT) ≤ 1.5 x ULN", [U("prothrombin_time", "<=", 1.5)], []),
    (
        "inr-escaped-lt",
        INC,
        "International standardized ratio (INR) \\< 1.5 x ULN",
        [U("inr", "<", 1.5)],
        [],
    ),
    ("igg-lln", INC, "IgG ≥ 0.5 × LLN", [L("igg", ">=", 0.5)], []),
    ("ck-uln", INC, "Creatine kinase ≥ 2 × ULN", [U("creatine_kinase", ">=", 2)], []),
    ("upcr", INC, "Urine protein to creatinine ratio ≥ 0.5 mg/mg", [], [ANY_SCORE]),
    (
        "proteinuria-24h",
        INC,
        "24-hour urine protein ≥ 0.5 g/24h",
        [M("urine_protein_24h", ">=", 0.5, "g/(24.h)")],
        [],
    ),
    # ------------------------------------------------------------------ renal function calculators
    (
        "crcl-cg",
        INC,
        "creatinine clearance (CrCl) ≥ 30 ml/minute (Cockcroft/Gault formula)",
        [D("crcl_cockcroft_gault", ">=", 30, "mL/min")],
        [],
    ),
    (
        "crcl-typo-formula",
        INC,
        "creatinine clearance rate (CrCl) ≥ 60 ml/minute(Cockcroft/Fault formula);",
        [D("crcl_cockcroft_gault", ">=", 60, "mL/min")],
        [],
    ),
    (
        "crcl-unnamed",
        INC,
        "Creatinine clearance ≥30 mL/min",
        [D("crcl_cockcroft_gault", ">=", 30, "mL/min")],
        [],
    ),
    (
        "egfr-ckdepi",
        INC,
        "eGFR ≥ 45 mL/min/1.73 m² (CKD-EPI)",
        [D("egfr_ckd_epi_2021", ">=", 45, "mL/min/{1.73_m2}")],
        [],
    ),
    (
        "egfr-plain",
        INC,
        "eGFR≥30ML/min/1.73m2",
        [D("egfr_ckd_epi_2021", ">=", 30, "mL/min/{1.73_m2}")],
        [],
    ),
    (
        "egfr-schwartz",
        INC,
        "eGFR ≥ 60 mL/min/1.73m2 by the bedside Schwartz formula",
        [D("egfr_bedside_schwartz", ">=", 60, "mL/min/{1.73_m2}")],
        [],
    ),
    (
        "egfr-exc",
        EXC,
        "Estimated glomerular filtration rate (eGFR) < 30 mL/min/1.73m2",
        [D("egfr_ckd_epi_2021", "<", 30, "mL/min/{1.73_m2}")],
        [],
    ),
    (
        "gfr-words",
        INC,
        "Glomerular filtration rate greater than 40 mL/min/1.73 m2",
        [D("egfr_ckd_epi_2021", ">", 40, "mL/min/{1.73_m2}")],
        [],
    ),
    (
        "crcl-exception",
        INC,
        "Renal function: creatinine clearance (CrCl) ≥ 30 ml/minute (Cockcroft/Gault formula, except for disease-induced decline in CrCl);",
        [
            D("crcl_cockcroft_gault", ">=", 30, "mL/min"),
            {"kind": "manual", "concept": "exception to a threshold"},
        ],
        [],
    ),
    # ------------------------------------------------------------------ heart and lungs
    ("lvef", INC, "left ventricular ejection fraction (LVEF) ≥55%", [M("lvef", ">=", 55, "%")], []),
    (
        "lvef-echo",
        INC,
        "echocardiography indicates that the ejection fraction is ≥50%",
        [M("lvef", ">=", 50, "%")],
        [],
    ),
    ("lvef-exc", EXC, "LVEF < 45% by echocardiogram", [M("lvef", "<", 45, "%")], []),
    ("spo2", INC, "SpO2≥92%", [M("spo2", ">=", 92, "%")], []),
    ("spo2-words", INC, "Oxygen saturation ≥ 92% on room air", [M("spo2", ">=", 92, "%")], []),
    ("dlco", INC, "DLCO≥ 40% of predicted value", [M("dlco_pct_pred", ">=", 40, "%")], []),
    ("fvc", INC, "FVC≥ 50% of predicted value", [M("fvc_pct_pred", ">=", 50, "%")], []),
    (
        "fvc-dlco-or",
        INC,
        "FVC or DLCO \\<70% predictive value on pulmonary function tests",
        [M("fvc_pct_pred", "<", 70, "%"), M("dlco_pct_pred", "<", 70, "%")],
        [],
    ),
    (
        "dlco-words",
        INC,
        "Diffusing capacity for carbon monoxide ≥ 35% predicted",
        [M("dlco_pct_pred", ">=", 35, "%")],
        [],
    ),
    (
        "mpap",
        EXC,
        "Severe pulmonary hypertension (mean pulmonary pressure > 45mmHg)",
        [M("mpap", ">", 45, "mm[Hg]")],
        [],
    ),
    (
        "mpap-abbrev",
        EXC,
        "mPAP ≥ 25 mmHg on right heart catheterisation",
        [M("mpap", ">=", 25, "mm[Hg]")],
        [],
    ),
    ("qtc", EXC, "QTcF > 470 ms", [M("qtc", ">", 470, "ms")], []),
    (
        "fvc-relative",
        INC,
        "10% decrease in FVC or 5% decrease in FVC with 15% decrease in DLCO",
        [],
        [ANY_MEASURE],
    ),
    # ------------------------------------------------------------------ disease activity
    ("selena", INC, "SELENA-SLEDAI≥8;", [S("selena_sledai", ">=", 8)], []),
    ("sledai-2k", INC, "SLEDAI-2K score >= 6 points at screening", [S("sledai_2k", ">=", 6)], []),
    (
        "sledai-2000",
        INC,
        "have a Disease Activity Score SLEDAI⁃2000 ≥ 6",
        [S("sledai_2k", ">=", 6)],
        [],
    ),
    ("sledai-escaped", INC, "SLEDAI-2K \\>= 8", [S("sledai_2k", ">=", 8)], []),
    ("clinical-sledai", INC, "Clinical SLEDAI-2K ≥ 4", [S("clinical_sledai", ">=", 4)], []),
    (
        "bilag",
        INC,
        "at least one British Isles Lupus Assessment Group Index (BILAG-2004) Category A or two Category B organ scores",
        [S("bilag_a_count", ">=", 1), S("bilag_b_count", ">=", 2)],
        [],
    ),
    (
        "mrss",
        INC,
        "Improved Rodnan skin score (mRSS) ≥15 points (total 51 points);",
        [S("mrss", ">=", 15)],
        [],
    ),
    ("mrss-modified", INC, "modified Rodnan skin score ≥ 10 and ≤ 45", [S("mrss", ">=", 10)], []),
    (
        "mrss-relative",
        INC,
        "Rapid cutaneous progression (\\>25% increase in mRSS)",
        [],
        [ANY_SCORE],
    ),
    (
        "mrss-increase",
        INC,
        "Definition of cutaneous progression: increase in mRSS \\>10%;",
        [],
        [ANY_SCORE],
    ),
    (
        "essdai",
        INC,
        "investigator-assessed disease ESSDAI score of 5 or higher",
        [S("essdai", ">=", 5)],
        [],
    ),
    ("essdai-ge", INC, "ESSDAI ≥ 5", [S("essdai", ">=", 5)], []),
    ("mmt8-lt", INC, "an MMT-8 score of less than 142", [S("mmt8", "<", 142)], []),
    ("mmt8-lower", INC, "the MMT-8 score is lower than 142", [S("mmt8", "<", 142)], []),
    (
        "mmt8-ge",
        INC,
        "MMT-8 ≥142 in the presence of active interstitial lung disease",
        [S("mmt8", ">=", 142)],
        [],
    ),
    ("haq", INC, "Total HAQ Score ≥0.25", [S("haq_di", ">=", 0.25)], []),
    (
        "phga",
        INC,
        "PhGA, PtGA, or extramuscular disease activity score ≥ 2 points",
        [S("imacs_phga", ">=", 2), S("imacs_ptga", ">=", 2)],
        [],
    ),
    (
        "das28",
        INC,
        "At least moderate disease activity (DAS28-ESR \\>3.2 or CDAI \\>10)",
        [S("das28_esr", ">", 3.2), S("cdai", ">", 10)],
        [],
    ),
    ("das28-crp", INC, "DAS28-CRP ≥ 3.2", [S("das28_crp", ">=", 3.2)], []),
    ("cdai", INC, "CDAI > 10", [S("cdai", ">", 10)], []),
    (
        "sjc66",
        INC,
        "A swollen joint count of ≥ 6 (based on 66 joint counts)",
        [S("swollen_joint_count_66", ">=", 6)],
        [],
    ),
    (
        "tjc68",
        INC,
        "a tender joint count of ≥ 6 (based on 68 joint counts)",
        [S("tender_joint_count_68", ">=", 6)],
        [],
    ),
    ("sjc28", INC, "Swollen joint count ≥ 4", [S("swollen_joint_count_28", ">=", 4)], []),
    ("crp", INC, "C-reactive protein (CRP) ≥ 10 mg/L", [M("crp", ">=", 10, "mg/L")], []),
    ("crp-mgdl", INC, "CRP ≥ 1.0 mg/dL", [M("crp", ">=", 1.0, "mg/dL")], []),
    (
        "esr",
        INC,
        "erythrocyte sedimentation rate (ESR) ≥ 28 mm/h",
        [M("esr", ">=", 28, "mm/h")],
        [],
    ),
    (
        "crp-or-esr",
        INC,
        "CRP ≥ 10 mg/L or ESR ≥ 28 mm/h during the Screening Period",
        [M("crp", ">=", 10, "mg/L"), M("esr", ">=", 28, "mm/h")],
        [],
    ),
    ("mg-adl", INC, "MG-ADL total score ≥ 6", [S("mg_adl", ">=", 6)], []),
    ("qmg", INC, "QMG score ≥ 11", [S("qmg", ">=", 11)], []),
    ("edss", INC, "EDSS score between 3.0 and 6.5", [], []),
    ("bvas", INC, "BVAS ≥ 3", [S("bvas", ">=", 3)], []),
    (
        "muscle-enzymes",
        INC,
        "muscle enzyme levels are 1.5 times the upper limit of the normal range",
        [U("creatine_kinase", ">=", 1.5), U("aldolase", ">=", 1.5)],
        [],
    ),
    (
        "sharp-relative",
        INC,
        "Rapid imaging progression (1-year increase of ≥5 points in van der Heijde modified Sharp score)",
        [],
        [ANY_SCORE],
    ),
    # ------------------------------------------------------------------ classification criteria
    (
        "sle-2019",
        INC,
        "Fulfilling the 2019 ACR/EULAR classification criteria of SLE",
        [C("sle")],
        [],
    ),
    (
        "sle-2019-long",
        INC,
        "meets the 2019 European League Against Rheumatism/American College of Rheumatology (EULAR/ACR) classification criteria for SLE",
        [C("sle")],
        [],
    ),
    (
        "sle-total",
        INC,
        "Total score ≥ 10 on the EULAR/ACR 2019 SLE classification criteria;",
        [S("sle_eular_acr_2019", ">=", 10)],
        [],
    ),
    (
        "ssc-2013",
        INC,
        "Meet the classification criteria for Systemic sclerosis (SSc) as defined by the 2013ACR/EULAR standards;",
        [C("systemic_sclerosis")],
        [],
    ),
    (
        "ssc-2013-short",
        INC,
        "Meets 2013 ACR classification criteria for systemic sclerosis;",
        [C("systemic_sclerosis")],
        [],
    ),
    (
        "ssc-total",
        INC,
        "a total score of ≥ 9 on the 2013 ACR/EULAR classification criteria for systemic sclerosis",
        [S("ssc_acr_eular_2013", ">=", 9)],
        [],
    ),
    (
        "iim-2017",
        INC,
        "meets the 2017 EULAR/ACR classification criteria for inflammatory myopathies (including DM, PM, ASS, and NM)",
        [C("dermatomyositis,polymyositis,antisynthetase_syndrome,imnm")],
        [],
    ),
    (
        "pss-2016",
        INC,
        "Meets 2002 AECG criteria or 2016 ACR/EULAR classification criteria for primary dry syndrome (pSS)",
        [C("primary_sjogren")],
        [],
    ),
    (
        "ra-2010",
        INC,
        "Conform the diagnostic criteria for rheumatoid arthritis in 2010 ACR classification criteria",
        [C("rheumatoid_arthritis")],
        [],
    ),
    (
        "itp-ash",
        INC,
        "meets the 2019 American Society of Hematology (ASH) classification criteria for immune thrombocytopenia",
        [C("itp")],
        [],
    ),
    (
        "aosd-yamaguchi",
        INC,
        "Conform the diagnostic criteria for adult STILL disease (according to Yamaguchi et al., J. Rheumatology, 1992)",
        [C("adult_onset_stills")],
        [],
    ),
    (
        "bohan-peter",
        INC,
        "At least 6 months before screening, confirmed or possible dermatomyositis according to Bohan and Peter criteria",
        [C("dermatomyositis", window=W(6, "months", "at_least"))],
        [],
    ),
    # ------------------------------------------------------------------ serology
    (
        "hbsag-or-hbcab-dna",
        EXC,
        "Hepatitis B surface antigen (HBsAg) or hepatitis B core antibody (HBcAb) positive and peripheral blood hepatitis B virus (HBV) DNA detection greater than the normal range",
        [SER("hbsag", "positive"), SER("anti_hbc_total", "positive"), SER("hbv_dna", "positive")],
        [],
    ),
    (
        "hcv-ab-rna",
        EXC,
        "Hepatitis C virus (HCV) antibody positive and peripheral blood hepatitis C virus (HCV) RNA titer greater than the normal reference value range",
        [SER("anti_hcv", "positive"), SER("hcv_rna", "positive")],
        [],
    ),
    (
        "hiv-ab",
        EXC,
        "Positive for human immunodeficiency virus (HIV) antibodies",
        [SER("hiv_ab", "positive")],
        [],
    ),
    (
        "hiv-positivity",
        EXC,
        "Human immunodeficiency virus (HIV) positivity at screening.",
        [SER("hiv_ab", "positive")],
        [],
    ),
    (
        "tp-ab",
        EXC,
        "Treponema pallidum antibody positive",
        [SER("syphilis_treponemal", "positive")],
        [],
    ),
    (
        "syphilis-test",
        EXC,
        "Those who have tested positive for syphilis",
        [SER("syphilis_treponemal", "positive")],
        [],
    ),
    ("hbsag-short", EXC, "HBsAg positive", [SER("hbsag", "positive")], []),
    (
        "anti-hcv-short",
        EXC,
        "Anti-HCV positive with detectable HCV RNA",
        [SER("anti_hcv", "positive"), SER("hcv_rna", "positive")],
        [],
    ),
    (
        "ana-positive",
        INC,
        "any one of the anti-nuclear antibodies or systemic sclerosis specific antibodies positive",
        [SER("ana_presence", "positive"), SER("anti_scl70", "positive")],
        [],
    ),
    (
        "ssc-antibodies",
        INC,
        "is positive for antibodies related to systemic sclerosis",
        [
            SER("anti_scl70", "positive"),
            SER("anti_centromere", "positive"),
            SER("anti_rna_pol_iii", "positive"),
        ],
        [],
    ),
    (
        "myositis-antibodies",
        INC,
        "Positive myositis antibodies",
        [SER("anti_jo1", "positive"), SER("msa_other", "positive")],
        [],
    ),
    (
        "anti-dsdna",
        INC,
        "Anti-dsDNA antibody positive at screening",
        [SER("anti_dsdna", "positive")],
        [],
    ),
    (
        "hbv-condition",
        EXC,
        "Active infection of hepatitis B virus or hepatitis C virus",
        [C("hepatitis_b_chronic"), C("hepatitis_c")],
        [],
    ),
    ("hiv-condition", EXC, "Patients with HIV infection", [C("hiv")], []),
    # ------------------------------------------------------------------ pregnancy, lactation, contraception
    ("preg-lact", EXC, "Pregnant (or lactating) women;", [C("pregnancy,lactation")], []),
    ("preg-lact-or", EXC, "Pregnant or breastfeeding women", [C("pregnancy,lactation")], []),
    (
        "preg-test-urine",
        INC,
        "negative urine pregnancy test before the start of administration",
        [SER("hcg_urine_qual", "negative")],
        [],
    ),
    (
        "preg-test-serum-window",
        INC,
        "female subjects of childbearing potential must have had a negative serum HCG test within 7 days prior to study enrollment",
        [SER("hcg_serum_qual", "negative", window=W(7, "days", "within", "enrollment"))],
        [],
    ),
    (
        "preg-test-either",
        INC,
        "Women of childbearing age should have a negative serum or urine pregnancy test at screening",
        [SER("hcg_serum_qual", "negative"), SER("hcg_urine_qual", "negative")],
        [],
    ),
    (
        "preg-test-positive",
        EXC,
        "Positive blood pregnancy test;",
        [SER("hcg_serum_qual", "positive")],
        [],
    ),
    (
        "contraception",
        INC,
        "Subjects agree to take effective contraceptive measures during the trial until at least 1 year after CAR-T cells infusion.",
        [{"kind": "manual", "concept": "contraception"}],
        [{"window": W(1, "years", "duration")}],
    ),
    (
        "contraception-abstain",
        INC,
        "Men must use condoms or abstain from sexual intercourse",
        [{"kind": "manual", "concept": "contraception"}],
        [],
    ),
    (
        "pregnancy-plans",
        EXC,
        "women who are pregnant or intend to become pregnant",
        [C("pregnancy"), {"kind": "manual", "concept": "pregnancy plans"}],
        [],
    ),
    # ------------------------------------------------------------------ prior therapies, transplant, vaccines
    ("prior-cart", EXC, "have previously received CAR T cell therapy", [PROC("car_t_therapy")], []),
    (
        "prior-cart-exception",
        EXC,
        "have previously received CAR T cell therapy (except those whose safety risks have been ruled out by the investigators)",
        [PROC("car_t_therapy"), {"kind": "manual", "negated": True}],
        [],
    ),
    (
        "prior-cd19-bcma",
        EXC,
        "Subjects with prior CD19 or BCMA-targeted therapy",
        [MED("cd19_targeted,bcma_targeted")],
        [],
    ),
    (
        "prior-anti-cd19",
        EXC,
        "Prior treatment with any anti-CD19 therapy",
        [MED("cd19_targeted")],
        [],
    ),
    (
        "gene-therapy",
        EXC,
        "Those who have used any gene therapy products before.",
        [MED("gene_therapy")],
        [],
    ),
    (
        "transplant-window",
        EXC,
        "Received solid organ transplantation or hematopoietic stem cell transplantation within 3 months before screening",
        [PROC("solid_organ_transplant,hsct", window=W(3, "months"))],
        [],
    ),
    (
        "hsct-ever",
        EXC,
        "Prior allogeneic hematopoietic stem cell transplantation",
        [PROC("hsct")],
        [],
    ),
    (
        "kidney-transplant",
        EXC,
        "History of kidney transplantation",
        [PROC("kidney_transplant")],
        [],
    ),
    (
        "live-vaccine",
        EXC,
        "Received live vaccine treatment within 4 weeks prior to screening;",
        [{"kind": "vaccine", "window": W(4, "weeks")}],
        [],
    ),
    (
        "live-attenuated",
        EXC,
        "Live attenuated vaccines within 6 weeks before lymphodepletion",
        [{"kind": "vaccine", "window": W(6, "weeks", "within", "lymphodepletion")}],
        [],
    ),
    (
        "major-surgery",
        EXC,
        "Subjects who have undergone major surgery within 2 weeks prior to signing the informed consent form",
        [PROC("major_surgery", window=W(2, "weeks", "within", "consent"))],
        [],
    ),
    ("dialysis", EXC, "subjects who need hemodialysis", [PROC("hemodialysis")], []),
    # ------------------------------------------------------------------ medications and washouts
    (
        "immunosuppressive-washout",
        EXC,
        "Received immunosuppressive therapy within 1 week prior to leukapheresis;",
        [MED("conventional_immunosuppressants", window=W(1, "weeks", "within", "leukapheresis"))],
        [],
    ),
    (
        "half-lives",
        EXC,
        "immunosuppressants or biologics with a therapeutic effect for the indication within five half-lives prior to enrollment",
        [
            MED(
                "conventional_immunosuppressants,bDMARDs",
                window=W(5, "half_lives", "within", "enrollment"),
            )
        ],
        [],
    ),
    (
        "steroids-4w",
        EXC,
        "Systemic steroids have used in the 4 weeks before participating in the treatment (except recently or currently using inhaled steroids);",
        [MED("glucocorticoids")],
        [],
    ),
    (
        "rituximab-6m",
        EXC,
        "Treatment with rituximab within 6 months before screening",
        [MED("rituximab", window=W(6, "months"))],
        [],
    ),
    (
        "jak-washout",
        EXC,
        "JAK inhibitors within 2 weeks prior to lymphodepletion",
        [MED("tsDMARDs", window=W(2, "weeks", "within", "lymphodepletion"))],
        [],
    ),
    (
        "belimumab-12w",
        EXC,
        "Belimumab or anifrolumab within 12 weeks prior to screening",
        [MED("belimumab,anifrolumab", window=W(12, "weeks"))],
        [],
    ),
    (
        "gc-dose-kg",
        INC,
        "Glucocorticoids (≥0.5mg/kg/d) and cyclophosphamide did not show significant remission of the disease for more than 3 months",
        [MED("cyclophosphamide,glucocorticoids", window=W(3, "months", "duration"))],
        [],
    ),
    (
        "conventional-failure",
        INC,
        "Definition of relapse-refractory: failure of conventional treatment for more than 6 months",
        [
            MED(
                "glucocorticoids,csDMARDs,conventional_immunosuppressants,bDMARDs",
                window=W(6, "months", "duration"),
            )
        ],
        [],
    ),
    (
        "allergy-not-history",
        EXC,
        "Contraindication to cyclophosphamide in combination with fludarabine;",
        [MANUAL],
        [{"kind": "medication"}],
    ),
    (
        "gc-taper-manual",
        INC,
        "Inability to reduce glucocorticoids to less than 7.5 mg/day prednisone or equivalent",
        [MANUAL],
        [{"kind": "medication"}],
    ),
    # ------------------------------------------------------------------ windows on conditions
    (
        "mi-6m",
        EXC,
        "history of acute myocardial infarction within 6 months before screening",
        [C("myocardial_infarction", window=W(6, "months"))],
        [],
    ),
    (
        "malignancy-5y",
        EXC,
        "history of malignant tumors within the last five years.",
        [C("malignancy", window=W(5, "years"))],
        [],
    ),
    (
        "ra-duration",
        INC,
        "Diagnosis of moderately or severely active rheumatoid arthritis with a previous diagnosis of rheumatoid arthritis ≥ 6 months",
        [C("rheumatoid_arthritis", window=W(6, "months", "at_least"))],
        [],
    ),
    (
        "crohn-6m",
        INC,
        "At least 6 months before screening, diagnosed as Crohn's disease based on typical radiological results",
        [C("crohns_disease", window=W(6, "months", "at_least"))],
        [],
    ),
    (
        "thrombo-4w",
        EXC,
        "Grade 2 or higher thromboembolic event in the past 4 weeks prior to screening.",
        [{"kind": "manual", "window": W(4, "weeks")}],
        [],
    ),
    (
        "trial-participation",
        EXC,
        "Participated in any clinical study within 3 months prior to enrollment",
        [
            {
                "kind": "manual",
                "concept": "other clinical trial participation",
                "window": W(3, "months", "within", "enrollment"),
            }
        ],
        [],
    ),
    (
        "window-words",
        EXC,
        "Stroke within the past twelve months",
        [C("stroke", window=W(12, "months"))],
        [],
    ),
    ("window-days", EXC, "Any live vaccine within 30 days of screening", [{"kind": "vaccine"}], []),
    # ------------------------------------------------------------------ conditions
    (
        "cns-list",
        EXC,
        "CNS disease: including epilepsy, psychosis, organic encephalopathy syndrome, cerebrovascular accident [CVA]",
        [C("epilepsy,psychosis,stroke")],
        [],
    ),
    (
        "heart",
        EXC,
        "Subjects with relatively serious heart diseases, such as angina pectoris, myocardial infarction, heart failure, and arrhythmia",
        [C("angina,myocardial_infarction,heart_failure")],
        [],
    ),
    ("tb", EXC, "Active tuberculosis at the time of screening;", [C("tuberculosis_active")], []),
    ("esrd", EXC, "end-stage renal failure;", [C("esrd")], []),
    (
        "immunodeficiency",
        EXC,
        "Subjects with congenital immunodeficiency diseases;",
        [C("primary_immunodeficiency")],
        [],
    ),
    ("cirrhosis", EXC, "Combined cirrhosis of the liver;", [C("cirrhosis")], []),
    (
        "mds-aa",
        EXC,
        "Combination of aplastic anemia (AA), myelodysplastic syndrome (MDS), or other myeloproliferative disease (MPD).",
        [C("aplastic_anemia,mds")],
        [],
    ),
    ("ibm", EXC, "Inclusion body myositis;", [C("inclusion_body_myositis")], []),
    (
        "gvhd",
        EXC,
        "Acute graft-versus-host disease (GVHD) of grade 2 or above was present within 2 weeks prior to screening",
        [C("gvhd")],
        [C("gvhd", window=W(2, "weeks"))],
    ),
    (
        "malignancy-exceptions",
        EXC,
        "Subjects with malignant tumour, except for Non-melanoma Skin Cancer with PFS>5yr; Cervical Cancer in situ",
        [C("malignancy"), {"kind": "condition", "concept": "nmsc,cervical_cis", "negated": True}],
        [C("cervical_cis", negated=False)],
    ),
    (
        "ln-active",
        INC,
        "Active lupus nephritis class III or IV confirmed by biopsy",
        [C("lupus_nephritis")],
        [],
    ),
    (
        "disease-mg",
        INC,
        "Diagnosis of generalized myasthenia gravis with positive AChR antibodies",
        [C("myasthenia_gravis")],
        [],
    ),
    (
        "disease-aav",
        INC,
        "Diagnosis of ANCA-associated vasculitis (GPA or MPA)",
        [C("anca_vasculitis")],
        [],
    ),
    ("disease-ms", INC, "Progressive multiple sclerosis", [C("multiple_sclerosis")], []),
    ("disease-itp", INC, "Primary immune thrombocytopenia for at least 12 months", [C("itp")], []),
    ("disease-sjogren", INC, "Diagnosis of primary Sjögren's syndrome", [C("primary_sjogren")], []),
    ("peptic", EXC, "active or recurrent peptic ulcers", [C("peptic_ulcer")], []),
    (
        "depression-suicide",
        EXC,
        "psychiatric patients with depression or suicidal thoughts",
        [C("depression,suicidal_ideation")],
        [],
    ),
    # ------------------------------------------------------------------ not understood -> manual
    (
        "manual-investigator",
        EXC,
        "Any situations that the investigator believes the patients are not suitable for the study.",
        [MANUAL],
        [],
    ),
    # was [MANUAL]: life expectancy is now a read threshold (issue 10), in weeks as written
    (
        "survival-threshold",
        INC,
        "Estimated survival time> 12 weeks;",
        [
            {
                "kind": "measurement",
                "concept": "life_expectancy",
                "comparator": ">",
                "value": 12,
                "unit": "wk",
            }
        ],
        [],
    ),
    (
        "manual-consent",
        INC,
        "Voluntary participation and informed consent signed by the patient",
        [MANUAL],
        [],
    ),
    (
        "manual-access",
        INC,
        "Adequate venous access for apheresis, and no other contraindications for leukapheresis;",
        [MANUAL],
        [],
    ),
    ("manual-cd19", INC, "Patients with CD19+ B-cell;", [MANUAL], []),
    (
        "manual-infection",
        EXC,
        "The presence or suspicion of an active fungal, bacterial, viral or other infection that cannot be controlled during screening;",
        [MANUAL],
        [],
    ),
    ("manual-no-unit", INC, "Neutrophils ≥ 1.5", [MANUAL], [ANY_MEASURE]),
    ("manual-german", INC, "Patienten mit aktiver Erkrankung trotz Standardtherapie", [MANUAL], []),
    ("manual-chinese", INC, "患者签署知情同意书", [MANUAL], []),
    # ------------------------------------------------------------------ platelets that cannot be maintained (ITP)
    (
        "itp-cannot-maintain",
        INC,
        "platelet counts that cannot be maintained at a safe level (generally considered to be platelet counts \\> 30 × 10⁹ /L)",
        [M("platelets", "<=", 30, "10*9/L")],
        [M("platelets", ">", 30, "10*9/L")],
    ),
]
