"""SLE disease activity and response: SLEDAI-2K, clinical SLEDAI, SELENA-SLEDAI, SRI-4, DORIS,
LLDAS. Reference sheet §5.1.

Decisions (reference sheet §7):

* §7.8 SLEDAI arthritis: descriptors are clinical judgements passed as keys; when an inflamed
  joint count is given instead, arthritis is present at ``inflamed_joint_count >=
  arthritis_min_joints`` with default 2 ("≥ 2 joints", as in the reference sheet's SLEDAI-2K
  table); a sponsor using "more than 2 joints" passes ``arthritis_min_joints=3``.
* §7.6 SELENA-SLEDAI: same 24 items, keys and weights as SLEDAI-2K; the SELENA definitions
  (new/recent proteinuria, new or ongoing rash/alopecia/ulcers, any one pleurisy/pericarditis
  feature) are applied by the assessor when deciding which keys are present. The definitions
  are paraphrased in the reference sheet [M], not verified against the SELENA form.
* DORIS steroid limit ≤ 5 mg/day prednisolone (headline definition), PGA < 0.5.
* PGA differences (SRI-4) are exact decimal differences rounded to 2 dp before comparison
  (§0.2: 1.3 − 1.0 is 0.30, a worsening).
"""

from __future__ import annotations

from collections.abc import Iterable

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import (
    dec,
    flag,
    integer,
    keys_subset,
    real,
    round_half_up,
    string_items,
)
from cartrial.domain import DataError

REF_SLEDAI_2K = (
    "Gladman DD, Ibañez D, Urowitz MB. Systemic lupus erythematosus disease activity index "
    "2000. J Rheumatol 2002;29:288-91."
)
REF_SELENA = (
    "Petri M, Kim MY, Kalunian KC, et al. Combined oral contraceptives in women with systemic "
    "lupus erythematosus (SELENA). N Engl J Med 2005;353:2550-8; SELENA-SLEDAI form."
)
REF_SRI = (
    "Furie RA, Petri MA, Wallace DJ, et al. Novel evidence-based systemic lupus erythematosus "
    "responder index. Arthritis Rheum 2009;61:1143-51."
)
REF_DORIS = (
    "van Vollenhoven RF, Bertsias G, Doria A, et al. 2021 DORIS definition of remission in SLE: "
    "final recommendations from an international task force. Lupus Sci Med 2021;8:e000538."
)
REF_LLDAS = (
    "Franklyn K, Lau CS, Navarra SV, et al. Definition and initial validation of a Lupus Low "
    "Disease Activity State (LLDAS). Ann Rheum Dis 2016;75:1615-21."
)

SLEDAI_2K_WEIGHTS: dict[str, int] = {
    "seizure": 8,
    "psychosis": 8,
    "organic_brain_syndrome": 8,
    "visual_disturbance": 8,
    "cranial_nerve_disorder": 8,
    "lupus_headache": 8,
    "cva": 8,
    "vasculitis": 8,
    "arthritis": 4,
    "myositis": 4,
    "urinary_casts": 4,
    "hematuria": 4,
    "proteinuria": 4,
    "pyuria": 4,
    "rash": 2,
    "alopecia": 2,
    "mucosal_ulcers": 2,
    "pleurisy": 2,
    "pericarditis": 2,
    "low_complement": 2,
    "increased_dna_binding": 2,
    "fever": 1,
    "thrombocytopenia": 1,
    "leukopenia": 1,
}
"""The 24 SLEDAI-2K descriptors (keys) and weights; maximum 105."""

SEROLOGY_DESCRIPTORS = ("low_complement", "increased_dna_binding")
"""Excluded from clinical SLEDAI (used by DORIS)."""

LLDAS_MAJOR_ORGAN_DESCRIPTORS: dict[str, tuple[str, ...]] = {
    "renal": ("urinary_casts", "hematuria", "proteinuria", "pyuria"),
    "cns": (
        "seizure",
        "psychosis",
        "organic_brain_syndrome",
        "visual_disturbance",
        "cranial_nerve_disorder",
        "lupus_headache",
        "cva",
    ),
    "cardiopulmonary": ("pleurisy", "pericarditis"),
    "vasculitis": ("vasculitis",),
    "fever": ("fever",),
}
"""SLEDAI-2K descriptors that count as major-organ activity for LLDAS (Franklyn 2016)."""


def _descriptors(
    name: str,
    descriptors: Iterable[str],
    inflamed_joint_count: int | None,
    arthritis_min_joints: int,
) -> tuple[list[str], dict[str, object]]:
    keys = keys_subset(
        string_items(descriptors, "descriptors", where=name),
        SLEDAI_2K_WEIGHTS,
        "descriptors",
        where=name,
    )
    minimum = integer(arthritis_min_joints, "arthritis_min_joints", where=name, lo=1, hi=10)
    extra: dict[str, object] = {"arthritis_min_joints": minimum}
    if inflamed_joint_count is not None:
        count = integer(inflamed_joint_count, "inflamed_joint_count", where=name, lo=0, hi=100)
        present = count >= minimum
        if "arthritis" in keys and not present:
            raise DataError(
                f"'arthritis' is listed but {count} inflamed joints < {minimum}",
                where=name,
                field="inflamed_joint_count",
            )
        if present and "arthritis" not in keys:
            keys.append("arthritis")
        extra["inflamed_joint_count"] = count
    return keys, extra


def _sledai_result(
    name: str,
    keys: list[str],
    excluded: tuple[str, ...],
    extra: dict[str, object],
    reference: str,
) -> CalcResult:
    present = set(keys)
    components = {
        k: (w if k in present and k not in excluded else 0) for k, w in SLEDAI_2K_WEIGHTS.items()
    }
    total = sum(components.values())
    conventions: dict[str, object] = {
        "window": "present at the visit or in the preceding 10 days",
        "arthritis": f">= {extra['arthritis_min_joints']} joints with pain and signs of "
        "inflammation (only used when inflamed_joint_count is given)",
        "maximum": 105 - sum(SLEDAI_2K_WEIGHTS[k] for k in excluded),
    }
    if excluded:
        conventions["excluded_descriptors"] = list(excluded)
    return CalcResult(
        calculator=name,
        value=total,
        category=None,
        components={
            "points": components,
            "present": sorted(present),
            **{k: v for k, v in extra.items() if k != "arthritis_min_joints"},
        },
        conventions=conventions,
        reference=reference,
    )


def sledai_2k(
    *,
    descriptors: Iterable[str],
    inflamed_joint_count: int | None = None,
    arthritis_min_joints: int = 2,
) -> CalcResult:
    """SLEDAI-2K total (0-105): sum of the weights of the descriptors present.

    ``descriptors`` are keys of :data:`SLEDAI_2K_WEIGHTS`; an unknown key is a DataError naming
    it. Source: Gladman DD et al. J Rheumatol 2002;29:288-91 (reference sheet §5.1).
    """
    name = "sledai_2k"
    keys, extra = _descriptors(name, descriptors, inflamed_joint_count, arthritis_min_joints)
    return _sledai_result(name, keys, (), extra, REF_SLEDAI_2K)


def clinical_sledai(
    *,
    descriptors: Iterable[str],
    inflamed_joint_count: int | None = None,
    arthritis_min_joints: int = 2,
) -> CalcResult:
    """Clinical SLEDAI: SLEDAI-2K without low complement and increased DNA binding (0-101).

    Used by DORIS 2021. Source: Gladman 2002 weights; van Vollenhoven 2021 (reference §5.1).
    """
    name = "clinical_sledai"
    keys, extra = _descriptors(name, descriptors, inflamed_joint_count, arthritis_min_joints)
    return _sledai_result(name, keys, SEROLOGY_DESCRIPTORS, extra, REF_SLEDAI_2K + " " + REF_DORIS)


def selena_sledai(
    *,
    descriptors: Iterable[str],
    inflamed_joint_count: int | None = None,
    arthritis_min_joints: int = 2,
) -> CalcResult:
    """SELENA-SLEDAI total (0-105): SLEDAI items and weights with the SELENA definitions.

    The keys are those of SLEDAI-2K; the assessor applies the SELENA wording (reference sheet
    §5.1, §7.6). Source: Petri M et al. N Engl J Med 2005;353:2550-8.
    """
    name = "selena_sledai"
    keys, extra = _descriptors(name, descriptors, inflamed_joint_count, arthritis_min_joints)
    result = _sledai_result(name, keys, (), extra, REF_SELENA)
    return result.model_copy(
        update={
            "conventions": {
                **result.conventions,
                "definitions": "SELENA wording applied by the assessor (reference sheet §5.1 [M])",
            }
        }
    )


def _pga(value: object, field: str, where: str) -> float:
    return real(value, field, where=where, lo=0.0, hi=3.0, hint="PGA is on a 0-3 scale")


def _sledai_total(value: object, field: str, where: str) -> int:
    return integer(value, field, where=where, lo=0, hi=105)


def sri_4(
    *,
    selena_sledai_baseline: int,
    selena_sledai_followup: int,
    new_bilag_a_domains: int,
    new_bilag_b_domains: int,
    pga_baseline: float,
    pga_followup: float,
    min_reduction: int = 4,
) -> CalcResult:
    """SLE Responder Index (SRI-4; SRI-5..8 with ``min_reduction``): responder if all hold:

    (a) SELENA-SLEDAI reduced by ≥ ``min_reduction`` points; (b) no new BILAG-2004 A domain and
    ≤ 1 new BILAG B domain; (c) no PGA worsening, i.e. increase < 0.3 on the 0-3 scale (the
    difference is rounded to 2 dp first). Source: Furie RA et al. Arthritis Rheum 2009;61:1143.
    """
    name = "sri_4"
    base = _sledai_total(selena_sledai_baseline, "selena_sledai_baseline", name)
    follow = _sledai_total(selena_sledai_followup, "selena_sledai_followup", name)
    new_a = integer(new_bilag_a_domains, "new_bilag_a_domains", where=name, lo=0, hi=9)
    new_b = integer(new_bilag_b_domains, "new_bilag_b_domains", where=name, lo=0, hi=9)
    pb = _pga(pga_baseline, "pga_baseline", name)
    pf = _pga(pga_followup, "pga_followup", name)
    k = integer(min_reduction, "min_reduction", where=name, lo=4, hi=8)
    reduction = base - follow
    pga_change = round_half_up(dec(pf) - dec(pb), 2)
    a = reduction >= k
    b = new_a == 0 and new_b <= 1
    c = pga_change < 0.3
    responder = a and b and c
    return CalcResult(
        calculator=name,
        value=responder,
        category="responder" if responder else "non-responder",
        components={
            "sledai_reduction": reduction,
            "a_sledai_reduction_met": a,
            "b_no_new_bilag_a_max_one_b": b,
            "pga_change": pga_change,
            "c_no_pga_worsening": c,
        },
        conventions={
            "min_reduction": k,
            "pga_worsening": "increase >= 0.30 (0-3 scale), difference rounded to 2 dp",
        },
        reference=REF_SRI,
    )


def doris_remission(
    *,
    clinical_sledai: int,
    pga: float,
    prednisolone_mg_day: float,
    stable_background_therapy: bool = True,
) -> CalcResult:
    """DORIS 2021 remission: clinical SLEDAI = 0, PGA < 0.5 (0-3), prednisolone ≤ 5 mg/day, and
    antimalarials / immunosuppressives / biologics only if stable.

    Source: van Vollenhoven RF et al. Lupus Sci Med 2021;8:e000538 (reference sheet §5.1).
    """
    name = "doris_remission"
    cs = integer(clinical_sledai, "clinical_sledai", where=name, lo=0, hi=101)
    p = _pga(pga, "pga", name)
    pred = real(
        prednisolone_mg_day, "prednisolone_mg_day", where=name, lo=0.0, hi=2000.0, unit="mg/day"
    )
    stable = flag(stable_background_therapy, "stable_background_therapy", where=name)
    checks = {
        "clinical_sledai_zero": cs == 0,
        "pga_below_0_5": p < 0.5,
        "prednisolone_le_5": pred <= 5.0,
        "stable_background_therapy": stable,
    }
    ok = all(checks.values())
    return CalcResult(
        calculator=name,
        value=ok,
        category="remission" if ok else "not in remission",
        components={"clinical_sledai": cs, "pga": p, "prednisolone_mg_day": pred, **checks},
        conventions={
            "steroid_limit": "<= 5 mg/day prednisolone (headline definition)",
            "serology": "ignored",
        },
        reference=REF_DORIS,
    )


def lldas(
    *,
    descriptors: Iterable[str],
    new_activity_since_last_assessment: bool,
    pga: float,
    prednisolone_mg_day: float,
    haemolytic_anaemia_or_gi_activity: bool = False,
    standard_maintenance_therapy_only: bool = True,
    inflamed_joint_count: int | None = None,
    arthritis_min_joints: int = 2,
) -> CalcResult:
    """Lupus Low Disease Activity State (Franklyn 2016). All must hold:

    1. SLEDAI-2K ≤ 4 (computed from ``descriptors`` by :func:`sledai_2k`) with no major-organ
       activity (renal, CNS, cardiopulmonary, vasculitis, fever) and no haemolytic anaemia or
       GI activity; 2. no new activity; 3. SELENA-SLEDAI PGA ≤ 1 (0-3); 4. prednisolone
       ≤ 7.5 mg/day; 5. well-tolerated standard maintenance immunosuppressants or approved
       biologics only. Source: Franklyn K et al. Ann Rheum Dis 2016;75:1615-21.
    """
    name = "lldas"
    score = sledai_2k(
        descriptors=descriptors,
        inflamed_joint_count=inflamed_joint_count,
        arthritis_min_joints=arthritis_min_joints,
    )
    present = set(score.components["present"])
    major = {
        system: sorted(present & set(keys))
        for system, keys in LLDAS_MAJOR_ORGAN_DESCRIPTORS.items()
        if present & set(keys)
    }
    new = flag(new_activity_since_last_assessment, "new_activity_since_last_assessment", where=name)
    p = _pga(pga, "pga", name)
    pred = real(
        prednisolone_mg_day, "prednisolone_mg_day", where=name, lo=0.0, hi=2000.0, unit="mg/day"
    )
    haem_gi = flag(
        haemolytic_anaemia_or_gi_activity, "haemolytic_anaemia_or_gi_activity", where=name
    )
    maint = flag(standard_maintenance_therapy_only, "standard_maintenance_therapy_only", where=name)
    total = int(score.value)  # type: ignore[arg-type]
    checks = {
        "sledai_2k_le_4": total <= 4,
        "no_major_organ_activity": not major,
        "no_haemolytic_anaemia_or_gi_activity": not haem_gi,
        "no_new_activity": not new,
        "pga_le_1": p <= 1.0,
        "prednisolone_le_7_5": pred <= 7.5,
        "standard_maintenance_therapy_only": maint,
    }
    ok = all(checks.values())
    return CalcResult(
        calculator=name,
        value=ok,
        category="LLDAS" if ok else "not LLDAS",
        components={"sledai_2k": total, "major_organ_activity": major, **checks},
        conventions={"sledai_2k": score.conventions},
        reference=REF_LLDAS,
    )
