"""Renal calculators: worked examples derived by hand from reference sheet §1 (sources below)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators import (
    crcl_cockcroft_gault,
    creatinine_mg_dl_to_umol_l,
    creatinine_umol_l_to_mg_dl,
    egfr_bedside_schwartz,
    egfr_ckd_epi_2021,
    ideal_body_weight_devine,
)
from cartrial.domain import DataError, Sex

# --- §1.1 creatinine conversion (1 mg/dL = 88.4 µmol/L) -------------------------------------


def test_creatinine_conversion_factor_88_4() -> None:
    assert creatinine_mg_dl_to_umol_l(1.0) == pytest.approx(88.4)
    assert creatinine_mg_dl_to_umol_l(0.5) == pytest.approx(44.2)
    assert creatinine_umol_l_to_mg_dl(176.8) == pytest.approx(2.0)
    # a sponsor constant may be given explicitly
    assert creatinine_mg_dl_to_umol_l(1.0, factor=88.42) == pytest.approx(88.42)


@given(st.floats(min_value=0.0, max_value=30.0, allow_nan=False))
def test_creatinine_round_trip(x: float) -> None:
    assert creatinine_umol_l_to_mg_dl(creatinine_mg_dl_to_umol_l(x)) == pytest.approx(x)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), None, "1.0", True])
def test_creatinine_conversion_refuses_bad_values(bad: object) -> None:
    with pytest.raises(DataError, match="value"):
        creatinine_mg_dl_to_umol_l(bad)  # type: ignore[arg-type]


# --- §1.2 Cockcroft-Gault -------------------------------------------------------------------


def test_cg_female_actual_weight_hand_example() -> None:
    # (140 - 60) * 72 / (72 * 1.0) * 0.85 = 80 * 0.85 = 68.0 mL/min (Cockcroft & Gault 1976)
    r = crcl_cockcroft_gault(age_years=60, weight_kg=72, scr_mg_dl=1.0, sex="female")
    assert r.value == pytest.approx(68.0, abs=0.05)
    assert r.unit == "mL/min"
    assert r.components["sex_factor"] == 0.85
    assert r.conventions["weight_basis"] == "actual"
    assert "Cockcroft" in r.reference


def test_cg_male_hand_example() -> None:
    # (140 - 40) * 80 / (72 * 1.2) = 8000 / 86.4 = 92.59 mL/min
    r = crcl_cockcroft_gault(age_years=40, weight_kg=80, scr_mg_dl=1.2, sex=Sex.MALE)
    assert r.value == pytest.approx(92.59, abs=0.05)


def test_cg_from_umol_uses_88_4_not_shortcut_constant() -> None:
    # 106.08 µmol/L / 88.4 = 1.2 mg/dL -> same as the mg/dL example above (§0.3)
    scr = creatinine_umol_l_to_mg_dl(106.08)
    r = crcl_cockcroft_gault(age_years=40, weight_kg=80, scr_mg_dl=scr, sex="male")
    assert r.value == pytest.approx(92.59, abs=0.05)
    # the SI shortcut (1.23 × (140-age) × wt / µmol/L) would give 92.76: must differ
    assert abs(float(r.value) - 1.23 * 100 * 80 / 106.08) > 0.1  # type: ignore[arg-type]


def test_devine_ideal_body_weight_hand_examples() -> None:
    # 60 in = 152.4 cm exactly: 50 kg (men) / 45.5 kg (women)
    assert ideal_body_weight_devine(height_cm=152.4, sex="male") == pytest.approx(50.0)
    assert ideal_body_weight_devine(height_cm=152.4, sex="female") == pytest.approx(45.5)
    # 180 cm = 70.866 in -> 50 + 2.3 * 10.866 = 74.99 kg
    assert ideal_body_weight_devine(height_cm=180, sex="male") == pytest.approx(74.99, abs=0.01)
    # 160 cm = 62.992 in -> 45.5 + 2.3 * 2.992 = 52.38 kg
    assert ideal_body_weight_devine(height_cm=160, sex="female") == pytest.approx(52.38, abs=0.01)


def test_cg_ideal_and_adjusted_weight() -> None:
    # 152.4 cm man: IBW 50 kg; TBW 100 kg; AdjBW = 50 + 0.4 * 50 = 70 kg.
    common = {
        "age_years": 40,
        "weight_kg": 100,
        "scr_mg_dl": 1.0,
        "sex": "male",
        "height_cm": 152.4,
    }
    ideal = crcl_cockcroft_gault(weight_basis="ideal", **common)  # type: ignore[arg-type]
    adjusted = crcl_cockcroft_gault(weight_basis="adjusted", **common)  # type: ignore[arg-type]
    actual = crcl_cockcroft_gault(weight_basis="actual", **common)  # type: ignore[arg-type]
    assert ideal.value == pytest.approx(100 * 50 / 72, abs=0.05)  # 69.44
    assert adjusted.value == pytest.approx(100 * 70 / 72, abs=0.05)  # 97.22
    assert actual.value == pytest.approx(100 * 100 / 72, abs=0.05)  # 138.89
    assert adjusted.components["adjusted_body_weight_kg"] == pytest.approx(70.0)
    assert ideal.conventions["ideal_body_weight"] == "Devine"


def test_cg_ideal_weight_needs_height() -> None:
    with pytest.raises(DataError) as exc:
        crcl_cockcroft_gault(
            age_years=40, weight_kg=80, scr_mg_dl=1.0, sex="male", weight_basis="ideal"
        )
    assert exc.value.field == "height_cm"


def test_cg_protocol_floor_and_cap_are_explicit_options() -> None:
    # SCr 0.5 floored to 0.8: (140-30)*70/(72*0.8) = 133.68; cap at 125
    r = crcl_cockcroft_gault(
        age_years=30,
        weight_kg=70,
        scr_mg_dl=0.5,
        sex="male",
        scr_floor_mg_dl=0.8,
        crcl_cap_ml_min=125,
    )
    assert r.components["scr_used_mg_dl"] == 0.8
    assert r.components["crcl_before_cap_ml_min"] == pytest.approx(133.68, abs=0.05)
    assert r.value == 125
    assert r.components["capped"] is True
    # without options nothing is floored or capped: 110*70/36 = 213.9
    plain = crcl_cockcroft_gault(age_years=30, weight_kg=70, scr_mg_dl=0.5, sex="male")
    assert plain.value == pytest.approx(213.89, abs=0.05)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("scr_mg_dl", {"scr_mg_dl": -1.0}),
        ("scr_mg_dl", {"scr_mg_dl": 0.0}),
        ("scr_mg_dl", {"scr_mg_dl": 97.0}),  # µmol/L passed as mg/dL
        ("age_years", {"age_years": 200}),
        ("age_years", {"age_years": 12}),
        ("weight_kg", {"weight_kg": 0}),
        ("sex", {"sex": "unknown"}),
        ("sex", {"sex": "F"}),
        ("weight_basis", {"weight_basis": "lean"}),
    ],
)
def test_cg_bad_input_names_field(field: str, kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"age_years": 50, "weight_kg": 70, "scr_mg_dl": 1.0, "sex": "male"}
    args.update(kwargs)
    with pytest.raises(DataError) as exc:
        crcl_cockcroft_gault(**args)  # type: ignore[arg-type]
    assert exc.value.field == field
    assert field in str(exc.value)


def test_cg_umol_hint_in_message() -> None:
    with pytest.raises(DataError, match="88.4"):
        crcl_cockcroft_gault(age_years=50, weight_kg=70, scr_mg_dl=97.0, sex="male")


@given(
    scr1=st.floats(min_value=0.1, max_value=29.0),
    delta=st.floats(min_value=0.01, max_value=1.0),
    age=st.integers(min_value=18, max_value=110),
    female=st.booleans(),
)
def test_cg_decreases_with_creatinine(scr1: float, delta: float, age: int, female: bool) -> None:
    sex = "female" if female else "male"
    a = crcl_cockcroft_gault(age_years=age, weight_kg=70, scr_mg_dl=scr1, sex=sex)
    b = crcl_cockcroft_gault(age_years=age, weight_kg=70, scr_mg_dl=scr1 + delta, sex=sex)
    assert float(b.value) < float(a.value)  # type: ignore[arg-type]


# --- §1.3 CKD-EPI 2021 ----------------------------------------------------------------------


def test_ckd_epi_2021_male_50_scr_1_0() -> None:
    # 142 * (1.0/0.9)^-1.200 * 0.9938^50 = 142 * 0.88124 * 0.73277 = 91.69
    # (NKF/ASN 2021 calculator reports 92 for this case)
    r = egfr_ckd_epi_2021(scr_mg_dl=1.0, age_years=50, sex="male")
    assert r.value == pytest.approx(91.69, abs=0.05)
    assert r.unit == "mL/min/1.73 m2"
    assert r.components["kappa"] == 0.9
    assert r.components["alpha"] == -0.302
    assert "Inker" in r.reference


def test_ckd_epi_2021_female_at_kappa() -> None:
    # SCr = κ = 0.7: both min and max terms are 1 -> 142 * 0.9938^50 * 1.012 = 105.30
    r = egfr_ckd_epi_2021(scr_mg_dl=0.7, age_years=50, sex="female")
    assert r.value == pytest.approx(105.30, abs=0.05)


def test_ckd_epi_2021_female_below_kappa_uses_alpha() -> None:
    # (0.5/0.7)^-0.241 = 1.08444; 0.9938^30 = 0.82972; 142*1.08444*0.82972*1.012 = 129.32
    r = egfr_ckd_epi_2021(scr_mg_dl=0.5, age_years=30, sex="female")
    assert r.value == pytest.approx(129.32, abs=0.05)


def test_ckd_epi_2021_male_high_creatinine() -> None:
    # (2.0/0.9)^-1.2 = 0.38364; 0.9938^70 = 0.64696; 142*0.38364*0.64696 = 35.24
    r = egfr_ckd_epi_2021(scr_mg_dl=2.0, age_years=70, sex="male")
    assert r.value == pytest.approx(35.24, abs=0.05)


def test_ckd_epi_refuses_children_and_other_sex() -> None:
    with pytest.raises(DataError) as exc:
        egfr_ckd_epi_2021(scr_mg_dl=1.0, age_years=17, sex="male")
    assert exc.value.field == "age_years"
    with pytest.raises(DataError) as exc2:
        egfr_ckd_epi_2021(scr_mg_dl=1.0, age_years=40, sex=Sex.OTHER)
    assert exc2.value.field == "sex"


@given(
    scr=st.floats(min_value=0.1, max_value=25.0),
    factor=st.floats(min_value=1.001, max_value=1.2),
    age=st.integers(min_value=18, max_value=110),
    female=st.booleans(),
)
def test_ckd_epi_monotone_decreasing_in_creatinine(
    scr: float, factor: float, age: int, female: bool
) -> None:
    sex = "female" if female else "male"
    lo = egfr_ckd_epi_2021(scr_mg_dl=scr, age_years=age, sex=sex)
    hi = egfr_ckd_epi_2021(scr_mg_dl=scr * factor, age_years=age, sex=sex)
    assert float(hi.value) < float(lo.value)  # type: ignore[arg-type]


@given(scr=st.floats(min_value=0.1, max_value=25.0), age=st.integers(min_value=18, max_value=109))
def test_ckd_epi_decreases_with_age(scr: float, age: int) -> None:
    a = egfr_ckd_epi_2021(scr_mg_dl=scr, age_years=age, sex="male")
    b = egfr_ckd_epi_2021(scr_mg_dl=scr, age_years=age + 1, sex="male")
    assert float(b.value) == pytest.approx(float(a.value) * 0.9938)  # type: ignore[arg-type]


# --- §1.4 bedside Schwartz ------------------------------------------------------------------


def test_bedside_schwartz_hand_example() -> None:
    # 0.413 * 120 / 0.5 = 99.12 mL/min/1.73 m²
    r = egfr_bedside_schwartz(height_cm=120, scr_mg_dl=0.5, age_years=8)
    assert r.value == pytest.approx(99.12, abs=0.05)
    assert "Schwartz" in r.reference


@pytest.mark.parametrize("age", [1, 18])
def test_bedside_schwartz_age_bounds_inclusive(age: int) -> None:
    assert egfr_bedside_schwartz(height_cm=100, scr_mg_dl=0.4, age_years=age).value == (
        pytest.approx(103.25)
    )


@pytest.mark.parametrize("age", [0.5, 19, 40])
def test_bedside_schwartz_refuses_ages_outside_1_18(age: float) -> None:
    with pytest.raises(DataError) as exc:
        egfr_bedside_schwartz(height_cm=100, scr_mg_dl=0.4, age_years=age)
    assert exc.value.field == "age_years"


@given(scr=st.floats(min_value=0.05, max_value=15.0), f=st.floats(min_value=1.001, max_value=2.0))
def test_bedside_schwartz_monotone_in_creatinine(scr: float, f: float) -> None:
    a = egfr_bedside_schwartz(height_cm=130, scr_mg_dl=scr)
    b = egfr_bedside_schwartz(height_cm=130, scr_mg_dl=scr * f)
    assert float(b.value) < float(a.value)  # type: ignore[arg-type]
    assert math.isfinite(float(b.value))  # type: ignore[arg-type]
