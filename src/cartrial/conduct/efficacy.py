"""Efficacy instruments per disease, entered by their items and computed by the registered
calculators (:mod:`cartrial.calculators.sle`, ``ssc``, ``myositis``, ``sjogren``, ``ra``,
``itp``). Which instruments a trial offers follows from its diseases."""

from __future__ import annotations

from collections.abc import Iterable

from cartrial.calculators.sle import SLEDAI_2K_WEIGHTS

INSTRUMENTS: dict[str, str] = {
    "sledai_2k": "SLEDAI-2K",
    "selena_sledai": "SELENA-SLEDAI",
    "clinical_sledai": "clinical SLEDAI",
    "doris_remission": "DORIS remission",
    "lldas": "LLDAS",
    "sri_4": "SRI-4 (vs baseline)",
    "mrss": "mRSS",
    "acr_criss": "ACR-CRISS",
    "mmt8": "MMT-8",
    "myositis_tis_2016": "Total Improvement Score (TIS)",
    "essdai": "ESSDAI",
    "das28_esr": "DAS28-ESR",
    "das28_crp": "DAS28-CRP",
    "cdai": "CDAI",
    "sdai": "SDAI",
    "acr_response": "ACR20/50/70",
    "eular_response": "EULAR response",
    "itp_response_iwg": "ITP response (IWG)",
}
"""Calculator name -> label shown in forms and reports."""

BY_DISEASE: dict[str, tuple[str, ...]] = {
    "sle": ("sledai_2k", "selena_sledai", "clinical_sledai", "doris_remission", "lldas", "sri_4"),
    "systemic_sclerosis": ("mrss", "acr_criss"),
    "ssc_diffuse_cutaneous": ("mrss", "acr_criss"),
    "dermatomyositis": ("mmt8", "myositis_tis_2016"),
    "polymyositis": ("mmt8", "myositis_tis_2016"),
    "antisynthetase_syndrome": ("mmt8", "myositis_tis_2016"),
    "imnm": ("mmt8", "myositis_tis_2016"),
    "primary_sjogren": ("essdai",),
    "rheumatoid_arthritis": (
        "das28_esr",
        "das28_crp",
        "cdai",
        "sdai",
        "acr_response",
        "eular_response",
    ),
    "itp": ("itp_response_iwg",),
}

DESCRIPTOR_INSTRUMENTS = ("sledai_2k", "selena_sledai", "clinical_sledai")
"""Instruments entered as the list of SLEDAI descriptors present (one checkbox each)."""

SLEDAI_DESCRIPTORS: tuple[tuple[str, int], ...] = tuple(SLEDAI_2K_WEIGHTS.items())


def instruments_for(diseases: Iterable[str]) -> list[str]:
    """The instruments of the trial's diseases, in a stable order, without repeats."""
    out: list[str] = []
    for disease in diseases:
        for name in BY_DISEASE.get(disease, ()):
            if name not in out:
                out.append(name)
    return out
