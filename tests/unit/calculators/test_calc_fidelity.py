"""Issue 9: calculators that cannot mislead (each test failed before the fix)."""

from __future__ import annotations

import math

import pytest

from cartrial.calculators import registry
from cartrial.calculators.classification import sle_eular_acr_2019
from cartrial.calculators.ra import acr_response
from cartrial.domain import DataError

ACR = {  # hand example: joints -50 %, pain -50 %, PtGA -33 %, PhGA -60 %, HAQ -20 %, CRP -25 %
    "tjc68_baseline": 20,
    "tjc68_followup": 10,
    "sjc66_baseline": 10,
    "sjc66_followup": 5,
    "pain_baseline": 60,
    "pain_followup": 30,
    "patient_global_baseline": 60,
    "patient_global_followup": 40,
    "physician_global_baseline": 50,
    "physician_global_followup": 20,
    "haq_di_baseline": 1.0,
    "haq_di_followup": 0.8,
    "acute_phase_reactant_baseline": 20,
    "acute_phase_reactant_followup": 15,
}


def test_sle_2019_gives_no_total_when_ana_entry_fails() -> None:
    r = sle_eular_acr_2019(
        ana_titer="1:40",
        criteria=[
            "joint_involvement",
            "anti_dsdna_or_anti_smith",
            "low_c3_and_low_c4",
            "proteinuria",
        ],
    )
    assert r.value is None and r.category == "entry criterion not met"
    assert not r.components["classified"]


def test_acr_decides_without_a_measure_that_cannot_matter() -> None:
    """Without HAQ-DI: ACR20 holds on pain, PtGA, PhGA and CRP (>= 20 %), but ACR50 could still
    be reached (pain and PhGA >= 50 %, HAQ unknown): no value, the open level named. With
    swollen joints only 10 % better no level can be met, whatever pain and HAQ-DI are: 0."""
    no_haq = {k: v for k, v in ACR.items() if not k.startswith("haq")}
    r = acr_response(**no_haq)  # type: ignore[arg-type]
    assert r.value is None and r.components["acr20"] is True and r.components["acr50"] is None
    assert "haq_di" in (r.category or "") and "undetermined" in (r.category or "")
    certain = {k: v for k, v in ACR.items() if not k.startswith(("haq", "pain"))}
    certain["sjc66_followup"] = 9
    r = acr_response(**certain)  # type: ignore[arg-type]
    assert r.value == 0 and r.components["missing"] == ["pain", "haq_di"]
    assert "decided without pain, haq_di" in (r.category or "")


def test_acr20_certain_with_two_core_measures_missing() -> None:
    """Joints 50 %; pain 50 %, PhGA 60 %, CRP 25 % known (3 of 5 >= 20 %): ACR20 certain;
    ACR50 needs 3 core >= 50 %: pain and PhGA known, PtGA/HAQ missing -> open."""
    partial = {k: v for k, v in ACR.items() if not k.startswith(("haq", "patient_global"))}
    r = registry.run_calculator("acr_response", partial)
    assert r.components["acr20"] is True and r.components["acr50"] is None and r.value is None
    # pain 33 % (60 -> 40) and PhGA 20 % (50 -> 40): only PtGA and HAQ could still reach 50 %,
    # 2 < 3, so ACR50 fails whatever they are; ACR20 (pain 33, PhGA 20, CRP 25 %) is certain
    closed = partial | {"pain_followup": 40, "physician_global_followup": 40}
    r = registry.run_calculator("acr_response", closed)
    assert r.value == 20 and r.components["acr50"] is False


@pytest.mark.parametrize("increment", [1e308, 1e-300, 5e-324, 0, -5])
def test_absurd_rounding_increment_is_a_clear_error(increment: float) -> None:
    with pytest.raises(DataError) as err:
        registry.run_calculator(
            "lymphodepletion_daily_doses",
            {
                "bsa_m2": 1.7,
                "fludarabine_mg_per_m2": 30,
                "cyclophosphamide_mg_per_m2": 500,
                "crcl_ml_min": 90,
                "fludarabine_rounding_mg": increment,
            },
        )
    assert err.value.field == "fludarabine_rounding_mg" and "rounding increment" in str(err.value)


def test_icaht_refuses_an_anc_that_looks_like_10e9_per_l() -> None:
    with pytest.raises(DataError) as err:
        registry.run_calculator("icaht_grade", {"phase": "late", "anc_per_ul": 0.8})
    assert "0.8 ×10⁹/L = 800 cells/µL" in str(err.value)
    # a whole count per µL is fine: 800/µL is late grade 2 (<= 1000)
    assert registry.run_calculator("icaht_grade", {"phase": "late", "anc_per_ul": 800}).value == 2


def test_ctcae_refuses_an_anc_that_looks_like_cells_per_ul() -> None:
    with pytest.raises(DataError) as err:
        registry.run_calculator("ctcae_neutrophil_count_decreased", {"anc_10e9_l": 800})
    assert "800 cells/µL = 0.8 ×10⁹/L" in str(err.value)
    r = registry.run_calculator("ctcae_neutrophil_count_decreased", {"anc_10e9_l": 0.8})
    assert r.value == 3  # 0.8 < 1.0 and >= 0.5


def test_ideal_and_adjusted_body_weight() -> None:
    """Devine, woman 170 cm: 45.5 + 2.3 x (170/2.54 - 60) = 61.437 kg; AdjBW at 100 kg:
    61.437 + 0.4 x (100 - 61.437) = 76.862 kg."""
    ibw = registry.run_calculator("ideal_body_weight_devine", {"height_cm": 170, "sex": "female"})
    assert math.isclose(ibw.value, 45.5 + 2.3 * (170 / 2.54 - 60))  # type: ignore[arg-type]
    man = registry.run_calculator("ideal_body_weight_devine", {"height_cm": 180, "sex": "male"})
    assert math.isclose(man.value, 50 + 2.3 * (180 / 2.54 - 60))  # type: ignore[arg-type]
    adj = registry.run_calculator(
        "adjusted_body_weight", {"height_cm": 170, "weight_kg": 100, "sex": "female"}
    )
    assert math.isclose(adj.value, ibw.value + 0.4 * (100 - ibw.value))  # type: ignore[operator]
    with pytest.raises(DataError):
        registry.run_calculator("ideal_body_weight_devine", {"height_cm": 60, "sex": "female"})


@pytest.mark.parametrize(
    ("formula", "bsa"),
    [
        ("mosteller", math.sqrt(170 * 70 / 3600)),
        ("dubois", 0.007184 * 70**0.425 * 170**0.725),
    ],
)
def test_lymphodepletion_from_height_and_weight(formula: str, bsa: float) -> None:
    """Erlangen regimen Flu 25 x 3 + Cy 1000 x 1, CrCl 90 (full dose)."""
    r = registry.run_calculator(
        "lymphodepletion_doses_from_body",
        {
            "height_cm": 170,
            "weight_kg": 70,
            "fludarabine_mg_per_m2": 25,
            "cyclophosphamide_mg_per_m2": 1000,
            "cyclophosphamide_days": 1,
            "crcl_ml_min": 90,
            "bsa_formula": formula,
        },
    )
    assert math.isclose(r.components["bsa_m2"], bsa)
    assert math.isclose(r.value, 25 * bsa)  # type: ignore[arg-type]
    assert math.isclose(r.components["cyclophosphamide_total_mg"], 1000 * bsa)
    assert r.conventions["bsa_formula"] == formula


def test_every_input_name_with_a_unit_suffix_shows_its_unit() -> None:
    units = {f["name"]: f["unit"] for c in registry.list_calculators() for f in c.input_fields()}
    assert units["scr_mg_dl"] == "mg/dL" and units["anc_per_ul"] == "cells/µL"
    assert units["anc_10e9_l"] == "×10⁹/L" and units["fludarabine_mg_per_m2"] == "mg/m²/day"
    assert units["height_cm"] == "cm" and units["sex"] is None
