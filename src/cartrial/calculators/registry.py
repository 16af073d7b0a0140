"""Registry of calculators: name -> input model, one-line description, function.

The eligibility engine, the CLI and (later) the API look calculators up here by name.
:func:`run_calculator` validates a plain dict of inputs once with the calculator's pydantic input
model (field names per reference sheet §6.3 where it names them; quantities may be given as
``{"value": x, "unit": "..."}``) and calls the pure function. Every failure is a
:class:`~cartrial.domain.DataError` naming the calculator and the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from cartrial.calculators import inputs as m
from cartrial.calculators.result import CalcResult
from cartrial.domain import DataError


@dataclass(frozen=True)
class Calculator:
    """One registered calculator."""

    name: str
    description: str
    inputs: type[BaseModel]
    function: Callable[..., CalcResult]

    def input_fields(self) -> list[dict[str, Any]]:
        """Name, type, required flag and default of every input (for listings and forms)."""
        out: list[dict[str, Any]] = []
        for fname, info in self.inputs.model_fields.items():
            ann = info.annotation
            type_name = getattr(ann, "__name__", None) or str(ann)
            type_name = type_name.replace("typing.", "")
            if type_name == "Optional":
                type_name = "number | None"
            out.append(
                {
                    "name": fname,
                    "type": type_name,
                    "required": info.is_required(),
                    "default": None if info.is_required() else info.default,
                    "unit": input_unit(fname),
                }
            )
        return out


# input names carry their unit as a suffix (reference sheet §6.3): the unit shown in listings
_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_mg_per_m2", "mg/m²/day"),
    ("_per_ul_by_day", "cells/µL per day"),
    ("_per_ul", "cells/µL"),
    ("_10e9_l", "×10⁹/L"),
    ("_mg_dl", "mg/dL"),
    ("_umol_l", "µmol/L"),
    ("_mg_l", "mg/L"),
    ("_g_dl", "g/dL"),
    ("_u_l", "U/L"),
    ("_mm_h", "mm/h"),
    ("_ml_min", "mL/min"),
    ("_mg_day", "mg/day"),
    ("_rounding_mg", "mg"),
    ("_m2", "m²"),
    ("_cm", "cm"),
    ("_kg", "kg"),
    ("_years", "years"),
    ("_days", "days"),
    ("_40c", "hours"),
    ("temperature_c", "°C"),
    ("_0_100", "0-100 mm VAS"),
    ("_0_10", "0-10 cm VAS"),
    ("_percent_predicted", "% predicted"),
)


def input_unit(name: str) -> str | None:
    """The unit an input is taken in, read from its name's suffix (None: unitless/choice)."""
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    if name in ("days", "days_between_counts", "join_gap_days", "late_end_day"):
        return "days"
    return None


_REGISTRY: dict[str, Calculator] = {}


def register(
    name: str, inputs: type[BaseModel], description: str, function: Callable[..., CalcResult]
) -> None:
    """Add a calculator; a duplicate name is a programming error."""
    if name in _REGISTRY:
        raise ValueError(f"calculator {name!r} registered twice")
    _REGISTRY[name] = Calculator(name, description, inputs, function)


def list_calculators() -> list[Calculator]:
    """All registered calculators, sorted by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_calculator(name: str) -> Calculator:
    """The calculator called ``name``; an unknown name lists the closest known names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=5, cutoff=0.4)
        if not close:
            close = [k for k in _REGISTRY if str(name).lower() in k][:5]
        hint = f"; did you mean: {', '.join(close)}?" if close else "; see `cartrial calc --list`"
        raise DataError(f"unknown calculator {name!r}{hint}", field="calculator") from None


def _validation_message(exc: ValidationError) -> tuple[str, str | None]:
    parts: list[str] = []
    first: str | None = None
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if first is None:
            first = loc or None
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown input (not a field of this calculator)"
        elif err["type"] == "missing":
            msg = "is required"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts), first


def validate_inputs(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``inputs`` against the calculator's model; return keyword arguments."""
    calc = get_calculator(name)
    if not isinstance(inputs, Mapping):
        raise DataError(f"inputs must be a JSON object, got {type(inputs).__name__}", where=name)
    try:
        model = calc.inputs.model_validate(dict(inputs))
    except ValidationError as exc:
        message, field = _validation_message(exc)
        error = DataError(message, where=name)
        error.field = field  # the first offending field; the message names them all
        raise error from None
    return {k: getattr(model, k) for k in calc.inputs.model_fields}


def run_calculator(name: str, inputs: Mapping[str, Any]) -> CalcResult:
    """Validate ``inputs`` for calculator ``name`` and run it."""
    kwargs = validate_inputs(name, inputs)
    return get_calculator(name).function(**kwargs)


def _register_all() -> None:
    from cartrial.calculators import (
        body_weight,
        bsa,
        classification,
        crs,
        ctcae,
        icaht,
        icans,
        immunoglobulin,
        itp,
        lymphodepletion,
        myositis,
        ra,
        renal,
        sjogren,
        sle,
        ssc,
    )

    def creatinine_to_umol(*, scr_mg_dl: float) -> CalcResult:
        return CalcResult(
            calculator="creatinine_mg_dl_to_umol_l",
            value=renal.creatinine_mg_dl_to_umol_l(scr_mg_dl),
            unit="umol/L",
            components={"scr_mg_dl": scr_mg_dl, "factor": renal.CREATININE_UMOL_PER_MG_DL},
            reference=renal.REF_CONVERSION,
        )

    def creatinine_to_mg(*, scr_umol_l: float) -> CalcResult:
        return CalcResult(
            calculator="creatinine_umol_l_to_mg_dl",
            value=renal.creatinine_umol_l_to_mg_dl(scr_umol_l),
            unit="mg/dL",
            components={"scr_umol_l": scr_umol_l, "factor": renal.CREATININE_UMOL_PER_MG_DL},
            reference=renal.REF_CONVERSION,
        )

    register(
        "creatinine_mg_dl_to_umol_l",
        m.CreatinineMgDl,
        "Serum creatinine mg/dL -> µmol/L (× 88.4)",
        creatinine_to_umol,
    )
    register(
        "creatinine_umol_l_to_mg_dl",
        m.CreatinineUmolL,
        "Serum creatinine µmol/L -> mg/dL (÷ 88.4)",
        creatinine_to_mg,
    )
    register(
        "crcl_cockcroft_gault",
        m.CockcroftGault,
        "Creatinine clearance, Cockcroft-Gault 1976 (actual/ideal/adjusted weight)",
        renal.crcl_cockcroft_gault,
    )
    register(
        "egfr_ckd_epi_2021",
        m.CkdEpi2021,
        "eGFR, CKD-EPI 2021 race-free creatinine equation (adults)",
        renal.egfr_ckd_epi_2021,
    )
    register(
        "egfr_bedside_schwartz",
        m.BedsideSchwartz,
        "eGFR, bedside Schwartz 2009 (ages 1-18)",
        renal.egfr_bedside_schwartz,
    )
    register("bsa_mosteller", m.Bsa, "Body surface area, Mosteller 1987", bsa.bsa_mosteller)
    register("bsa_dubois", m.Bsa, "Body surface area, DuBois 1916", bsa.bsa_dubois)
    register(
        "fludarabine_renal_adjustment",
        m.FludarabineRenal,
        "Fludarabine mg/m²/day adjusted for CrCl (FLUDARA label or legacy IV scheme)",
        lymphodepletion.fludarabine_renal_adjustment,
    )
    register(
        "lymphodepletion_daily_doses",
        m.LymphodepletionDoses,
        "Daily and total fludarabine/cyclophosphamide mg from BSA and CrCl",
        lymphodepletion.lymphodepletion_daily_doses,
    )
    register(
        "lymphodepletion_doses_from_body",
        m.LymphodepletionFromBody,
        "Fludarabine/cyclophosphamide doses from height, weight (BSA Mosteller or DuBois) and CrCl",
        lymphodepletion.lymphodepletion_doses_from_body,
    )
    register(
        "ideal_body_weight_devine",
        m.IdealBodyWeight,
        "Devine ideal body weight (kg) from height and sex",
        body_weight.ideal_body_weight,
    )
    register(
        "adjusted_body_weight",
        m.AdjustedBodyWeight,
        "Adjusted body weight IBW + 0.4 x (actual - IBW), kg",
        body_weight.adjusted_body_weight,
    )

    register(
        "crs_grade_astct",
        m.CrsAstct,
        "CRS grade, ASTCT 2019 consensus (Lee 2019)",
        crs.crs_grade_astct,
    )
    register("ice_score", m.IceScore, "ICE encephalopathy score 0-10 (ASTCT 2019)", icans.ice_score)
    register(
        "icans_grade_astct",
        m.IcansAstct,
        "ICANS grade, ASTCT 2019, adults and children >= 12 (ICE-based)",
        icans.icans_grade_astct,
    )
    register(
        "icans_grade_astct_pediatric",
        m.IcansAstctPediatric,
        "ICANS grade, ASTCT 2019, children < 12 (CAPD-based)",
        icans.icans_grade_astct_pediatric,
    )
    register(
        "capd_score",
        m.Capd,
        "Cornell Assessment of Pediatric Delirium 0-32 (Traube 2014)",
        icans.capd_score,
    )
    register(
        "icaht_grade",
        m.Icaht,
        "ICAHT early/late grade from durations or ANC, EHA/EBMT 2023 (Rejeski)",
        icaht.icaht_grade,
    )
    register(
        "icaht_grade_from_series",
        m.IcahtSeries,
        "ICAHT early and late grade from a daily ANC series (cells/uL)",
        icaht.icaht_grade_from_series,
    )
    register(
        "ctcae_neutrophil_count_decreased",
        m.CtcaeNeutrophil,
        "CTCAE v5.0 Neutrophil count decreased",
        ctcae.ctcae_neutrophil_count_decreased,
    )
    register(
        "ctcae_platelet_count_decreased",
        m.CtcaePlatelet,
        "CTCAE v5.0 Platelet count decreased",
        ctcae.ctcae_platelet_count_decreased,
    )
    register("ctcae_anemia", m.CtcaeAnemia, "CTCAE v5.0 Anemia", ctcae.ctcae_anemia)
    register(
        "ctcae_wbc_decreased",
        m.CtcaeWbc,
        "CTCAE v5.0 White blood cell decreased",
        ctcae.ctcae_wbc_decreased,
    )
    register(
        "ctcae_lymphocyte_count_decreased",
        m.CtcaeLymphocyte,
        "CTCAE v5.0 Lymphocyte count decreased",
        ctcae.ctcae_lymphocyte_count_decreased,
    )
    register(
        "ctcae_alt_increased",
        m.CtcaeAlt,
        "CTCAE v5.0 ALT increased (normal/abnormal baseline rules)",
        ctcae.ctcae_alt_increased,
    )
    register(
        "ctcae_ast_increased",
        m.CtcaeAst,
        "CTCAE v5.0 AST increased (normal/abnormal baseline rules)",
        ctcae.ctcae_ast_increased,
    )
    register(
        "ctcae_bilirubin_increased",
        m.CtcaeBilirubin,
        "CTCAE v5.0 Blood bilirubin increased (normal/abnormal baseline rules)",
        ctcae.ctcae_bilirubin_increased,
    )
    register(
        "ctcae_creatinine_increased",
        m.CtcaeCreatinine,
        "CTCAE v5.0 Creatinine increased (worse of ULN- and baseline-based grade)",
        ctcae.ctcae_creatinine_increased,
    )
    register("ctcae_fever", m.CtcaeFever, "CTCAE v5.0 Fever", ctcae.ctcae_fever)
    register(
        "ctcae_infusion_related_reaction",
        m.CtcaeIrr,
        "CTCAE v5.0 Infusion related reaction",
        ctcae.ctcae_infusion_related_reaction,
    )
    register(
        "ctcae_cytokine_release_syndrome",
        m.CtcaeCrs,
        "CTCAE v5.0 Cytokine release syndrome (CTCAE's own term)",
        ctcae.ctcae_cytokine_release_syndrome,
    )
    register(
        "hypogammaglobulinemia",
        m.Hypogammaglobulinemia,
        "IgG below a protocol threshold (default < 400 mg/dL); not a CTCAE term",
        immunoglobulin.hypogammaglobulinemia,
    )

    register(
        "sledai_2k",
        m.Sledai,
        "SLEDAI-2K total 0-105 from descriptor keys (Gladman 2002)",
        sle.sledai_2k,
    )
    register(
        "clinical_sledai",
        m.Sledai,
        "Clinical SLEDAI (SLEDAI-2K without complement and anti-dsDNA)",
        sle.clinical_sledai,
    )
    register("selena_sledai", m.Sledai, "SELENA-SLEDAI total 0-105 (Petri 2005)", sle.selena_sledai)
    register("sri_4", m.Sri4, "SLE Responder Index SRI-4 (Furie 2009)", sle.sri_4)
    register("doris_remission", m.Doris, "DORIS 2021 remission in SLE", sle.doris_remission)
    register("lldas", m.Lldas, "Lupus Low Disease Activity State (Franklyn 2016)", sle.lldas)
    register("mrss", m.Mrss, "Modified Rodnan skin score, 17 areas, 0-51", ssc.mrss)
    register(
        "acr_criss",
        m.AcrCriss,
        "ACR-CRISS probability of improvement in dcSSc (Khanna 2016)",
        ssc.acr_criss,
    )
    register(
        "mmt8",
        m.Mmt8,
        "Manual muscle testing MMT-8, bilateral 0-150 or unilateral 0-80",
        myositis.mmt8,
    )
    register(
        "myositis_tis_2016",
        m.MyositisTis,
        "2016 ACR/EULAR myositis total improvement score and response level",
        myositis.myositis_tis_2016,
    )
    register(
        "essdai", m.Essdai, "ESSDAI 0-123 from domain activity levels (Seror 2010)", sjogren.essdai
    )
    register("das28_esr", m.Das28Esr, "DAS28-ESR (Prevoo 1995)", ra.das28_esr)
    register("das28_crp", m.Das28Crp, "DAS28-CRP (das-score.nl)", ra.das28_crp)
    register("cdai", m.Cdai, "Clinical Disease Activity Index (Aletaha 2005)", ra.cdai)
    register("sdai", m.Sdai, "Simplified Disease Activity Index (Aletaha 2005)", ra.sdai)
    register(
        "eular_response",
        m.EularResponse,
        "EULAR response from DAS28 (van Gestel 1996)",
        ra.eular_response,
    )
    register("acr_response", m.AcrResponse, "ACR20/50/70 response (Felson 1995)", ra.acr_response)
    register(
        "itp_response_iwg",
        m.ItpResponse,
        "ITP response CR/R/NR, IWG (Rodeghiero 2009)",
        itp.itp_response_iwg,
    )
    register(
        "sle_eular_acr_2019",
        m.Sle2019,
        "2019 EULAR/ACR SLE classification criteria",
        classification.sle_eular_acr_2019,
    )
    register(
        "ssc_acr_eular_2013",
        m.Ssc2013,
        "2013 ACR/EULAR SSc classification criteria",
        classification.ssc_acr_eular_2013,
    )


_register_all()
