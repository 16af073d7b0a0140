"""CTCAE v5.0: every category boundary per reference sheet §4 and range notation §0.1."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from cartrial.calculators.immunoglobulin import hypogammaglobulinemia
from cartrial.domain import DataError

# --- haematology: "<1500 - 1000/mm3" includes 1000 (§0.1) -----------------------------------


@pytest.mark.parametrize(
    ("anc", "grade"),
    [(2.0, 0), (1.9, 1), (1.5, 1), (1.49, 2), (1.0, 2), (0.99, 3), (0.5, 3), (0.49, 4), (0.0, 4)],
)
def test_neutrophils(anc: float, grade: int) -> None:
    r = ctcae_neutrophil_count_decreased(anc_10e9_l=anc, lln_10e9_l=2.0)
    assert r.value == grade
    assert r.conventions["ctcae_version"] == "5.0"


def test_neutrophils_without_lln_cannot_separate_grade_0_and_1() -> None:
    r = ctcae_neutrophil_count_decreased(anc_10e9_l=1.8)
    assert r.value is None and r.category == "grade 0 or 1 (LLN not supplied)"
    # grades 2-4 need no LLN
    assert ctcae_neutrophil_count_decreased(anc_10e9_l=1.0).value == 2


@pytest.mark.parametrize(
    ("plt", "grade"),
    [(150, 0), (149, 1), (75, 1), (74.9, 2), (50, 2), (49.9, 3), (25, 3), (24.9, 4)],
)
def test_platelets(plt: float, grade: int) -> None:
    assert ctcae_platelet_count_decreased(platelets_10e9_l=plt, lln_10e9_l=150).value == grade


@pytest.mark.parametrize(
    ("wbc", "grade"),
    [(4.0, 0), (3.9, 1), (3.0, 1), (2.99, 2), (2.0, 2), (1.99, 3), (1.0, 3), (0.99, 4)],
)
def test_wbc(wbc: float, grade: int) -> None:
    assert ctcae_wbc_decreased(wbc_10e9_l=wbc, lln_10e9_l=4.0).value == grade


@pytest.mark.parametrize(
    ("lym", "grade"),
    [(1.0, 0), (0.99, 1), (0.8, 1), (0.79, 2), (0.5, 2), (0.49, 3), (0.2, 3), (0.19, 4)],
)
def test_lymphocytes(lym: float, grade: int) -> None:
    assert ctcae_lymphocyte_count_decreased(lymphocytes_10e9_l=lym, lln_10e9_l=1.0).value == grade


@pytest.mark.parametrize(
    ("hgb", "kwargs", "grade"),
    [
        (12.0, {}, 0),
        (11.9, {}, 1),
        (10.0, {}, 1),  # "<LLN - 10.0" includes 10.0
        (9.9, {}, 2),
        (8.0, {}, 2),
        (7.9, {}, 3),
        (9.0, {"transfusion_indicated": True}, 3),  # "<8.0 g/dL; transfusion indicated"
        (7.0, {"life_threatening": True}, 4),
        (7.0, {"death": True}, 5),
    ],
)
def test_anemia(hgb: float, kwargs: dict[str, bool], grade: int) -> None:
    assert ctcae_anemia(hgb_g_dl=hgb, lln_g_dl=12.0, **kwargs).value == grade


def test_haematology_bad_input() -> None:
    with pytest.raises(DataError) as e1:
        ctcae_neutrophil_count_decreased(anc_10e9_l=-0.1)
    assert e1.value.field == "anc_10e9_l"
    with pytest.raises(DataError) as e2:
        ctcae_anemia(hgb_g_dl=95)  # g/L passed as g/dL
    assert e2.value.field == "hgb_g_dl"
    with pytest.raises(DataError) as e3:
        ctcae_platelet_count_decreased(platelets_10e9_l=100, lln_10e9_l=0)
    assert e3.value.field == "lln_10e9_l"


@given(st.floats(0, 10), st.floats(0, 10))
def test_neutrophil_grade_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    g_lo = ctcae_neutrophil_count_decreased(anc_10e9_l=lo, lln_10e9_l=2.0).value
    g_hi = ctcae_neutrophil_count_decreased(anc_10e9_l=hi, lln_10e9_l=2.0).value
    assert g_lo >= g_hi  # type: ignore[operator]


# --- transaminases (§4.2) ------------------------------------------------------------------


@pytest.mark.parametrize("fn", [ctcae_alt_increased, ctcae_ast_increased])
@pytest.mark.parametrize(
    ("value", "grade"),
    [(40, 0), (41, 1), (120, 1), (121, 2), (200, 2), (201, 3), (800, 3), (801, 4)],
)
def test_transaminase_normal_baseline_uln_40(fn: object, value: float, grade: int) -> None:
    key = "alt_u_l" if fn is ctcae_alt_increased else "ast_u_l"
    r = fn(**{key: value, "uln_u_l": 40, "baseline_u_l": 30})  # type: ignore[operator]
    assert r.value == grade
    assert r.components["basis"] == "ULN"


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (100, 0),  # 1.25 × baseline: between baseline and 1.5 × baseline is grade 0
        (119, 0),
        (120, 1),  # "1.5 - 3.0 × baseline" includes 1.5
        (240, 1),
        (241, 2),
        (400, 2),
        (401, 3),
        (1600, 3),
        (1601, 4),
    ],
)
def test_alt_abnormal_baseline_80_uln_40(value: float, grade: int) -> None:
    r = ctcae_alt_increased(alt_u_l=value, uln_u_l=40, baseline_u_l=80)
    assert r.value == grade
    assert r.components["basis"] == "baseline"


def test_alt_baseline_below_lln_is_normal() -> None:
    # baseline 5 U/L (< LLN) is treated as normal: ULN-based grading
    assert ctcae_alt_increased(alt_u_l=41, uln_u_l=40, baseline_u_l=5).value == 1


# --- bilirubin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "grade"),
    [(1.2, 0), (1.3, 1), (1.8, 1), (1.81, 2), (3.6, 2), (3.61, 3), (12.0, 3), (12.1, 4)],
)
def test_bilirubin_normal_baseline_uln_1_2(value: float, grade: int) -> None:
    assert ctcae_bilirubin_increased(bilirubin_mg_dl=value, uln_mg_dl=1.2).value == grade


def test_bilirubin_exact_multiple_is_not_above() -> None:
    # 3.0 × 0.7 = 2.1 exactly; in binary floats 3.0 * 0.7 = 2.0999999999999996 < 2.1.
    # "> 1.5 - 3.0 × ULN" includes 3.0 × ULN, so 2.1 is grade 2, not 3.
    assert ctcae_bilirubin_increased(bilirubin_mg_dl=2.1, uln_mg_dl=0.7).value == 2


@pytest.mark.parametrize(
    ("value", "grade"),
    [(2.0, 0), (2.1, 1), (3.0, 1), (3.1, 2), (6.0, 2), (6.1, 3), (20.0, 3), (20.1, 4)],
)
def test_bilirubin_abnormal_baseline_2_0(value: float, grade: int) -> None:
    assert (
        ctcae_bilirubin_increased(bilirubin_mg_dl=value, uln_mg_dl=1.2, baseline_mg_dl=2.0).value
        == grade
    )


# --- creatinine --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "grade"),
    [(1.2, 0), (1.3, 1), (1.8, 1), (1.81, 2), (3.6, 2), (3.61, 3), (7.2, 3), (7.21, 4)],
)
def test_creatinine_uln_grades(value: float, grade: int) -> None:
    assert ctcae_creatinine_increased(creatinine_mg_dl=value, uln_mg_dl=1.2).value == grade


def test_creatinine_baseline_rule_when_value_within_uln() -> None:
    # value 1.0 <= ULN 1.2 but 1.67 × baseline 0.6 (> 1.5 - 3.0 × baseline): literal = G2
    literal = ctcae_creatinine_increased(creatinine_mg_dl=1.0, uln_mg_dl=1.2, baseline_mg_dl=0.6)
    assert literal.value == 2
    assert literal.components["uln_grade"] == 0 and literal.components["baseline_grade"] == 2
    sponsor = ctcae_creatinine_increased(
        creatinine_mg_dl=1.0, uln_mg_dl=1.2, baseline_mg_dl=0.6, baseline_rule="above_uln_only"
    )
    assert sponsor.value == 0
    assert sponsor.conventions["baseline_rule"] == "above_uln_only"


def test_creatinine_worse_of_uln_and_baseline() -> None:
    # 1.3 (G1 by ULN 1.2) and 3.25 × baseline 0.4 (> 3.0 × baseline: G3) -> 3, both rules
    for rule in ("literal", "above_uln_only"):
        assert (
            ctcae_creatinine_increased(
                creatinine_mg_dl=1.3, uln_mg_dl=1.2, baseline_mg_dl=0.4, baseline_rule=rule
            ).value
            == 3
        )
    # exactly 1.5 × baseline (0.9 vs 0.6) is not > 1.5: grade 0
    assert (
        ctcae_creatinine_increased(creatinine_mg_dl=0.9, uln_mg_dl=1.2, baseline_mg_dl=0.6).value
        == 0
    )


def test_creatinine_bad_input() -> None:
    with pytest.raises(DataError) as e1:
        ctcae_creatinine_increased(creatinine_mg_dl=-1, uln_mg_dl=1.2)
    assert e1.value.field == "creatinine_mg_dl"
    with pytest.raises(DataError) as e2:
        ctcae_creatinine_increased(creatinine_mg_dl=1, uln_mg_dl=1.2, baseline_rule="x")
    assert e2.value.field == "baseline_rule"


# --- clinical terms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "hours", "grade"),
    [
        (37.9, None, 0),
        (38.0, None, 1),
        (39.0, None, 1),
        (39.1, None, 2),
        (40.0, None, 2),
        (40.1, 24, 3),
        (40.1, 24.5, 4),
        (40.1, None, None),
    ],
)
def test_fever_celsius(t: float, hours: float | None, grade: int | None) -> None:
    assert ctcae_fever(temperature_c=t, hours_above_40c=hours).value == grade


@pytest.mark.parametrize(
    ("t", "grade"), [(100.3, 0), (100.4, 1), (102.2, 1), (102.3, 2), (104.0, 2)]
)
def test_fever_fahrenheit_uses_published_f_thresholds(t: float, grade: int) -> None:
    assert ctcae_fever(temperature_f=t).value == grade


def test_fever_needs_exactly_one_scale() -> None:
    with pytest.raises(DataError):
        ctcae_fever()
    with pytest.raises(DataError):
        ctcae_fever(temperature_c=38.0, temperature_f=100.4)
    with pytest.raises(DataError) as exc:
        ctcae_fever(temperature_c=101.0)
    assert exc.value.field == "temperature_c"


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"reaction": False}, 0),
        ({}, 1),
        ({"therapy_or_infusion_interruption_indicated": True}, 2),
        ({"prophylactic_medication_le_24h_indicated": True}, 2),
        ({"prolonged": True}, 3),
        ({"recurrence_after_improvement": True}, 3),
        ({"hospitalization_indicated": True}, 3),
        ({"life_threatening": True}, 4),
        ({"death": True}, 5),
    ],
)
def test_infusion_related_reaction(kwargs: dict[str, bool], grade: int) -> None:
    assert ctcae_infusion_related_reaction(**kwargs).value == grade


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"fever": False}, 0),
        ({"fever": True}, 1),
        ({"fever": True, "hypotension": "responds_to_fluids"}, 2),
        ({"fever": True, "oxygen": "lt_40_percent"}, 2),
        ({"fever": True, "hypotension": "one_pressor"}, 3),
        ({"fever": True, "oxygen": "ge_40_percent", "hypotension": "responds_to_fluids"}, 3),
        ({"fever": True, "life_threatening": True}, 4),
        ({"fever": True, "death": True}, 5),
    ],
)
def test_ctcae_crs(kwargs: dict[str, object], grade: int) -> None:
    assert ctcae_cytokine_release_syndrome(**kwargs).value == grade  # type: ignore[arg-type]


def test_hypogammaglobulinemia_threshold_parameter() -> None:
    assert hypogammaglobulinemia(igg_mg_dl=399).value is True
    assert hypogammaglobulinemia(igg_mg_dl=400).value is False  # "< 400"
    assert hypogammaglobulinemia(igg_mg_dl=400, inclusive=True).value is True
    assert hypogammaglobulinemia(igg_mg_dl=450, threshold_mg_dl=500).value is True
    with pytest.raises(DataError) as exc:
        hypogammaglobulinemia(igg_mg_dl=-4)
    assert exc.value.field == "igg_mg_dl"
