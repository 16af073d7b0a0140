"""Classification criteria used as inclusion criteria: 2019 EULAR/ACR SLE, 2013 ACR/EULAR SSc.

Reference sheet §6. Both are weighted-domain scores in which only the highest-weighted
criterion present counts within each domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import flag, keys_subset, string_items
from cartrial.domain import DataError

REF_SLE_2019 = (
    "Aringer M, Costenbader K, Daikh D, et al. 2019 European League Against Rheumatism/American "
    "College of Rheumatology classification criteria for systemic lupus erythematosus. Ann Rheum "
    "Dis 2019;78:1151-9; Arthritis Rheumatol 2019;71:1400-12."
)
REF_SSC_2013 = (
    "van den Hoogen F, Khanna D, Fransen J, et al. 2013 classification criteria for systemic "
    "sclerosis: an American College of Rheumatology/European League Against Rheumatism "
    "collaborative initiative. Ann Rheum Dis 2013;72:1747-55; Arthritis Rheum 2013;65:2737-47."
)

SLE_2019_DOMAINS: dict[str, dict[str, int]] = {
    "constitutional": {"fever": 2},
    "hematologic": {"leukopenia": 3, "thrombocytopenia": 4, "autoimmune_hemolysis": 4},
    "neuropsychiatric": {"delirium": 2, "psychosis": 3, "seizure": 5},
    "mucocutaneous": {
        "non_scarring_alopecia": 2,
        "oral_ulcers": 2,
        "subacute_cutaneous_or_discoid_lupus": 4,
        "acute_cutaneous_lupus": 6,
    },
    "serosal": {"pleural_or_pericardial_effusion": 5, "acute_pericarditis": 6},
    "musculoskeletal": {"joint_involvement": 6},
    "renal": {
        "proteinuria": 4,
        "lupus_nephritis_class_ii_or_v": 8,
        "lupus_nephritis_class_iii_or_iv": 10,
    },
    "antiphospholipid_antibodies": {"antiphospholipid_antibodies": 2},
    "complement_proteins": {"low_c3_or_low_c4": 3, "low_c3_and_low_c4": 4},
    "sle_specific_antibodies": {"anti_dsdna_or_anti_smith": 6},
}
"""2019 EULAR/ACR domains -> criterion key -> weight (maximum 51)."""

SLE_2019_CLINICAL_DOMAINS = (
    "constitutional",
    "hematologic",
    "neuropsychiatric",
    "mucocutaneous",
    "serosal",
    "musculoskeletal",
    "renal",
)

SSC_2013_DOMAINS: dict[str, dict[str, int]] = {
    "skin_thickening_proximal": {"skin_thickening_proximal_to_mcp": 9},
    "finger_skin_thickening": {"puffy_fingers": 2, "sclerodactyly": 4},
    "fingertip_lesions": {"digital_tip_ulcers": 2, "fingertip_pitting_scars": 3},
    "telangiectasia": {"telangiectasia": 2},
    "nailfold_capillaries": {"abnormal_nailfold_capillaries": 2},
    "pah_ild": {"pah": 2, "ild": 2},
    "raynaud": {"raynaud": 3},
    "autoantibodies": {
        "anticentromere": 3,
        "anti_topoisomerase_i": 3,
        "anti_rna_polymerase_iii": 3,
    },
}
"""2013 ACR/EULAR items -> sub-item key -> weight (highest per item; maximum 28)."""


def _highest_per_domain(
    present: set[str], domains: Mapping[str, Mapping[str, int]]
) -> tuple[int, dict[str, dict[str, object]]]:
    """Total of the highest weight per domain, and per domain what was counted."""
    total = 0
    out: dict[str, dict[str, object]] = {}
    for domain, criteria in domains.items():
        hits = {k: w for k, w in criteria.items() if k in present}
        key = max(hits, key=lambda k: hits[k]) if hits else None
        weight = hits[key] if key is not None else 0
        total += weight
        out[domain] = {"counted": key, "weight": weight, "present": sorted(hits)}
    return total, out


_TITER = re.compile(r"^\s*1\s*:\s*(\d+)\s*$")


def sle_eular_acr_2019(
    *,
    ana_titer: str | None,
    criteria: Iterable[str],
    ana_equivalent_positive: bool = False,
) -> CalcResult:
    """2019 EULAR/ACR SLE classification: entry criterion ANA ≥ 1:80 on HEp-2 (or an
    equivalent positive test) ever; then weighted criteria, only the highest per domain counts;
    classify as SLE with a total ≥ 10 and ≥ 1 clinical criterion.

    ``criteria`` are keys of :data:`SLE_2019_DOMAINS` (count only if not better explained by
    another cause; need not be simultaneous). ``ana_titer`` is "1:N" or None.
    ``value`` is the total score (0-51), or None when the entry criterion is not met: the
    criteria are then not applied at all (Aringer 2019: "if absent, do not classify as SLE"),
    so no total exists that a threshold such as "score >= 10" could read.
    Source: Aringer M et al. ARD 2019;78:1151-9.
    """
    name = "sle_eular_acr_2019"
    titer: int | None = None
    if ana_titer is not None:
        m = _TITER.match(ana_titer) if isinstance(ana_titer, str) else None
        if m is None or int(m.group(1)) == 0:
            raise DataError(
                f"{ana_titer!r} is not a titre written '1:N'", where=name, field="ana_titer"
            )
        titer = int(m.group(1))
    equivalent = flag(ana_equivalent_positive, "ana_equivalent_positive", where=name)
    known = [k for d in SLE_2019_DOMAINS.values() for k in d]
    present = set(
        keys_subset(string_items(criteria, "criteria", where=name), known, "criteria", where=name)
    )
    total, domains = _highest_per_domain(present, SLE_2019_DOMAINS)
    entry = (titer is not None and titer >= 80) or equivalent
    clinical = any(domains[d]["counted"] for d in SLE_2019_CLINICAL_DOMAINS)
    classified = entry and clinical and total >= 10
    if not entry:
        category = "entry criterion not met"
    elif classified:
        category = "SLE"
    else:
        category = "not classified as SLE"
    return CalcResult(
        calculator=name,
        value=total if entry else None,
        category=category,
        components={
            "ana_titer": ana_titer,
            "entry_criterion_met": entry,
            "clinical_criterion_present": clinical,
            "classified": classified,
            "domains": domains if entry else {},
        },
        conventions={
            "threshold": ">= 10 with >= 1 clinical criterion",
            "entry": "ANA >= 1:80 on HEp-2 or equivalent positive test, ever",
            "per_domain": "highest weight only",
        },
        reference=REF_SLE_2019,
    )


def ssc_acr_eular_2013(
    *,
    items: Iterable[str],
    skin_thickening_sparing_fingers: bool = False,
    better_explained_by_other_disorder: bool = False,
) -> CalcResult:
    """2013 ACR/EULAR SSc classification: total ≥ 9 = definite SSc (highest sub-item per item).

    Not applicable to skin thickening sparing the fingers, or when a scleroderma-like disorder
    better explains the findings. ``value`` is the total (0-28).
    Source: van den Hoogen F et al. Ann Rheum Dis 2013;72:1747-55.
    """
    name = "ssc_acr_eular_2013"
    known = [k for d in SSC_2013_DOMAINS.values() for k in d]
    present = set(keys_subset(string_items(items, "items", where=name), known, "items", where=name))
    sparing = flag(skin_thickening_sparing_fingers, "skin_thickening_sparing_fingers", where=name)
    other = flag(
        better_explained_by_other_disorder, "better_explained_by_other_disorder", where=name
    )
    total, domains = _highest_per_domain(present, SSC_2013_DOMAINS)
    applicable = not (sparing or other)
    classified = applicable and total >= 9
    if not applicable:
        category = "criteria not applicable"
    else:
        category = "SSc" if classified else "not classified as SSc"
    return CalcResult(
        calculator=name,
        value=total,
        category=category,
        components={"items": domains, "applicable": applicable, "classified": classified},
        conventions={"threshold": ">= 9", "per_item": "highest sub-item only"},
        reference=REF_SSC_2013,
    )
