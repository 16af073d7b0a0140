"""Clinical calculators and grading systems, exactly as published.

Pure functions named after the published method, keyword-only arguments, each returning a frozen
:class:`CalcResult` with the value, the category, every component, the conventions chosen and the
citation. Definitions follow ``reference/clinical-standards.md``; the registry
(:mod:`cartrial.calculators.registry`) serves the CLI, the eligibility engine and the API.

Decisions on the reference sheet's open questions (§7); each is documented where it is made:

1. Myositis TIS enzyme change: relative (B − F)/B by default, ``enzyme_change="uln_aware"``
   for (B − F)/(B − ULN); other measures use absolute change / scale range
   (:mod:`~cartrial.calculators.myositis`).
2. ICAHT counting: runs ≤ threshold joined across ≤ 2 days above it (gap days counted), longest
   joined run, linear interpolation of gaps ≤ 7 days, "no recovery" = run starting by day 3
   lasting to the last count (complete series only); late ICAHT graded on the nadir confirmed
   by a second value ≤ 1500/µL, or ``late_rule="second_lowest"`` (:mod:`~.icaht`).
3. CTCAE creatinine baseline: ``baseline_rule="literal"`` (admiral; baseline criteria apply
   even when the value is ≤ ULN) by default, ``"above_uln_only"`` as the sponsor option.
4. Cockcroft-Gault: ``weight_basis`` actual (default) / ideal (Devine) / adjusted (factor 0.4),
   SCr floor and CrCl cap as explicit options, none by default; fludarabine ``scheme``
   ``fludara_us_label`` (default) or ``legacy_generic_iv``, proportional scaling of the planned
   dose.
5. CTCAE CRS graded with the reference sheet wording (flagged [M] in ``conventions``);
   hypogammaglobulinemia is a parameterised IgG flag (< 400 mg/dL by default), not a CTCAE term.
6. SELENA-SLEDAI: same keys and weights as SLEDAI-2K; the SELENA definitions are applied by the
   assessor when choosing keys.
7. CTCAE version: v5.0 only, recorded in every CTCAE result's ``conventions``.
8. SLEDAI-2K arthritis: ≥ 2 joints by default (``arthritis_min_joints=3`` for "> 2"), used
   when an inflamed joint count is given.
"""

from cartrial.calculators.bsa import bsa_dubois, bsa_mosteller
from cartrial.calculators.classification import sle_eular_acr_2019, ssc_acr_eular_2013
from cartrial.calculators.crs import crs_grade_astct
from cartrial.calculators.ctcae import (
    ctcae_alt_increased,
    ctcae_anemia,
    ctcae_ast_increased,
    ctcae_bilirubin_increased,
    ctcae_creatinine_increased,
    ctcae_cytokine_release_syndrome,
    ctcae_fever,
    ctcae_infusion_related_reaction,
    ctcae_lymphocyte_count_decreased,
    ctcae_neutrophil_count_decreased,
    ctcae_platelet_count_decreased,
    ctcae_wbc_decreased,
)
from cartrial.calculators.icaht import icaht_grade, icaht_grade_from_series
from cartrial.calculators.icans import (
    capd_score,
    icans_grade_astct,
    icans_grade_astct_pediatric,
    ice_score,
)
from cartrial.calculators.immunoglobulin import hypogammaglobulinemia
from cartrial.calculators.itp import itp_response_iwg
from cartrial.calculators.lymphodepletion import (
    fludarabine_renal_adjustment,
    lymphodepletion_daily_doses,
)
from cartrial.calculators.myositis import mmt8, myositis_tis_2016
from cartrial.calculators.ra import (
    acr_response,
    cdai,
    das28_crp,
    das28_esr,
    eular_response,
    sdai,
)
from cartrial.calculators.renal import (
    crcl_cockcroft_gault,
    creatinine_mg_dl_to_umol_l,
    creatinine_umol_l_to_mg_dl,
    egfr_bedside_schwartz,
    egfr_ckd_epi_2021,
    ideal_body_weight_devine,
)
from cartrial.calculators.result import CalcResult
from cartrial.calculators.sjogren import essdai
from cartrial.calculators.sle import (
    clinical_sledai,
    doris_remission,
    lldas,
    selena_sledai,
    sledai_2k,
    sri_4,
)
from cartrial.calculators.ssc import acr_criss, mrss

__all__ = [
    "CalcResult",
    "acr_criss",
    "acr_response",
    "bsa_dubois",
    "bsa_mosteller",
    "capd_score",
    "cdai",
    "clinical_sledai",
    "crcl_cockcroft_gault",
    "creatinine_mg_dl_to_umol_l",
    "creatinine_umol_l_to_mg_dl",
    "crs_grade_astct",
    "ctcae_alt_increased",
    "ctcae_anemia",
    "ctcae_ast_increased",
    "ctcae_bilirubin_increased",
    "ctcae_creatinine_increased",
    "ctcae_cytokine_release_syndrome",
    "ctcae_fever",
    "ctcae_infusion_related_reaction",
    "ctcae_lymphocyte_count_decreased",
    "ctcae_neutrophil_count_decreased",
    "ctcae_platelet_count_decreased",
    "ctcae_wbc_decreased",
    "das28_crp",
    "das28_esr",
    "doris_remission",
    "egfr_bedside_schwartz",
    "egfr_ckd_epi_2021",
    "essdai",
    "eular_response",
    "fludarabine_renal_adjustment",
    "hypogammaglobulinemia",
    "icaht_grade",
    "icaht_grade_from_series",
    "icans_grade_astct",
    "icans_grade_astct_pediatric",
    "ice_score",
    "ideal_body_weight_devine",
    "itp_response_iwg",
    "lldas",
    "lymphodepletion_daily_doses",
    "mmt8",
    "mrss",
    "myositis_tis_2016",
    "sdai",
    "selena_sledai",
    "sle_eular_acr_2019",
    "sledai_2k",
    "sri_4",
    "ssc_acr_eular_2013",
]
