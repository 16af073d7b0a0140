"""EULAR Sjögren's syndrome disease activity index (ESSDAI). Reference sheet §5.4."""

from __future__ import annotations

from collections.abc import Mapping

from cartrial.calculators.result import CalcResult
from cartrial.calculators.validation import integer, keys_subset, mapping

REF_ESSDAI = (
    "Seror R, Ravaud P, Bowman SJ, et al. EULAR Sjögren's syndrome disease activity index: "
    "development of a consensus systemic disease activity index for primary Sjögren's syndrome. "
    "Ann Rheum Dis 2010;69:1103-9; Seror R et al. Ann Rheum Dis 2016;75:382-9 (activity levels)."
)

ESSDAI_DOMAINS: dict[str, tuple[int, tuple[int, ...]]] = {
    "constitutional": (3, (0, 1, 2)),
    "lymphadenopathy": (4, (0, 1, 2, 3)),
    "glandular": (2, (0, 1, 2)),
    "articular": (2, (0, 1, 2, 3)),
    "cutaneous": (3, (0, 1, 2, 3)),
    "pulmonary": (5, (0, 1, 2, 3)),
    "renal": (5, (0, 1, 2, 3)),
    "muscular": (6, (0, 1, 2, 3)),
    "pns": (5, (0, 1, 2, 3)),
    "cns": (5, (0, 2, 3)),
    "haematological": (2, (0, 1, 2, 3)),
    "biological": (1, (0, 1, 2)),
}
"""domain -> (weight, allowed activity levels); maximum 123."""


def essdai_category(score: int) -> str:
    """ESSDAI activity: low < 5, moderate 5-13, high ≥ 14 (Seror 2016)."""
    if score >= 14:
        return "high"
    if score >= 5:
        return "moderate"
    return "low"


def essdai(*, levels: Mapping[str, int]) -> CalcResult:
    """ESSDAI = Σ weight × activity level (0 none, 1 low, 2 moderate, 3 high), 0-123.

    Omitted domains are 0 (reference sheet §6.3); a level outside a domain's allowed levels
    (e.g. 1 for CNS, 3 for constitutional) is an error. Source: Seror R et al. ARD 2010/2016.
    """
    name = "essdai"
    given = mapping(levels, "levels", where=name)
    keys_subset(list(given), ESSDAI_DOMAINS, "levels", where=name)
    components: dict[str, dict[str, int]] = {}
    for domain, (weight, allowed) in ESSDAI_DOMAINS.items():
        level = (
            integer(given[domain], f"levels.{domain}", where=name, allowed=allowed)
            if domain in given
            else 0
        )
        components[domain] = {"level": level, "weight": weight, "points": level * weight}
    total = sum(c["points"] for c in components.values())
    return CalcResult(
        calculator=name,
        value=total,
        category=essdai_category(total),
        components=components,
        conventions={
            "omitted_domains": 0,
            "categories": "low < 5, moderate 5-13, high >= 14",
            "maximum": 123,
        },
        reference=REF_ESSDAI,
    )
