"""Classification criteria ("meets the 2019 EULAR/ACR classification criteria for SLE"):
which published criteria set, for which disease, and a total-score bound if one is written."""

from __future__ import annotations

import re

from cartrial.criteria.nodes import (
    ConditionHistory,
    Criterion,
    Score,
)
from cartrial.ingest.parse import lexicon as lx
from cartrial.ingest.parse.hits import Ctx, Hit, window
from cartrial.ingest.parse.patterns import (
    CMP_POSTFIX,
    CMP_PREFIX,
    NUM,
    comparator,
    to_number,
)
from cartrial.ingest.parse.recognizers.common import IIM_RX
from cartrial.ingest.parse.temporal import WindowHit

_I = re.IGNORECASE


_ORG = (
    r"(?:EULAR\s*/\s*ACR|ACR\s*/\s*EULAR|ACR\s*-\s*EULAR|EULAR\s*-\s*ACR|SLICC|AECG|ACR|EULAR|ASH|"
    r"American[- ]European\s+Consensus\s+Group|"
    r"European\s+League\s+Against\s+Rheumatism\s*(?:\(EULAR\)\s*)?/\s*American\s+College\s+of\s+Rheumatology|"
    r"American\s+College\s+of\s+Rheumatology\s*(?:\(ACR\)\s*)?/\s*European\s+League\s+Against\s+Rheumatism|"
    r"American\s+College\s+of\s+Rheumatology|European\s+League\s+Against\s+Rheumatism|"
    r"American\s+Society\s+of\s+Hematology|Systemic\s+Lupus\s+International\s+Collaborating\s+Clinics)"
)
_CRIT_RX = re.compile(
    rf"(?:(?P<y1>19\d\d|20\d\d)\s*(?:revised\s+)?)?(?P<org>{_ORG})(?:'s)?(?:\s*\([A-Z/ -]{{2,14}}\))?"
    rf"\s*(?:(?P<y2>19\d\d|20\d\d)\s*)?(?:[A-Za-z'/-]+\s+){{0,4}}?"
    rf"(?:classification|diagnostic|criteria|standards?)"
    rf"(?:\s+(?:classification|diagnostic|criteria|standards?))*"
    rf"|(?P<named>Yamaguchi(?:\s+et\s+al\.?)?(?:\s*,?\s*J\.?\s*Rheumatol\w*\.?\s*,?\s*(?:19\d\d)?)?|"
    rf"Bohan\s+(?:and|&)\s+Peter)",
    _I,
)
_TOTAL_RX = re.compile(
    rf"(?:total\s+)?(?:score|scoring|points?)\s*(?:of\s+)?(?P<cmp>{CMP_PREFIX})\s*(?P<val>{NUM})"
    rf"(?:\s*points?)?(?:\s*(?P<post>{CMP_POSTFIX}))?",
    _I,
)


def _classification_key(
    diseases: tuple[str, ...], year: str | None, org: str, named: str
) -> str | None:
    n = named.lower()
    if "yamaguchi" in n:
        return "aosd_yamaguchi_1992"
    if "bohan" in n:
        return "iim_bohan_peter_1975"
    o = org.lower()
    d = set(diseases)
    if "slicc" in o or "collaborating" in o:
        return "sle_slicc_2012"
    if "aecg" in o or "consensus" in o:
        return "pss_aecg_2002"
    if "hematology" in o or o == "ash":
        return "itp_ash_2019"
    by_year = {
        "2019": "sle_eular_acr_2019",
        "2013": "ssc_acr_eular_2013",
        "2017": "iim_eular_acr_2017",
        "2016": "pss_acr_eular_2016",
        "2010": "ra_acr_eular_2010",
        "1997": "sle_acr_1997",
        "2012": "sle_slicc_2012",
        "2002": "pss_aecg_2002",
    }
    if year in by_year:
        key = by_year[year]
        expected = set(lx.CLASSIFICATIONS[key][1])
        if not d or d & expected:
            return key
    by_disease = {
        "sle": "sle_eular_acr_2019",
        "systemic_sclerosis": "ssc_acr_eular_2013",
        "ssc_diffuse_cutaneous": "ssc_acr_eular_2013",
        "primary_sjogren": "pss_acr_eular_2016",
        "rheumatoid_arthritis": "ra_acr_eular_2010",
        "itp": "itp_ash_2019",
        "dermatomyositis": "iim_eular_acr_2017",
        "polymyositis": "iim_eular_acr_2017",
    }
    for dk in diseases:
        if dk in by_disease and year in (None, "2019", "2013", "2017", "2016", "2010"):
            return by_disease[dk]
    return None


def classification(ctx: Ctx, text: str, base: int) -> list[Hit]:
    if not ctx.has("criteri", "classif", "standard", "yamaguchi", "bohan"):
        return []
    crits = list(_CRIT_RX.finditer(text))
    crits = [
        m
        for m in crits
        if m.group("named") or re.search(r"criteri|standard|classification", m.group(0), _I)
    ]
    if not crits:
        return []
    mentions = [
        (k, s, e) for k, s, e in lx.find_all(lx.CONDITIONS, text, base) if k in lx.TARGET_DISEASES
    ]
    iim = list(IIM_RX.finditer(text))
    diseases = tuple(dict.fromkeys(k for k, _, _ in mentions))
    if iim:
        # "inflammatory myopathies (including DM, PM, ASS, and NM)": the whole family
        myositis = set(lx.IIM_KEYS) | {"inclusion_body_myositis"}
        diseases = lx.IIM_KEYS + tuple(k for k in diseases if k not in myositis)
    keys: list[str] = []
    for m in crits:
        year = m.group("y1") or m.group("y2")
        key = _classification_key(
            diseases or ctx.cohort_keys, year, m.group("org") or "", m.group("named") or ""
        )
        if key and key not in keys:
            keys.append(key)
    if not keys:
        return []
    concepts = diseases or tuple(
        dict.fromkeys(k for key in keys for k in lx.CLASSIFICATIONS[key][1])
    )
    s = min([m.start() for m in crits] + [s for _, s, _ in mentions] + [m.start() for m in iim])
    e = max([m.end() for m in crits] + [e for _, _, e in mentions] + [m.end() for m in iim])
    names = " or ".join(lx.CLASSIFICATION_NAMES[k] for k in keys)
    total = _TOTAL_RX.search(text)
    if total is not None:
        cmp = comparator(total.group("cmp"), total.group("post"))
        if cmp is not None:
            value = to_number(total.group("val"))
            instrument = keys[0]
            s2, e2 = min(s, total.start()), max(e, total.end())

            def build_total(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
                return Score(
                    instrument=instrument,
                    comparator=cmp,
                    value=value,
                    lookback=window(w),
                    **c.common(a, b, cf, f"total score of the {names}"),
                )

            return [Hit(base + s2, base + e2, build_total, frozenset({"within"}), 0.9)]

    def build(c: Ctx, w: WindowHit | None, a: int, b: int, cf: float) -> Criterion:
        return ConditionHistory(
            concepts=concepts,
            onset_at_least=window(w) if w and w.direction in ("at_least", "duration") else None,
            **c.common(a, b, cf, f"classified by the {names}"),
        )

    return [
        Hit(
            base + s,
            base + e,
            build,
            frozenset({"at_least", "duration"}),
            0.85,
            kind="condition",
            concepts=concepts,
        )
    ]
