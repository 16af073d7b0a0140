"""Registry: lookup, validation at the edge (fields named), unit conversion, close names."""

from __future__ import annotations

import inspect

import pytest

from cartrial.calculators import bsa_mosteller, crcl_cockcroft_gault
from cartrial.calculators.registry import get_calculator, list_calculators, run_calculator
from cartrial.domain import DataError

REQUIRED = {
    "crcl_cockcroft_gault",
    "egfr_ckd_epi_2021",
    "egfr_bedside_schwartz",
    "bsa_mosteller",
    "bsa_dubois",
    "fludarabine_renal_adjustment",
    "lymphodepletion_daily_doses",
    "creatinine_mg_dl_to_umol_l",
    "creatinine_umol_l_to_mg_dl",
}


def test_registry_lists_required_calculators_with_descriptions() -> None:
    calcs = {c.name: c for c in list_calculators()}
    assert set(calcs) >= REQUIRED
    for c in calcs.values():
        assert c.description and "\n" not in c.description
        assert c.input_fields(), c.name
    names = [c.name for c in list_calculators()]
    assert names == sorted(names)


def test_run_calculator_equals_direct_call() -> None:
    direct = crcl_cockcroft_gault(age_years=60, weight_kg=72, scr_mg_dl=1.0, sex="female")
    via = run_calculator(
        "crcl_cockcroft_gault",
        {"age_years": 60, "weight_kg": 72, "scr_mg_dl": 1.0, "sex": "female"},
    )
    assert via == direct


def test_quantity_inputs_are_converted_explicitly() -> None:
    # 88.4 µmol/L = 1.0 mg/dL; 1.7 m = 170 cm; 154.3236 lb = 70 kg
    via = run_calculator(
        "crcl_cockcroft_gault",
        {
            "age_years": 60,
            "weight_kg": 72,
            "scr_mg_dl": {"value": 88.4, "unit": "umol/L"},
            "sex": "female",
        },
    )
    assert via.value == pytest.approx(68.0)
    bsa = run_calculator(
        "bsa_mosteller",
        {"height_cm": {"value": 1.7, "unit": "m"}, "weight_kg": {"value": 154.3236, "unit": "lb"}},
    )
    assert bsa.value == pytest.approx(
        float(bsa_mosteller(height_cm=170, weight_kg=70).value),  # type: ignore[arg-type]
        abs=1e-4,
    )


def test_unknown_unit_names_field() -> None:
    with pytest.raises(DataError) as exc:
        run_calculator(
            "egfr_ckd_epi_2021",
            {"scr_mg_dl": {"value": 0.09, "unit": "mmol/L"}, "age_years": 40, "sex": "male"},
        )
    assert exc.value.field == "scr_mg_dl"
    assert "unknown unit" in str(exc.value) and "scr_mg_dl" in str(exc.value)


def test_missing_and_extra_and_wrong_type_fields_are_named() -> None:
    with pytest.raises(DataError) as exc:
        run_calculator("bsa_dubois", {"height_cm": 170})
    assert exc.value.field == "weight_kg"
    assert "weight_kg: is required" in str(exc.value)
    with pytest.raises(DataError, match="hieght_cm: unknown input"):
        run_calculator("bsa_dubois", {"hieght_cm": 170, "height_cm": 170, "weight_kg": 70})
    with pytest.raises(DataError, match="weight_kg"):
        run_calculator("bsa_dubois", {"height_cm": 170, "weight_kg": "70"})


def test_function_level_errors_pass_through_with_field() -> None:
    with pytest.raises(DataError) as exc:
        run_calculator(
            "crcl_cockcroft_gault",
            {"age_years": 200, "weight_kg": 72, "scr_mg_dl": 1.0, "sex": "female"},
        )
    assert exc.value.field == "age_years"
    with pytest.raises(DataError) as exc2:
        run_calculator(
            "crcl_cockcroft_gault",
            {"age_years": 60, "weight_kg": 72, "scr_mg_dl": -1.0, "sex": "female"},
        )
    assert exc2.value.field == "scr_mg_dl"


def test_unknown_calculator_lists_close_names() -> None:
    with pytest.raises(DataError, match="crcl_cockcroft_gault"):
        get_calculator("crcl_cockroft_gault")
    with pytest.raises(DataError, match="did you mean"):
        run_calculator("egfr_ckd_epi", {})


def test_inputs_must_be_a_mapping() -> None:
    with pytest.raises(DataError, match="JSON object"):
        run_calculator("bsa_dubois", [170, 70])  # type: ignore[arg-type]


def test_input_models_match_function_keywords() -> None:
    # the registry passes validated fields straight through as keyword arguments
    for calc in list_calculators():
        params = inspect.signature(calc.function).parameters
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values()), calc.name
        assert set(calc.inputs.model_fields) == set(params), calc.name
        for pname, p in params.items():
            field = calc.inputs.model_fields[pname]
            if p.default is inspect.Parameter.empty:
                assert field.is_required(), (calc.name, pname)
            else:
                assert field.default == p.default, (calc.name, pname)


def test_registry_json_shapes() -> None:
    # JSON object keys are strings: ICAHT day keys are converted, values in cells/µL
    series = {str(d): 200 for d in range(0, 31)}
    assert run_calculator("icaht_grade_from_series", {"anc_per_ul_by_day": series}).value == 4
    with pytest.raises(DataError, match="day 'x'"):
        run_calculator("icaht_grade_from_series", {"anc_per_ul_by_day": {"x": 1}})
    with pytest.raises(DataError, match="malar_rash") as exc:
        run_calculator("sledai_2k", {"descriptors": ["rash", "malar_rash"]})
    assert exc.value.field == "descriptors"
    # 1000 /µL = 1.0 ×10⁹/L -> grade 2 ("<1.5 - 1.0" includes 1.0)
    r = run_calculator(
        "ctcae_neutrophil_count_decreased", {"anc_10e9_l": {"value": 1000, "unit": "/uL"}}
    )
    assert r.value == 2
    # CRP 1.0 mg/dL = 10 mg/L for DAS28-CRP
    a = run_calculator(
        "das28_crp",
        {"tjc28": 4, "sjc28": 4, "crp_mg_l": {"value": 1.0, "unit": "mg/dL"}, "ptgh_0_100": 50},
    )
    assert a.value == pytest.approx(4.2032, abs=1e-4)
    with pytest.raises(DataError, match="bool|boolean") as exc2:
        run_calculator("crs_grade_astct", {"fever": "yes"})
    assert exc2.value.field == "fever"
