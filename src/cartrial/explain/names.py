"""Human names, conventional units and "what to order" groups for every key a criterion uses.

Names come from the vocabulary (``vocab.display``); a short table overrides the few displays that
are written for coders rather than clinicians ("DLCO (absolute) - % predicted not verified").
Drug classes have no display in the vocabulary, so their names are given here.
"""

from __future__ import annotations

import re
from functools import cache

from cartrial import vocab
from cartrial.domain.errors import DataError

_SHORT: dict[str, str] = {
    "alt": "ALT",
    "ast": "AST",
    "anc": "neutrophil count",
    "alc": "lymphocyte count",
    "wbc": "white cell count",
    "hemoglobin": "haemoglobin",
    "platelets": "platelet count",
    "bilirubin_total": "total bilirubin",
    "creatinine": "serum creatinine",
    "creatine_kinase": "creatine kinase",
    "crp": "CRP",
    "esr": "ESR",
    "igg": "IgG",
    "inr": "INR",
    "prothrombin_time": "prothrombin time (PT)",
    "cd19_abs": "CD19+ B-cell count",
    "cd19_pct": "CD19+ B cells (% of lymphocytes)",
    "dlco": "DLCO",
    "dlco_pct_pred": "DLCO (% predicted)",
    "fvc_pct_pred": "FVC (% predicted)",
    "lvef": "left ventricular ejection fraction (LVEF)",
    "mpap": "mean pulmonary artery pressure",
    "spo2": "oxygen saturation (SpO₂)",
    "body_weight": "body weight",
    "body_height": "height",
    "hbsag": "HBsAg",
    "anti_hbc_total": "anti-HBc (total)",
    "hbv_dna": "HBV DNA",
    "anti_hcv": "anti-HCV",
    "hcv_rna": "HCV RNA",
    "hiv_ab": "HIV-1/2 antibody",
    "hiv_agab": "HIV-1/2 Ag/Ab (4th generation)",
    "syphilis_rpr": "syphilis RPR",
    "syphilis_treponemal": "syphilis treponemal antibody",
    "hcg_serum_qual": "serum hCG pregnancy test",
    "hcg_urine_qual": "urine hCG pregnancy test",
    "ana_presence": "antinuclear antibodies (ANA)",
    "ana_titer_ifa": "ANA titre (IFA)",
    "anti_scl70": "anti-Scl-70",
    "anti_centromere": "anti-centromere antibody",
    "anti_rna_pol_iii": "anti-RNA polymerase III",
    "anti_jo1": "anti-Jo-1",
    "msa_other": "other myositis-specific antibody (Mi-2, PL-7, PL-12, SRP, MDA5, HMGCR, TIF1-γ, NXP2)",
    "sledai_2k": "SLEDAI-2K",
    "selena_sledai": "SELENA-SLEDAI",
    "bilag_a_count": "BILAG-2004 A scores",
    "bilag_b_count": "BILAG-2004 B scores",
    "mrss": "modified Rodnan skin score (mRSS)",
    "essdai": "ESSDAI",
    "haq_di": "HAQ-DI",
    "mmt8": "MMT-8",
    "cdai": "CDAI",
    "das28_esr": "DAS28-ESR",
    "das28_crp": "DAS28-CRP",
    "imacs_phga": "physician global activity (PhGA)",
    "imacs_ptga": "patient global activity (PtGA)",
    "imacs_extramuscular": "extramuscular global activity",
    "sle_eular_acr_2019": "2019 EULAR/ACR SLE classification score",
    "ssc_acr_eular_2013": "2013 ACR/EULAR SSc classification score",
    "swollen_joint_count_66": "swollen joint count (66)",
    "tender_joint_count_68": "tender joint count (68)",
    "crcl_cockcroft_gault": "creatinine clearance (Cockcroft–Gault)",
    "egfr_ckd_epi_2021": "eGFR (CKD-EPI 2021)",
    "egfr_bedside_schwartz": "eGFR (bedside Schwartz)",
    "primary_sjogren": "primary Sjögren's syndrome",
}

CLASS_NAMES: dict[str, str] = {
    "glucocorticoids": "systemic corticosteroids",
    "csDMARDs": "conventional synthetic DMARDs",
    "bDMARDs": "biologic DMARDs",
    "tsDMARDs": "targeted synthetic DMARDs (JAK inhibitors)",
    "b_cell_depleting": "B-cell-depleting therapy",
    "car_t": "prior CAR-T cell therapy",
    "conventional_immunosuppressants": "conventional immunosuppressants",
}

_UNITS: dict[str, str] = {
    "mm[Hg]": "mmHg",
    "10*9/L": "× 10⁹/L",
    "10*12/L": "× 10¹²/L",
    "10*3/uL": "× 10³/µL",
    "/uL": "/µL",
    "umol/L": "µmol/L",
    "[IU]/mL": "IU/mL",
    "[IU]/L": "IU/L",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "mL/min/1.73m2": "mL/min/1.73 m²",
    "a": "years",
    "mg/d": "mg/day",
    "m2": "m²",
    "ug/L": "µg/L",
    "ug/dL": "µg/dL",
}

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

ORDER_GROUPS: tuple[str, ...] = ("labs", "imaging", "scores", "history")
GROUP_TITLES: dict[str, str] = {
    "labs": "Labs and vital signs",
    "imaging": "Imaging and function tests",
    "scores": "Scores and assessments",
    "history": "History",
}
_IMAGING = frozenset(
    {"lvef", "dlco", "dlco_pct_pred", "fvc_pct_pred", "mpap", "spo2", "hrct", "ecg_qtc"}
)


@cache
def _lab_keys() -> frozenset[str]:
    return vocab.concept_keys("labs")


def concept_name(key: str) -> str:
    """A clinician's name for a vocabulary key (lab, score, condition, drug, procedure...)."""
    if key in _SHORT:
        return _SHORT[key]
    if key in CLASS_NAMES:
        return CLASS_NAMES[key]
    for group in ("labs", "conditions", "medications", "procedures", "vaccines"):
        try:
            return _tidy(vocab.display(group, key))
        except (DataError, KeyError):
            continue
    return key.replace("_", " ")


def _tidy(display: str) -> str:
    """Lower-case a display's first word unless it is an acronym or a proper name."""
    first = display.split(" ", 1)[0]
    if first[:1].isupper() and first[1:2].islower() and not re.search(r"'s\b", first):
        return first[:1].lower() + display[1:]
    return display


def unit_display(ucum: str | None) -> str:
    """UCUM in the form printed on a lab report: ``mm[Hg]`` → mmHg, annotations dropped."""
    if not ucum:
        return ""
    if ucum in _UNITS:
        return _UNITS[ucum]
    shown = re.sub(r"\{[^}]*\}", "", ucum).strip()
    shown = re.sub(r"(?<![A-Za-z])u(?=[A-Za-z])", "µ", shown)  # micro prefix
    shown = re.sub(r"10\*(\d+)", lambda m: "× 10" + m.group(1).translate(_SUPERSCRIPT), shown)
    return shown.replace("[", "").replace("]", "")


def is_score(key: str) -> bool:
    if key not in _lab_keys():
        return False
    unit = vocab.lab(key).canonical_unit or ""
    return unit in ("{score}", "{count}") or key.startswith(("imacs_", "sle_", "ssc_acr"))


def order_group(key: str) -> str:
    """What the missing datum is to order or look up: labs, imaging, scores or history."""
    if key in _IMAGING:
        return "imaging"
    if is_score(key):
        return "scores"
    if key in _lab_keys():
        return "labs"
    return "history"


def join_or(names: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]
