"""Pydantic input models for the registry: one per calculator (or family of calculators).

Field names equal the pure functions' keyword arguments, following reference sheet §6.3 where it
names them. Models are strict (no string-to-number coercion) and forbid unknown inputs.
Choice fields are plain strings checked by the function itself, so the allowed values live in one
place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from cartrial.calculators.units import (
    BilirubinMgDl,
    Count10e9L,
    CountPerUl,
    CrpMgDl,
    CrpMgL,
    EnzymeUL,
    EsrMmH,
    HeightCm,
    HgbGDl,
    IggMgDl,
    ScrMgDl,
    WeightKg,
)


def _int_day_keys(v: Any) -> Any:
    if not isinstance(v, Mapping):
        return v
    out: dict[Any, Any] = {}
    for k, x in v.items():
        if isinstance(k, str):
            try:
                k = int(k.strip())
            except ValueError:
                raise ValueError(f"day {k!r} is not an integer day number") from None
        out[k] = x
    return out


class CalcInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- renal, BSA, lymphodepletion -----------------------------------------------------------


class CreatinineMgDl(CalcInput):
    scr_mg_dl: float


class CreatinineUmolL(CalcInput):
    scr_umol_l: float


class CockcroftGault(CalcInput):
    age_years: float
    weight_kg: WeightKg
    scr_mg_dl: ScrMgDl
    sex: str
    weight_basis: str = "actual"
    height_cm: HeightCm | None = None
    adjusted_weight_factor: float = 0.4
    scr_floor_mg_dl: ScrMgDl | None = None
    crcl_cap_ml_min: float | None = None


class CkdEpi2021(CalcInput):
    scr_mg_dl: ScrMgDl
    age_years: float
    sex: str


class BedsideSchwartz(CalcInput):
    height_cm: HeightCm
    scr_mg_dl: ScrMgDl
    age_years: float | None = None


class Bsa(CalcInput):
    height_cm: HeightCm
    weight_kg: WeightKg


class FludarabineRenal(CalcInput):
    crcl_ml_min: float
    planned_mg_per_m2: float
    scheme: str = "fludara_us_label"


class LymphodepletionDoses(CalcInput):
    bsa_m2: float
    fludarabine_mg_per_m2: float
    cyclophosphamide_mg_per_m2: float
    crcl_ml_min: float | None
    scheme: str = "fludara_us_label"
    days: int = 3
    cyclophosphamide_days: int | None = None
    fludarabine_rounding_mg: float | None = None
    cyclophosphamide_rounding_mg: float | None = None


class LymphodepletionFromBody(CalcInput):
    height_cm: HeightCm
    weight_kg: WeightKg
    fludarabine_mg_per_m2: float
    cyclophosphamide_mg_per_m2: float
    crcl_ml_min: float | None
    bsa_formula: str = "mosteller"
    scheme: str = "fludara_us_label"
    days: int = 3
    cyclophosphamide_days: int | None = None
    fludarabine_rounding_mg: float | None = None
    cyclophosphamide_rounding_mg: float | None = None


class IdealBodyWeight(CalcInput):
    height_cm: HeightCm
    sex: str


class AdjustedBodyWeight(CalcInput):
    height_cm: HeightCm
    weight_kg: WeightKg
    sex: str
    factor: float = 0.4


# --- cell-therapy toxicity -----------------------------------------------------------------


class CrsAstct(CalcInput):
    fever: bool | None = None
    temperature_c: float | None = None
    hypotension: bool = False
    vasopressors_excluding_vasopressin: int = 0
    vasopressin: bool = False
    oxygen: str = "none"
    prior_tocilizumab_or_steroids_or_antipyretic: bool = False
    death_due_to_crs: bool = False


class IceScore(CalcInput):
    orientation: int
    naming: int
    following_commands: int
    writing: int
    attention: int


class IcansAstct(CalcInput):
    ice_score: int | None
    consciousness: str = "normal"
    seizure: str = "none"
    motor: str = "none"
    edema: str = "none"
    death_due_to_icans: bool = False


class IcansAstctPediatric(CalcInput):
    capd_score: int | None
    consciousness: str = "normal"
    seizure: str = "none"
    motor: str = "none"
    edema: str = "none"
    death_due_to_icans: bool = False


class Capd(CalcInput):
    eye_contact: str
    purposeful_actions: str
    aware_of_surroundings: str
    communicates_needs_and_wants: str
    restless: str
    inconsolable: str
    underactive: str
    long_time_to_respond: str


class Icaht(CalcInput):
    phase: str
    days_anc_le_500: int | None = None
    days_anc_le_100: int = 0
    no_recovery_above_500: bool = False
    anc_per_ul: CountPerUl | None = None
    non_transient: bool = True


class IcahtSeries(CalcInput):
    # JSON object keys are strings: day keys "3" / "-1" become 3 / -1 here only.
    anc_per_ul_by_day: Annotated[dict[int, float], BeforeValidator(_int_day_keys)]
    phase: str = "early"
    series_complete: bool = True
    join_gap_days: int = 2
    max_interpolation_gap_days: int = 7
    late_rule: str = "nadir"
    late_end_day: int = 100
    documented_non_transient: bool = False


# --- CTCAE v5.0 -------------------------------------------------------------------------------


class CtcaeNeutrophil(CalcInput):
    anc_10e9_l: Count10e9L
    lln_10e9_l: Count10e9L | None = None


class CtcaePlatelet(CalcInput):
    platelets_10e9_l: Count10e9L
    lln_10e9_l: Count10e9L | None = None


class CtcaeWbc(CalcInput):
    wbc_10e9_l: Count10e9L
    lln_10e9_l: Count10e9L | None = None


class CtcaeLymphocyte(CalcInput):
    lymphocytes_10e9_l: Count10e9L
    lln_10e9_l: Count10e9L | None = None


class CtcaeAnemia(CalcInput):
    hgb_g_dl: HgbGDl
    lln_g_dl: HgbGDl | None = None
    transfusion_indicated: bool = False
    life_threatening: bool = False
    death: bool = False


class CtcaeAlt(CalcInput):
    alt_u_l: EnzymeUL
    uln_u_l: EnzymeUL
    baseline_u_l: EnzymeUL | None = None


class CtcaeAst(CalcInput):
    ast_u_l: EnzymeUL
    uln_u_l: EnzymeUL
    baseline_u_l: EnzymeUL | None = None


class CtcaeBilirubin(CalcInput):
    bilirubin_mg_dl: BilirubinMgDl
    uln_mg_dl: BilirubinMgDl
    baseline_mg_dl: BilirubinMgDl | None = None


class CtcaeCreatinine(CalcInput):
    creatinine_mg_dl: ScrMgDl
    uln_mg_dl: ScrMgDl
    baseline_mg_dl: ScrMgDl | None = None
    baseline_rule: str = "literal"


class CtcaeFever(CalcInput):
    temperature_c: float | None = None
    temperature_f: float | None = None
    hours_above_40c: float | None = None
    death: bool = False


class CtcaeIrr(CalcInput):
    reaction: bool = True
    therapy_or_infusion_interruption_indicated: bool = False
    prophylactic_medication_le_24h_indicated: bool = False
    prolonged: bool = False
    recurrence_after_improvement: bool = False
    hospitalization_indicated: bool = False
    life_threatening: bool = False
    death: bool = False


class CtcaeCrs(CalcInput):
    fever: bool
    hypotension: str = "none"
    oxygen: str = "none"
    life_threatening: bool = False
    death: bool = False


class Hypogammaglobulinemia(CalcInput):
    igg_mg_dl: IggMgDl
    threshold_mg_dl: float = 400.0
    inclusive: bool = False


# --- disease activity and response ----------------------------------------------------------


class Sledai(CalcInput):
    descriptors: list[str]
    inflamed_joint_count: int | None = None
    arthritis_min_joints: int = 2


class Sri4(CalcInput):
    selena_sledai_baseline: int
    selena_sledai_followup: int
    new_bilag_a_domains: int
    new_bilag_b_domains: int
    pga_baseline: float
    pga_followup: float
    min_reduction: int = 4


class Doris(CalcInput):
    clinical_sledai: int
    pga: float
    prednisolone_mg_day: float
    stable_background_therapy: bool = True


class Lldas(CalcInput):
    descriptors: list[str]
    new_activity_since_last_assessment: bool
    pga: float
    prednisolone_mg_day: float
    haemolytic_anaemia_or_gi_activity: bool = False
    standard_maintenance_therapy_only: bool = True
    inflamed_joint_count: int | None = None
    arthritis_min_joints: int = 2


class Mrss(CalcInput):
    scores: dict[str, int]


class AcrCriss(CalcInput):
    delta_mrss: float
    delta_fvc_percent_predicted: float
    delta_patient_global: float
    delta_physician_global: float
    delta_haq_di: float
    step1_worsening: bool = False


class Mmt8(CalcInput):
    scores: dict[str, int]
    version: str = "bilateral"


class MyositisTis(CalcInput):
    physician_global_baseline: float
    physician_global_followup: float
    patient_global_baseline: float
    patient_global_followup: float
    mmt8_baseline: float
    mmt8_followup: float
    haq_baseline: float
    haq_followup: float
    enzyme_baseline_u_l: EnzymeUL
    enzyme_followup_u_l: EnzymeUL
    extramuscular_baseline: float
    extramuscular_followup: float
    enzyme_uln_u_l: EnzymeUL | None = None
    mmt8_max: int = 150
    population: str = "adult"
    enzyme_change: str = "relative"


class Essdai(CalcInput):
    levels: dict[str, int]


class Das28Esr(CalcInput):
    tjc28: int
    sjc28: int
    esr_mm_h: EsrMmH
    ptgh_0_100: float


class Das28Crp(CalcInput):
    tjc28: int
    sjc28: int
    crp_mg_l: CrpMgL
    ptgh_0_100: float


class Cdai(CalcInput):
    tjc28: int
    sjc28: int
    ptga_0_10: float
    evga_0_10: float


class Sdai(Cdai):
    crp_mg_dl: CrpMgDl


class EularResponse(CalcInput):
    das28_baseline: float
    das28_current: float


class AcrResponse(CalcInput):
    """Every measure may be missing (null or absent): decided only when it cannot matter."""

    tjc68_baseline: int | None = None
    tjc68_followup: int | None = None
    sjc66_baseline: int | None = None
    sjc66_followup: int | None = None
    pain_baseline: float | None = None
    pain_followup: float | None = None
    patient_global_baseline: float | None = None
    patient_global_followup: float | None = None
    physician_global_baseline: float | None = None
    physician_global_followup: float | None = None
    haq_di_baseline: float | None = None
    haq_di_followup: float | None = None
    acute_phase_reactant_baseline: float | None = None
    acute_phase_reactant_followup: float | None = None


class ItpResponse(CalcInput):
    platelet_count_10e9_l: Count10e9L
    baseline_platelet_count_10e9_l: Count10e9L
    bleeding: bool
    confirmatory_platelet_count_10e9_l: Count10e9L | None = None
    days_between_counts: int | None = None


class Sle2019(CalcInput):
    ana_titer: str | None
    criteria: list[str]
    ana_equivalent_positive: bool = False


class Ssc2013(CalcInput):
    items: list[str]
    skin_thickening_sparing_fingers: bool = False
    better_explained_by_other_disorder: bool = False
