"""Words the parser and the importer recognise, each mapped to a vocabulary concept key.

Keys follow ``reference/vocabulary.json`` (``labs[].key``, ``conditions[].key``,
``medications[].key``, ``atc_class_groups``, ``procedures[].key``). A handful of keys the
vocabulary does not carry yet (score instruments such as ``bilag_2004_a_count``, the pulmonary
artery pressure, drug classes ``cd19_targeted``/``bcma_targeted``/``gene_therapy``) are listed in
:data:`NOT_IN_VOCABULARY`; nodes using them say so in their note.

Patterns are plain regular-expression fragments (case-insensitive unless written inside
``(?-i:...)``), tried longest first.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

# the regex parser (private but stable), used to find the characters a synonym can start with
_sre_parser: Any = importlib.import_module("re._parser")

# ---------------------------------------------------------------------------- diseases

#: disease or comorbidity key -> synonym patterns. Order inside a list does not matter.
CONDITIONS: dict[str, tuple[str, ...]] = {
    "lupus_nephritis": (r"lupus\s+nephritis", r"(?-i:SLE-LN)", r"(?-i:\bLN\b)"),
    "sle": (
        r"systemic\s+lupus\s+erythematosus",
        r"systemic\s+lupus",
        r"lupus\s+erythematosus",
        r"(?-i:\bSLE\b)",
        r"lupus(?!\s+(?:nephritis|anticoagulant|headache))",
    ),
    "ssc_diffuse_cutaneous": (
        r"diffuse\s+cutaneous\s+(?:systemic\s+sclerosis|scleroderma)",
        r"diffuse\s+systemic\s+sclerosis",
        r"(?-i:\bdcSSc\b)",
    ),
    "ssc_ild": (
        r"(?-i:\bSSc-ILD\b)",
        r"systemic\s+sclerosis[- ]associated\s+interstitial\s+lung\s+disease",
    ),
    "systemic_sclerosis": (
        r"systemic\s+sclerosis",
        r"(?-i:\bSSc\b)",
        r"scleroderma",
    ),
    "inclusion_body_myositis": (r"inclusion[- ]body\s+myositis", r"(?-i:\bIBM\b)"),
    "antisynthetase_syndrome": (
        r"anti-?\s?synthetase\s+syndrome",
        r"(?-i:\bASy?S\b)",
    ),
    "imnm": (
        r"immune[- ]mediated\s+necroti[sz]ing\s+myopathy",
        r"necroti[sz]ing\s+(?:autoimmune\s+)?myopathy",
        r"(?-i:\bI?MNM\b)",
    ),
    "dermatomyositis": (r"(?:juvenile\s+)?dermatomyositis", r"(?-i:\bJ?DM\b)"),
    "polymyositis": (r"polymyositis", r"(?-i:\bPM\b)"),
    "rheumatoid_arthritis": (r"rheumatoid\s+arthritis", r"(?-i:\bRA\b)"),
    "primary_sjogren": (
        r"(?:primary\s+)?sj[oö]e?gren'?s?(?:'s)?(?:\s+(?:syndrome|disease))?",
        r"(?-i:\bpSS\b)",
        r"dry\s+syndrome",
    ),
    "itp": (
        r"(?:primary\s+)?immune\s+thrombocytopeni[ac]",
        r"idiopathic\s+thrombocytopeni[ac]\s+purpura",
        r"(?-i:\bITP\b)",
    ),
    "crohns_disease": (r"crohn'?s?(?:'s)?\s+disease", r"crohn\b"),
    "ulcerative_colitis": (r"ulcerative\s+colitis",),
    "adult_onset_stills": (
        r"adult[- ]onset\s+still'?s?\s+disease",
        r"adult\s+still'?s?\s+disease",
        r"still'?s?\s+disease",
        r"(?-i:\bAOSD\b)",
    ),
    "myasthenia_gravis": (r"myasth[a]?enia\s+gravis", r"(?-i:\bg?MG\b)"),
    "multiple_sclerosis": (r"multiple\s+sclerosis",),
    "anca_vasculitis": (
        r"anca[- ]associated\s+vasculitis",
        r"(?-i:\bAAV\b)",
        r"granulomatosis\s+with\s+polyangiitis",
        r"microscopic\s+polyangiitis",
    ),
    "hepatitis_b_chronic": (r"hepatitis\s+b(?:\s+virus)?(?:\s+infection)?", r"(?-i:\bHBV\b)"),
    "hepatitis_c": (r"hepatitis\s+c(?:\s+virus)?(?:\s+infection)?", r"(?-i:\bHCV\b)"),
    "hiv": (r"human\s+immunodeficiency\s+virus", r"(?-i:\bHIV\b)", r"\baids\b"),
    "syphilis": (r"syphilis",),
    "tuberculosis_active": (r"tuberculosis", r"(?-i:\bTB\b)"),
    "epilepsy": (r"epilep(?:sy|tic)", r"seizures?(?:\s+disorder)?"),
    "intracranial_hemorrhage": (
        r"(?:intracranial|cerebral|brain)\s+ha?emorrhage",
        r"cerebrovascular\s+ha?emorrhage",
        r"ha?emorrhagic\s+stroke",
    ),
    "stroke": (
        r"cerebrovascular\s+(?:accident|ischa?emia|disease|event)s?",
        r"(?-i:\bCVA\b)",
        r"\bstroke\b",
        r"cerebral\s+infarction",
    ),
    "dementia": (r"dementia",),
    "psychosis": (r"psychos[ie]s", r"psychotic", r"schizophreni[ac]"),
    "depression": (r"depressi(?:on|ve\s+disorder)",),
    "suicidal_ideation": (r"suicid(?:al|e)",),
    "myocardial_infarction": (r"myocardial\s+infarction", r"heart\s+attack"),
    "heart_failure": (
        r"(?:congestive\s+)?(?:heart|cardiac)\s+failure",
        r"(?-i:\bNYHA\b)\s+(?:class\s+)?(?:III|IV|3|4)",
    ),
    "angina": (r"angina(?:\s+pectoris)?",),
    "ventricular_tachycardia": (r"ventricular\s+(?:tachycardia|arrhythmias?|fibrillation)",),
    "pah": (r"pulmonary\s+(?:arterial\s+)?hypertension", r"(?-i:\bPAH\b)", r"(?-i:\bPHA\b)"),
    "cirrhosis": (r"cirrhosis",),
    "aplastic_anemia": (r"aplastic\s+ana?emia",),
    "mds": (r"myelodysplastic\s+syndromes?", r"(?-i:\bMDS\b)"),
    "esrd": (
        r"end[- ]stage\s+(?:renal|kidney)\s+(?:failure|disease)",
        r"(?-i:\bESRD\b)",
    ),
    "primary_immunodeficiency": (
        r"(?:congenital|primary|hereditary)\s+immun(?:o)?deficiency(?:\s+diseases?)?",
        r"congenital\s+immunoglobulin\s+defects?",
        r"\bimmunodeficiency\b(?!\s+virus)",
    ),
    "gilbert_syndrome": (r"gilbert'?s?(?:'s)?\s+(?:syndrome|disease)", r"gilbert\b"),
    "pregnancy": (r"pregnan(?:t|cy)",),
    "lactation": (r"lactating", r"lactation", r"breast-?\s?feeding", r"nursing"),
    "nmsc": (
        r"non-?\s?melanoma(?:tous)?\s+skin\s+cancers?",
        r"basal\s+cell\s+carcinoma",
        r"squamous\s+cell\s+(?:skin\s+)?carcinoma\s+of\s+the\s+skin",
    ),
    "cervical_cis": (
        r"(?:in\s+situ\s+)?cervical\s+(?:cancer|carcinoma)\s+in\s+situ",
        r"carcinoma\s+in\s+situ\s+of\s+(?:the\s+)?cervix",
        r"in\s+situ\s+cervical",
    ),
    "malignancy": (
        r"malignan(?:t|cy|cies)(?:\s+(?:tumou?rs?|diseases?|neoplasms?))?",
        r"\bcancers?\b",
        r"\btumou?rs?\b",
        r"neoplasms?",
    ),
    "gvhd": (r"graft[- ]versus[- ]host\s+disease", r"(?-i:\bGVHD\b)"),
    "peptic_ulcer": (r"peptic\s+ulcers?", r"gastric\s+ulcers?"),
}

#: diseases a CAR-cell autoimmune trial targets (a trial's ``diseases``; cohort labels).
TARGET_DISEASES: tuple[str, ...] = (
    "sle",
    "lupus_nephritis",
    "systemic_sclerosis",
    "ssc_diffuse_cutaneous",
    "ssc_ild",
    "dermatomyositis",
    "polymyositis",
    "antisynthetase_syndrome",
    "imnm",
    "inclusion_body_myositis",
    "rheumatoid_arthritis",
    "primary_sjogren",
    "itp",
    "crohns_disease",
    "ulcerative_colitis",
    "adult_onset_stills",
    "myasthenia_gravis",
    "multiple_sclerosis",
    "anca_vasculitis",
)

#: words for "idiopathic inflammatory myopathy" expand to the four myositis keys.
IIM_PATTERN = r"(?:idiopathic\s+)?inflammatory\s+myopath(?:y|ies)|(?-i:\bIIM\b)|\bmyositis\b"
IIM_KEYS: tuple[str, ...] = ("dermatomyositis", "polymyositis", "antisynthetase_syndrome", "imnm")

# ---------------------------------------------------------------------------- analytes

#: lab / observation key -> synonym patterns (a threshold follows the name).
ANALYTES: dict[str, tuple[str, ...]] = {
    "wbc": (
        r"(?:total\s+)?white\s+blood\s+cells?(?:\s+\(wbc\))?(?:\s+counts?)?",
        r"white\s+(?:blood\s+)?cell\s+counts?",
        r"leuk?ocytes?(?:\s+counts?)?",
        r"(?-i:\bWBCs?\b)(?:\s+counts?)?",
    ),
    "anc": (
        r"(?:absolute\s+)?neutrophils?(?:\s+granulocytes?)?(?:\s+\(anc\))?(?:\s+counts?)?",
        r"(?-i:\bANC\b)",
        r"(?-i:\bNEUT?\b)",
    ),
    "alc": (
        r"(?:absolute\s+)?lymphocytes?(?:\s+\(alc\))?(?:\s+counts?)?",
        r"(?-i:\bALC\b)",
    ),
    "hemoglobin": (
        r"ha?emoglobin(?:\s+\(hg?b\))?(?:\s+(?:levels?|concentration))?",
        r"(?-i:\bH(?:GB|gb|b)\b)",
    ),
    "platelets": (
        r"platelets?(?:\s+\(plt\))?(?:\s+counts?)?",
        r"thrombocytes?(?:\s+counts?)?",
        r"(?-i:\b(?:PLT|BPC)\b)",
    ),
    "alt": (
        r"alanine\s+(?:amino)?transaminase",
        r"alanine\s+aminotransferase",
        r"(?-i:\b(?:ALT|SGPT|GPT)\b)",
    ),
    "ast": (
        r"aspartate\s+(?:amino)?transaminase",
        r"aspartate\s+aminotransferase",
        r"(?-i:\b(?:AST|SGOT|GOT)\b)",
    ),
    "bilirubin_total": (
        r"(?:serum\s+|blood\s+)?total\s+bilirubin",
        r"(?:serum\s+|blood\s+)?bilirubin(?:\s+total)?",
        r"(?-i:\bT-?BILI?\b|\bTBil\b|\bT\.?\s?bil\b)",
    ),
    "creatinine": (
        r"(?:serum\s+|blood\s+)?creatinine(?!\s+clearance)(?:\s+\(s?cr\))?(?:\s+levels?)?",
        r"(?-i:\bS?Cr\b)(?!\s*Cl)",
    ),
    "crp": (
        r"c-?\s?reactive\s+protein(?:\s+\(crp\))?",
        r"(?-i:\b(?:hs-?)?CRP\b)",
    ),
    "esr": (
        r"erythrocyte\s+sedimentation\s+rate(?:\s+\(esr\))?",
        r"(?-i:\bESR\b)",
    ),
    "inr": (
        r"international\s+(?:normali[sz]ed|standardi[sz]ed)\s+ratio(?:\s+\(inr\))?",
        r"(?-i:\bINR\b)",
    ),
    "prothrombin_time": (r"prothrombin\s+time(?:\s+\(pt\))?", r"(?-i:\bPT\b)"),
    "igg": (r"immunoglobulin\s+g(?:\s+\(igg\))?", r"serum\s+igg", r"(?-i:\bIgG\b)"),
    "complement_c3": (r"complement\s+c3", r"(?-i:\bC3\b)"),
    "complement_c4": (r"complement\s+c4", r"(?-i:\bC4\b)"),
    "lvef": (
        r"left\s+ventricular\s+ejection\s+fraction(?:\s+\(lvef\))?",
        r"(?:cardiac\s+)?ejection\s+fraction(?:\s+\(l?v?ef\))?",
        r"(?-i:\bLVEF\b|\bEF\b)",
    ),
    "spo2": (
        r"(?:blood\s+|peripheral\s+|pulse\s+)?oxygen\s+saturation(?:\s+\(spo2\))?",
        r"(?-i:\b(?:SpO2|SPO2|SaO2|SO2)\b)",
    ),
    "dlco": (
        r"diffusing\s+capacity(?:\s+of\s+the\s+lungs?)?(?:\s+for\s+carbon\s+monoxide)?(?:\s+\(dlco\))?",
        r"(?-i:\bDLCO(?:c|-?Hb)?\b|\bDLco\b)",
    ),
    "fvc_pct_pred": (r"forced\s+vital\s+capacity(?:\s+\(fvc\))?", r"(?-i:\bFVC\b)"),
    "creatine_kinase": (
        r"creatine\s+(?:phospho)?kinase(?:\s+\(c?pk\))?",
        r"(?-i:\bC[PK]K?\b)(?!-)",
    ),
    "urine_pcr": (
        r"urine?\s+protein[- ](?:to[- ])?creatinine\s+ratio(?:\s+\(u?pcr\))?",
        r"urinary\s+protein[- ](?:to[- ])?creatinine\s+ratio",
        r"(?-i:\bU?PCR\b|\bUPCR\b)",
    ),
    "urine_protein_24h": (
        r"24[- ]?(?:h|hour|hr)s?\s+urin(?:e|ary)\s+protein(?:\s+(?:quantification|excretion))?",
        r"proteinuria",
    ),
    "qtc": (r"(?-i:\bQTc[FB]?\b)", r"corrected\s+qt(?:\s+interval)?"),
    "body_weight": (r"body\s+weight", r"\bweight\b"),
    "bmi": (r"body\s+mass\s+index(?:\s+\(bmi\))?", r"(?-i:\bBMI\b)"),
    "hbv_dna": (r"(?-i:\bHBV[- ]DNA\b)", r"hepatitis\s+b\s+virus\s+dna"),
    "hcv_rna": (r"(?-i:\bHCV[- ]RNA\b)",),
    "cd19_abs": (r"cd19\+?\s+b[- ]cells?(?:\s+counts?)?",),
    # "muscle enzymes" (and its mistranslation "myosin") = creatine kinase and aldolase
    "muscle_enzymes": (r"muscle\s+enzymes?(?:\s+levels?)?", r"myosin(?:\s+levels?)?"),
    "anti_dsdna": (r"anti-?\s?ds-?dna(?:\s+antibod(?:y|ies))?",),
    "mpap": (
        r"mean\s+pulmonary\s+(?:arter(?:y|ial)\s+)?pressure(?:\s+\(m?pap\))?",
        r"(?-i:\bmPAP\b)",
        r"pulmonary\s+(?:arter(?:y|ial)\s+)?(?:systolic\s+)?pressure",
    ),
}

#: pseudo-analytes that stand for several concepts
EXPANSIONS: dict[str, tuple[str, ...]] = {"muscle_enzymes": ("creatine_kinase", "aldolase")}

#: canonical UCUM unit of each analyte (the unit a unitless threshold is read in).
DEFAULT_UNITS: dict[str, str] = {
    "lvef": "%",
    "spo2": "%",
    "dlco": "%",
    "fvc_pct_pred": "%",
    "inr": "{INR}",
}

#: analytes whose percentage threshold means "% of predicted" (note on the node).
PERCENT_PREDICTED: frozenset[str] = frozenset({"dlco", "fvc_pct_pred"})

# ---------------------------------------------------------------------------- scores

#: score instrument key -> synonym patterns.
SCORES: dict[str, tuple[str, ...]] = {
    "selena_sledai": (r"selena[- ]?sledai(?:[- ]?2k)?",),
    "clinical_sledai": (r"clinical\s+sledai(?:[- ]?(?:2k|2000))?", r"(?-i:\bcSLEDAI\b)"),
    "sledai_2k": (
        r"sledai[- ]?(?:2k|2000)",
        r"systemic\s+lupus\s+erythematosus\s+disease\s+activity\s+index(?:[- ]?2000|[- ]?2k)?",
        r"sledai",
    ),
    "mrss": (
        r"(?:modified|improved)\s+rodnan\s+(?:total\s+)?skin\s+(?:thickness\s+)?score(?:\s+\(mrss\))?",
        r"rodnan\s+skin\s+score",
        r"(?-i:\bm?RSS\b)",
    ),
    "essdai": (
        r"(?-i:\bESSDAI\b)",
        r"eular\s+sj[oö]gren'?s\s+syndrome\s+disease\s+activity\s+index",
    ),
    "mmt8": (r"(?-i:\bMMT-?\s?8\b)", r"manual\s+muscle\s+test(?:ing)?[- ]?8?"),
    "das28_esr": (r"(?-i:\bDAS-?\s?28[- ](?:ESR|4v?)\b)", r"das28\s*\(esr\)"),
    "das28_crp": (r"(?-i:\bDAS-?\s?28[- ]CRP\b)", r"das28\s*\(crp\)"),
    "das28": (r"(?-i:\bDAS-?\s?28\b)", r"disease\s+activity\s+score\s+28"),
    "cdai": (r"(?-i:\bCDAI\b)", r"clinical\s+disease\s+activity\s+index"),
    "sdai": (r"(?-i:\bSDAI\b)", r"simplified\s+disease\s+activity\s+index"),
    "haq_di": (r"(?:total\s+)?(?-i:\bHAQ(?:-DI)?\b)(?:\s+score)?",),
    "swollen_joint_count_66": (
        r"swollen\s+joint\s+counts?(?=[^.;]{0,40}\b66\b)",
        r"(?-i:\bSJC\s?66\b)",
    ),
    "tender_joint_count_68": (
        r"tender\s+joint\s+counts?(?=[^.;]{0,40}\b68\b)",
        r"(?-i:\bTJC\s?68\b)",
    ),
    "swollen_joint_count_28": (r"swollen\s+joint\s+counts?", r"(?-i:\bSJC(?:28)?\b)"),
    "tender_joint_count_28": (r"tender\s+joint\s+counts?", r"(?-i:\bTJC(?:28)?\b)"),
    "mg_adl": (r"(?-i:\bMG[- ]ADL\b)", r"myasthenia\s+gravis\s+activities\s+of\s+daily\s+living"),
    "qmg": (r"(?-i:\bQMG\b)", r"quantitative\s+myasthenia\s+gravis"),
    "edss": (r"(?-i:\bEDSS\b)", r"expanded\s+disability\s+status\s+scale"),
    "bvas": (r"(?-i:\bBVAS(?:/WG|\s?v3)?\b)", r"birmingham\s+vasculitis\s+activity\s+score"),
    "imacs_extramuscular": (
        r"extra-?\s?muscular\s+(?:disease\s+)?activity(?:\s+(?:score|assessment))?",
    ),
    "imacs_phga": (r"(?-i:\bPhGA\b)", r"physician\s+global\s+activity"),
    "imacs_ptga": (r"(?-i:\bPtGA\b)", r"patient(?:/parent)?\s+global\s+activity"),
    "physician_global": (
        r"physician(?:'s)?\s+global\s+assessment(?:\s+\(p?ga\))?",
        r"(?-i:\bPGA\b)",
    ),
    "patient_global": (r"patient(?:'s)?\s+global\s+assessment",),
}

#: classification criteria -> (score instrument key, disease keys).
CLASSIFICATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sle_eular_acr_2019": ("sle_eular_acr_2019", ("sle",)),
    "sle_slicc_2012": ("sle_slicc_2012", ("sle",)),
    "sle_acr_1997": ("sle_acr_1997", ("sle",)),
    "ssc_acr_eular_2013": ("ssc_acr_eular_2013", ("systemic_sclerosis",)),
    "iim_eular_acr_2017": ("iim_eular_acr_2017", IIM_KEYS),
    "pss_acr_eular_2016": ("pss_acr_eular_2016", ("primary_sjogren",)),
    "pss_aecg_2002": ("pss_aecg_2002", ("primary_sjogren",)),
    "ra_acr_eular_2010": ("ra_acr_eular_2010", ("rheumatoid_arthritis",)),
    "itp_ash_2019": ("itp_ash_2019", ("itp",)),
    "aosd_yamaguchi_1992": ("aosd_yamaguchi_1992", ("adult_onset_stills",)),
    "iim_bohan_peter_1975": ("iim_bohan_peter_1975", ("dermatomyositis", "polymyositis")),
}

#: human names of the classification criteria (notes).
CLASSIFICATION_NAMES: dict[str, str] = {
    "sle_eular_acr_2019": "2019 EULAR/ACR classification criteria for SLE",
    "sle_slicc_2012": "2012 SLICC classification criteria for SLE",
    "sle_acr_1997": "1997 ACR classification criteria for SLE",
    "ssc_acr_eular_2013": "2013 ACR/EULAR classification criteria for systemic sclerosis",
    "iim_eular_acr_2017": "2017 EULAR/ACR classification criteria for idiopathic inflammatory "
    "myopathies",
    "pss_acr_eular_2016": "2016 ACR/EULAR classification criteria for primary Sjogren's syndrome",
    "pss_aecg_2002": "2002 American-European Consensus Group criteria for Sjogren's syndrome",
    "ra_acr_eular_2010": "2010 ACR/EULAR classification criteria for rheumatoid arthritis",
    "itp_ash_2019": "ASH (2019) guideline definition of immune thrombocytopenia",
    "aosd_yamaguchi_1992": "Yamaguchi criteria (1992) for adult-onset Still's disease",
    "iim_bohan_peter_1975": "Bohan and Peter criteria (1975) for polymyositis/dermatomyositis",
}

# ---------------------------------------------------------------------------- drugs

#: medication key -> synonym patterns.
DRUGS: dict[str, tuple[str, ...]] = {
    "prednisone": (r"prednisone",),
    "prednisolone": (r"prednisolone",),
    "methylprednisolone": (r"methylprednisolone",),
    "hydroxychloroquine": (r"hydroxychloroquine", r"(?-i:\bHCQ\b)"),
    "methotrexate": (r"methotrexate", r"(?-i:\bMTX\b)"),
    "mycophenolate_mofetil": (
        r"mycophenolate(?:\s+mofetil)?",
        r"(?-i:\bMMF\b)",
        r"motecophanate",
        r"mertiomate",
    ),
    "azathioprine": (r"azathioprine", r"(?-i:\bAZA\b)"),
    "leflunomide": (r"leflunomide",),
    "cyclophosphamide": (r"cyclophosphamide", r"(?-i:\bCYC\b)"),
    "tacrolimus": (r"tacrolimus", r"tachlimus"),
    "cyclosporine": (r"cyclosporin[e]?", r"ciclosporin"),
    "voclosporin": (r"voclosporin",),
    "sulfasalazine": (r"sulfasalazine",),
    "rituximab": (r"rituximab",),
    "belimumab": (r"belimumab", r"beliumab"),
    "anifrolumab": (r"anifrolumab",),
    "telitacicept": (r"telitacicept", r"titacept"),
    "obinutuzumab": (r"obinutuzumab",),
    "infliximab": (r"infliximab",),
    "adalimumab": (r"adalimumab",),
    "certolizumab_pegol": (r"certolizumab", r"setolizumab"),
    "tocilizumab": (r"tocilizumab",),
    "abatacept": (r"abatacept",),
    "ivig": (r"(?-i:\bIVIG\b)", r"intravenous\s+immunoglobulins?"),
    "fludarabine": (r"fludarabine",),
    "daratumumab": (r"daratumumab",),
    "eltrombopag": (r"eltrombopag",),
    "romiplostim": (r"romiplostim",),
}

#: drug class group key -> synonym patterns.
DRUG_CLASSES: dict[str, tuple[str, ...]] = {
    "glucocorticoids": (
        r"(?:systemic\s+)?(?:gluco)?corticosteroids?",
        r"(?:systemic\s+)?glucocorticoids?",
        r"(?:systemic\s+)?steroids?",
        r"(?-i:\bGCs?\b)",
    ),
    "conventional_immunosuppressants": (
        r"immunosuppress(?:ive|ants?|ion)(?:\s+(?:therapy|therapies|agents?|drugs?|treatment))?",
        r"immunomodulat(?:ory|ors?)(?:\s+(?:drugs?|agents?))?",
    ),
    "csDMARDs": (r"(?-i:\bcs-?DMARDs?\b)", r"(?-i:\bDMARDs?\b)", r"disease[- ]modifying"),
    "bDMARDs": (
        r"biologics?(?:\s+(?:agents?|therapy|therapies|drugs?))?",
        r"biological\s+(?:agents?|therapy|therapies|drugs?|dmards?)",
        r"(?-i:\bb-?DMARDs?\b)",
    ),
    "tsDMARDs": (r"(?-i:\bts-?DMARDs?\b)", r"(?-i:\bJAK\b)\s+inhibitors?"),
    "b_cell_depleting": (
        r"b[- ]cell[- ]depleti(?:ng|on)(?:\s+(?:therapy|therapies|agents?))?",
        r"anti-?\s?cd20",
    ),
    "car_t": (
        r"car[- ]?t(?:[- ]cells?)?(?:\s+(?:cell\s+)?therap(?:y|ies))?",
        r"chimeric\s+antigen\s+receptor",
    ),
    "cd19_targeted": (r"cd-?19[- ]?(?:targeted|directed)", r"anti-?\s?cd-?19"),
    "bcma_targeted": (r"bcma[- ]?(?:targeted|directed)", r"anti-?\s?bcma"),
    "gene_therapy": (r"gene\s+(?:therapy|therapies|modified|editing)(?:\s+products?)?",),
    "live_vaccine": (r"live(?:[- ]attenuated)?\s+vaccines?",),
    # "conventional treatment" (failure of): the usual systemic therapies together
    "conventional_treatment": (
        r"conventional\s+(?:treatments?|therap(?:y|ies)|immunosuppressive\s+therap(?:y|ies))",
        r"(?:routine|standard)\s+(?:treatments?|therap(?:y|ies))",
    ),
}

#: pseudo-classes that stand for several class groups
CLASS_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "conventional_treatment": (
        "glucocorticoids",
        "csDMARDs",
        "conventional_immunosuppressants",
        "bDMARDs",
    )
}

#: procedure key -> synonym patterns.
PROCEDURES: dict[str, tuple[str, ...]] = {
    "hsct": (
        r"(?:allogeneic\s+|autologous\s+)?(?:ha?ematopoietic|hemopoietic)\s+stem[- ]cell\s+transplant(?:ation)?",
        r"(?-i:\b(?:allo-?|auto-?)?HS?CT\b)",
        r"bone\s+marrow\s+transplant(?:ation)?",
        r"stem[- ]cell\s+transplant(?:ation)?",
    ),
    "solid_organ_transplant": (r"(?:solid\s+)?organ\s+transplant(?:ation)?",),
    "kidney_transplant": (r"(?:kidney|renal)\s+transplant(?:ation)?",),
    "liver_transplant": (r"liver\s+transplant(?:ation)?",),
    "hemodialysis": (r"ha?emodialysis", r"\bdialysis\b", r"renal\s+replacement\s+therapy"),
    "major_surgery": (r"major\s+surgery", r"major\s+surgical\s+procedures?"),
    "plasma_exchange": (r"plasma\s+exchange", r"plasmapheresis"),
}

#: keys used by the parser that the shared vocabulary does not list (yet).
NOT_IN_VOCABULARY: frozenset[str] = frozenset(
    {
        "das28",
        "mg_adl",
        "qmg",
        "edss",
        "bvas",
        "physician_global",
        "patient_global",
        "cd19_targeted",
        "bcma_targeted",
        "gene_therapy",
        "live_vaccine",
        "plasma_exchange",
        *(
            v[0]
            for v in CLASSIFICATIONS.values()
            if v[0] not in ("sle_eular_acr_2019", "ssc_acr_eular_2013")
        ),
    }
)


# ---------------------------------------------------------------------------- helpers


def alternation(patterns: Iterable[str]) -> str:
    """One ``(?:a|b|c)`` group of the patterns, longest source first."""
    return "(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + ")"


def _unwrap(pattern: str) -> str:
    """``(?-i:X)`` or ``(?:X)`` around the whole pattern -> ``X``."""
    for opener in ("(?-i:", "(?:"):
        if pattern.startswith(opener) and pattern.endswith(")"):
            depth = 0
            for i, ch in enumerate(pattern):
                if ch == "(" and (i == 0 or pattern[i - 1] != "\\"):
                    depth += 1
                elif ch == ")" and pattern[i - 1] != "\\":
                    depth -= 1
                    if depth == 0 and i != len(pattern) - 1:
                        return pattern
            return pattern[len(opener) : -1]
    return pattern


def trigger(pattern: str) -> str | None:
    """A lower-case literal every match of ``pattern`` contains (None: no cheap literal).

    Only literal runs at nesting depth 0, not followed by an optional quantifier, in a pattern
    without a top-level ``|``, qualify; the longest such run is used.
    """
    p = _unwrap(pattern)
    depth = 0
    runs: list[str] = []
    cur = ""
    i = 0
    while i < len(p):
        ch = p[i]
        if ch == "\\":
            runs.append(cur)
            cur = ""
            i += 2
            continue
        if ch == "(":
            depth += 1
            runs.append(cur)
            cur = ""
        elif ch == ")":
            depth -= 1
            cur = ""
        elif ch == "|" and depth == 0:
            return None
        elif depth == 0 and (ch.isalnum() or ch in " -'"):
            nxt = p[i + 1] if i + 1 < len(p) else ""
            if nxt and nxt in "?*{":
                runs.append(cur)
                cur = ""
            else:
                cur += ch
        else:
            runs.append(cur)
            cur = ""
        i += 1
    runs.append(cur)
    best = max((r.strip(" -'") for r in runs), key=len, default="")
    return best.lower() if len(best) >= 2 else None


def finder(table: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    """A single regex with one named group per key (``k<i>``, ``i`` the key's position)."""
    return _finder(id(table), tuple(table))


def _first_chars(pattern: str) -> frozenset[str] | None:
    """Lower-case characters a match of ``pattern`` can start with (None: any character)."""
    try:
        tree = _sre_parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    chars, nullable = _first_of(list(tree))
    if chars is None or nullable:
        return None
    return frozenset(chars)


def _first_of(items: list[Any]) -> tuple[set[str] | None, bool]:
    """FIRST set and nullability of a parsed sequence (sre_parse items)."""
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero width
        if name == "LITERAL":
            out.add(chr(av).lower())
            return out, False
        if name == "IN":
            chars: set[str] = set()
            for sub_op, sub_av in av:
                sub = str(sub_op)
                if sub == "LITERAL":
                    chars.add(chr(sub_av).lower())
                elif sub == "RANGE":
                    lo, hi = sub_av
                    if hi - lo > 64:
                        return None, False
                    chars.update(chr(c).lower() for c in range(lo, hi + 1))
                else:
                    return None, False
            out |= chars
            return out, False
        if name == "SUBPATTERN":
            sub_set, nullable = _first_of(list(av[-1]))
            if sub_set is None:
                return None, False
            out |= sub_set
            if not nullable:
                return out, False
            continue
        if name == "BRANCH":
            nullable_any = False
            for alt in av[1]:
                sub_set, nullable = _first_of(list(alt))
                if sub_set is None:
                    return None, False
                out |= sub_set
                nullable_any = nullable_any or nullable
            if not nullable_any:
                return out, False
            continue
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, _hi, sub = av
            sub_set, nullable = _first_of(list(sub))
            if sub_set is None:
                return None, False
            out |= sub_set
            if lo > 0 and not nullable:
                return out, False
            continue
        return None, False
    return out, True


@cache
def _finder(table_id: int, keys: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for ``keys``; group ``k<i>_<j>`` = key ``i``.

    Synonyms are bucketed by the character a match can start with, each bucket behind a
    one-character look-ahead, so the engine tries only the synonyms that can start where it
    stands (much faster than one flat alternation). Within a bucket longer synonyms come first.
    """
    table = _REGISTRY[table_id]
    suffix = r"(?!\w)(?:\s*\(\s*(?-i:[A-Z][A-Za-z0-9-]{1,9})\s*\))?"
    buckets: dict[str, list[tuple[int, str]]] = {}
    anywhere: list[tuple[int, str]] = []
    for i, key in enumerate(keys):
        for pat in table[key]:
            first = _first_chars(pat)
            if first is None:
                anywhere.append((i, pat))
            else:
                for ch in first:
                    buckets.setdefault(ch, []).append((i, pat))
    n = 0
    branches: list[str] = []

    def group(entries: list[tuple[int, str]]) -> str:
        nonlocal n
        parts = []
        for i, pat in sorted(entries, key=lambda e: -len(e[1])):
            parts.append(f"(?P<k{i}_{n}>(?:{pat}){suffix})")
            n += 1
        return "|".join(parts)

    for ch in sorted(buckets):
        cls = re.escape(ch) + (re.escape(ch.upper()) if ch.upper() != ch else "")
        branches.append(f"(?=[{cls}])(?:{group(buckets[ch])})")
    if anywhere:
        branches.append(f"(?:{group(anywhere)})")
    return re.compile(r"(?<!\w)(?:" + "|".join(branches) + ")", re.IGNORECASE)


@cache
def _triggers(table_id: int) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    """Per key: the literals one of which must occur (None: always try the key)."""
    table = _REGISTRY[table_id]
    out: list[tuple[str, tuple[str, ...] | None]] = []
    for key, pats in table.items():
        trig = [trigger(p) for p in pats]
        out.append((key, None if any(t is None for t in trig) else tuple(t for t in trig if t)))
    return tuple(out)


_REGISTRY: dict[int, dict[str, tuple[str, ...]]] = {
    id(t): t for t in (CONDITIONS, ANALYTES, SCORES, DRUGS, DRUG_CLASSES, PROCEDURES)
}


def register_table(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Make another key -> synonyms table usable with :func:`find_all`."""
    _REGISTRY[id(table)] = table
    return table


@dataclass
class _Scope:
    text: str
    lowered: str
    mentions: dict[int, tuple[tuple[str, int, int], ...]]
    starts: dict[int, list[int]]


_SCOPE: ContextVar[_Scope | None] = ContextVar("lexicon_scope", default=None)


@contextmanager
def scope(text: str) -> Iterator[None]:
    """Within this block ``text`` is the document: :func:`find_all` called with an ``offset``
    into it reads the mentions found by one scan of the whole document (speed)."""
    token = _SCOPE.set(_Scope(text, text.lower(), {}, {}))
    try:
        yield
    finally:
        _SCOPE.reset(token)


@lru_cache(maxsize=256)
def _candidates(table_id: int, lowered: str) -> tuple[str, ...]:
    return tuple(
        key for key, trig in _triggers(table_id) if trig is None or any(t in lowered for t in trig)
    )


def find_all(
    table: dict[str, tuple[str, ...]], text: str, offset: int | None = None
) -> list[tuple[str, int, int]]:
    """Every non-overlapping mention in ``text``: (key, start, end), leftmost-longest.

    With ``offset`` (where ``text`` starts in the document of the enclosing :func:`scope`), the
    document's mentions inside ``text`` are returned, relative to ``text``.
    """
    sc = _SCOPE.get()
    tid = id(table)
    if sc is not None and offset is not None and sc.text.startswith(text, offset):
        found = sc.mentions.get(tid)
        if found is None:
            # one pass over the document for every table (they are all asked for anyway)
            tids = tuple(t for t in _REGISTRY if t not in sc.mentions)
            for t, mentions in _scan(tids, sc.text).items():
                sc.mentions[t] = mentions
                sc.starts[t] = [f[1] for f in mentions]
            found = sc.mentions[tid]
        starts = sc.starts[tid]
        end = offset + len(text)
        out: list[tuple[str, int, int]] = []
        for i in range(bisect_left(starts, offset), bisect_left(starts, end)):
            k, s, e = found[i]
            if e <= end:
                out.append((k, s - offset, e - offset))
        return out
    lowered = sc.lowered if sc is not None and len(text) < len(sc.text) else text.lower()
    if not _candidates(tid, lowered):
        return []
    return list(_find_all(tid, text))


@cache
def _dispatch(
    table_id: int,
) -> tuple[dict[str, re.Pattern[str]], re.Pattern[str] | None, tuple[str, ...]]:
    """Per first character, one anchored regex of the synonyms that can start with it."""
    table = _REGISTRY[table_id]
    keys = tuple(table)
    suffix = r"(?!\w)(?:\s*\(\s*(?-i:[A-Z][A-Za-z0-9-]{1,9})\s*\))?"
    buckets: dict[str, list[tuple[int, str]]] = {}
    anywhere: list[tuple[int, str]] = []
    for i, key in enumerate(keys):
        for pat in table[key]:
            first = _first_chars(pat)
            if first is None:
                anywhere.append((i, pat))
            else:
                for ch in first:
                    buckets.setdefault(ch, []).append((i, pat))

    def compiled(entries: list[tuple[int, str]]) -> re.Pattern[str]:
        parts = [
            f"(?P<k{i}_{n}>(?:{pat}){suffix})"
            for n, (i, pat) in enumerate(sorted(entries, key=lambda e: -len(e[1])))
        ]
        return re.compile("|".join(parts), re.IGNORECASE)

    by_char = {ch: compiled(entries + anywhere) for ch, entries in buckets.items()}
    return by_char, (compiled(anywhere) if anywhere else None), keys


_WORD_START = re.compile(r"(?<!\w)[\w(]")


def _scan(table_ids: tuple[int, ...], text: str) -> dict[int, tuple[tuple[str, int, int], ...]]:
    """Leftmost-longest scans of several tables in one pass over the word starts of ``text``.

    At each word start, each table tries only the synonyms that can start with its character
    (a dictionary lookup, then one anchored match).
    """
    plans = [(tid, *_dispatch(tid)) for tid in table_ids]
    found: dict[int, list[tuple[str, int, int]]] = {tid: [] for tid in table_ids}
    last = dict.fromkeys(table_ids, 0)
    lowered = text.lower()
    for w in _WORD_START.finditer(text):
        pos = w.start()
        ch = lowered[pos]
        for tid, by_char, anywhere, keys in plans:
            if pos < last[tid]:
                continue
            rx = by_char.get(ch, anywhere)
            if rx is None:
                continue
            m = rx.match(text, pos)
            if m is None or m.end() == pos:
                continue
            group = m.lastgroup
            assert group is not None
            found[tid].append((keys[int(group[1:].split("_", 1)[0])], pos, m.end()))
            last[tid] = m.end()
    return {tid: tuple(v) for tid, v in found.items()}


@lru_cache(maxsize=4096)
def _find_all(table_id: int, text: str) -> tuple[tuple[str, int, int], ...]:
    return _scan((table_id,), text)[table_id]


def keys_in(table: dict[str, tuple[str, ...]], text: str) -> list[str]:
    """Distinct keys mentioned in ``text`` in order of first mention."""
    out: list[str] = []
    for key, _s, _e in find_all(table, text):
        if key not in out:
            out.append(key)
    return out


def disease_keys(texts: Sequence[str]) -> tuple[str, ...]:
    """Target-disease keys named in condition strings (``conditions``, MeSH terms)."""
    out: list[str] = []
    for text in texts:
        found = [k for k in keys_in(CONDITIONS, text) if k in TARGET_DISEASES]
        if not found and re.search(IIM_PATTERN, text, re.IGNORECASE):
            found = list(IIM_KEYS)
        for k in found:
            if k not in out:
                out.append(k)
    return tuple(out)
