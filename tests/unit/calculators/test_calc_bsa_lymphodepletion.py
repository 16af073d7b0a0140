"""BSA and lymphodepletion: hand-derived examples from reference sheet §2 (sources below)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators import (
    bsa_dubois,
    bsa_mosteller,
    fludarabine_renal_adjustment,
    lymphodepletion_daily_doses,
)
from cartrial.domain import DataError

# --- §2.1 BSA --------------------------------------------------------------------------------


def test_mosteller_hand_examples() -> None:
    # √(170 × 70 / 3600) = √3.30556 = 1.8181 m² (Mosteller 1987)
    assert bsa_mosteller(height_cm=170, weight_kg=70).value == pytest.approx(1.8181, abs=0.001)
    # √(180 × 80 / 3600) = √4 = 2.000 m² exactly
    assert bsa_mosteller(height_cm=180, weight_kg=80).value == pytest.approx(2.0, abs=1e-12)


def test_dubois_hand_example() -> None:
    # 0.007184 × 70^0.425 × 170^0.725 = 0.007184 × 6.0826 × 41.416 = 1.8097 m² (DuBois 1916)
    r = bsa_dubois(height_cm=170, weight_kg=70)
    assert r.value == pytest.approx(1.8097, abs=0.001)
    assert r.conventions["rounding"] == "none"
    assert "Du Bois" in r.reference


@pytest.mark.parametrize(
    ("field", "h", "w"),
    [
        ("height_cm", 1.7, 70),
        ("height_cm", -170, 70),
        ("weight_kg", 170, -1),
        ("weight_kg", 170, 0),
        ("weight_kg", 170, 700),
    ],
)
def test_bsa_bad_input(field: str, h: float, w: float) -> None:
    for fn in (bsa_mosteller, bsa_dubois):
        with pytest.raises(DataError) as exc:
            fn(height_cm=h, weight_kg=w)
        assert exc.value.field == field


@given(h=st.floats(min_value=50, max_value=250), w=st.floats(min_value=3, max_value=300))
def test_bsa_monotone_in_weight(h: float, w: float) -> None:
    assert (
        bsa_mosteller(height_cm=h, weight_kg=w * 1.01).value
        > bsa_mosteller(  # type: ignore[operator]
            height_cm=h, weight_kg=w
        ).value
    )


# --- §2.2 fludarabine renal adjustment ------------------------------------------------------


# FLUDARA US label: >= 80 full (25), 50-79 -> 20 (80 %), 30-49 -> 15 (60 %), < 30 do not give.
@pytest.mark.parametrize(
    ("crcl", "dose", "category", "fraction"),
    [
        (120.0, 25.0, "full_dose", 1.0),
        (80.0, 25.0, "full_dose", 1.0),  # edge: >= 80 is full dose
        (79.99, 20.0, "reduced", 0.8),  # tier [50, 80)
        (50.0, 20.0, "reduced", 0.8),
        (49.9, 15.0, "reduced", 0.6),  # tier [30, 50)
        (30.0, 15.0, "reduced", 0.6),
        (29.99, None, "do_not_administer", None),
        (0.0, None, "do_not_administer", None),
    ],
)
def test_fludara_us_label_tiers(
    crcl: float, dose: float | None, category: str, fraction: float | None
) -> None:
    r = fludarabine_renal_adjustment(crcl_ml_min=crcl, planned_mg_per_m2=25)
    assert r.value == (None if dose is None else pytest.approx(dose))
    assert r.category == category
    assert r.components["fraction"] == fraction
    assert "FLUDARA" in r.reference


def test_fludara_proportional_scaling_for_30_mg_m2() -> None:
    # reference sheet §2.2: 30 -> 24 -> 18 (80 % / 60 %)
    assert fludarabine_renal_adjustment(crcl_ml_min=60, planned_mg_per_m2=30).value == (
        pytest.approx(24.0)
    )
    assert fludarabine_renal_adjustment(crcl_ml_min=40, planned_mg_per_m2=30).value == (
        pytest.approx(18.0)
    )


@pytest.mark.parametrize(
    ("crcl", "dose", "category"),
    [
        (71.0, 25.0, "full_dose"),
        (70.01, 25.0, "full_dose"),
        (70.0, 20.0, "reduced"),  # 30-70 inclusive: reduce by 20 %
        (30.0, 20.0, "reduced"),
        (29.9, None, "do_not_administer"),
    ],
)
def test_legacy_generic_iv_tiers(crcl: float, dose: float | None, category: str) -> None:
    r = fludarabine_renal_adjustment(
        crcl_ml_min=crcl, planned_mg_per_m2=25, scheme="legacy_generic_iv"
    )
    assert r.value == (None if dose is None else pytest.approx(dose))
    assert r.category == category


def test_fludarabine_bad_scheme_and_crcl() -> None:
    with pytest.raises(DataError) as exc:
        fludarabine_renal_adjustment(crcl_ml_min=60, planned_mg_per_m2=25, scheme="oral")
    assert exc.value.field == "scheme"
    with pytest.raises(DataError) as exc2:
        fludarabine_renal_adjustment(crcl_ml_min=-5, planned_mg_per_m2=25)
    assert exc2.value.field == "crcl_ml_min"


@given(crcl=st.floats(min_value=0, max_value=300), step=st.floats(min_value=0.01, max_value=50))
def test_fludarabine_dose_never_decreases_with_better_renal_function(
    crcl: float, step: float
) -> None:
    for scheme in ("fludara_us_label", "legacy_generic_iv"):
        a = fludarabine_renal_adjustment(crcl_ml_min=crcl, planned_mg_per_m2=25, scheme=scheme)
        b = fludarabine_renal_adjustment(
            crcl_ml_min=crcl + step, planned_mg_per_m2=25, scheme=scheme
        )
        assert (b.value or 0.0) >= (a.value or 0.0)  # type: ignore[operator]
        assert (b.value or 0.0) <= 25.0  # type: ignore[operator]


# --- §2.2 daily doses -----------------------------------------------------------------------


def test_ld_axicel_regimen_full_dose() -> None:
    # Flu 30 + Cy 500 mg/m²/day × 3, BSA 1.8, CrCl 90:
    # Flu 30 × 1.8 = 54 mg/day, 162 mg total; Cy 500 × 1.8 = 900 mg/day, 2700 mg total
    r = lymphodepletion_daily_doses(
        bsa_m2=1.8, fludarabine_mg_per_m2=30, cyclophosphamide_mg_per_m2=500, crcl_ml_min=90
    )
    c = r.components
    assert r.value == pytest.approx(54.0)
    assert c["fludarabine_daily_mg"] == pytest.approx(54.0)
    assert c["fludarabine_total_mg"] == pytest.approx(162.0)
    assert c["cyclophosphamide_daily_mg"] == pytest.approx(900.0)
    assert c["cyclophosphamide_total_mg"] == pytest.approx(2700.0)
    assert r.category == "full_dose"


def test_ld_renal_reduction_and_unrounded_bsa() -> None:
    # CrCl 65 -> 80 %: Flu 24 mg/m²; BSA 1.83 -> 43.92 mg/day (no rounding), 131.76 mg total
    r = lymphodepletion_daily_doses(
        bsa_m2=1.83, fludarabine_mg_per_m2=30, cyclophosphamide_mg_per_m2=500, crcl_ml_min=65
    )
    assert r.components["fludarabine_adjusted_mg_per_m2"] == pytest.approx(24.0)
    assert r.value == pytest.approx(43.92)
    assert r.components["fludarabine_total_mg"] == pytest.approx(131.76)
    assert r.components["cyclophosphamide_daily_mg"] == pytest.approx(915.0)
    assert r.conventions["rounding_mode"] == "none"


def test_ld_erlangen_regimen_cy_one_day_and_site_rounding() -> None:
    # Mackensen 2022: Flu 25 × 3 days + Cy 1000 × 1 day; BSA 1.73
    # Flu 25 × 1.73 = 43.25 -> nearest 1 mg = 43 (halves up) ; total 129
    # Cy 1000 × 1.73 = 1730 -> nearest 10 mg = 1730; total 1730
    r = lymphodepletion_daily_doses(
        bsa_m2=1.73,
        fludarabine_mg_per_m2=25,
        cyclophosphamide_mg_per_m2=1000,
        crcl_ml_min=100,
        days=3,
        cyclophosphamide_days=1,
        fludarabine_rounding_mg=1,
        cyclophosphamide_rounding_mg=10,
    )
    c = r.components
    assert c["fludarabine_unrounded_daily_mg"] == pytest.approx(43.25)
    assert c["fludarabine_daily_mg"] == 43
    assert c["fludarabine_total_mg"] == 129
    assert c["cyclophosphamide_daily_mg"] == 1730
    assert c["cyclophosphamide_total_mg"] == 1730


def test_ld_rounding_halves_up() -> None:
    # 25 × 1.82 = 45.5 -> 46 (halves up, not banker's 46/… ) ; 300 × 1.85 = 555 -> 560
    r = lymphodepletion_daily_doses(
        bsa_m2=1.82,
        fludarabine_mg_per_m2=25,
        cyclophosphamide_mg_per_m2=300,
        crcl_ml_min=None,
        fludarabine_rounding_mg=1,
    )
    assert r.components["fludarabine_daily_mg"] == 46
    r2 = lymphodepletion_daily_doses(
        bsa_m2=1.85,
        fludarabine_mg_per_m2=25,
        cyclophosphamide_mg_per_m2=300,
        crcl_ml_min=None,
        cyclophosphamide_rounding_mg=10,
    )
    assert r2.components["cyclophosphamide_daily_mg"] == 560


def test_ld_without_crcl_records_no_adjustment() -> None:
    r = lymphodepletion_daily_doses(
        bsa_m2=2.0, fludarabine_mg_per_m2=25, cyclophosphamide_mg_per_m2=250, crcl_ml_min=None
    )
    assert r.value == pytest.approx(50.0)
    assert r.category == "not_assessed"
    assert r.conventions["renal_adjustment"].startswith("not applied")


def test_ld_do_not_administer_fludarabine() -> None:
    r = lymphodepletion_daily_doses(
        bsa_m2=2.0, fludarabine_mg_per_m2=25, cyclophosphamide_mg_per_m2=250, crcl_ml_min=25
    )
    assert r.value is None
    assert r.category == "do_not_administer"
    assert r.components["fludarabine_total_mg"] is None
    assert r.components["cyclophosphamide_daily_mg"] == pytest.approx(500.0)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("bsa_m2", {"bsa_m2": 180}),  # cm or some other unit
        ("bsa_m2", {"bsa_m2": -1.8}),
        ("days", {"days": -1}),
        ("days", {"days": 2.5}),
        ("scheme", {"scheme": "nope"}),
        ("crcl_ml_min", {"crcl_ml_min": -3}),
        ("fludarabine_rounding_mg", {"fludarabine_rounding_mg": 0}),
    ],
)
def test_ld_bad_input(field: str, kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {
        "bsa_m2": 1.8,
        "fludarabine_mg_per_m2": 25,
        "cyclophosphamide_mg_per_m2": 250,
        "crcl_ml_min": 90,
    }
    args.update(kwargs)
    with pytest.raises(DataError) as exc:
        lymphodepletion_daily_doses(**args)  # type: ignore[arg-type]
    assert exc.value.field == field


@given(
    bsa=st.floats(min_value=0.5, max_value=3.0),
    flu=st.floats(min_value=10, max_value=40),
    cy=st.floats(min_value=100, max_value=1000),
    days=st.integers(min_value=1, max_value=5),
)
def test_ld_totals_equal_daily_times_days(bsa: float, flu: float, cy: float, days: int) -> None:
    r = lymphodepletion_daily_doses(
        bsa_m2=bsa,
        fludarabine_mg_per_m2=flu,
        cyclophosphamide_mg_per_m2=cy,
        crcl_ml_min=100,
        days=days,
    )
    c = r.components
    assert c["fludarabine_daily_mg"] == pytest.approx(flu * bsa)
    assert c["fludarabine_total_mg"] == pytest.approx(flu * bsa * days)
    assert c["cyclophosphamide_total_mg"] == pytest.approx(cy * bsa * days)
