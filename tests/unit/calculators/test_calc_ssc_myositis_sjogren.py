"""mRSS, ACR-CRISS, MMT-8, 2016 myositis TIS, ESSDAI (reference sheet §5.2-5.4)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators.myositis import MMT8_KEYS, mmt8, myositis_tis_2016
from cartrial.calculators.sjogren import ESSDAI_DOMAINS, essdai
from cartrial.calculators.ssc import MRSS_AREAS, acr_criss, mrss
from cartrial.domain import DataError

# --- mRSS ---------------------------------------------------------------------------------------


def test_mrss_17_areas_max_51() -> None:
    assert len(MRSS_AREAS) == 17
    assert mrss(scores=dict.fromkeys(MRSS_AREAS, 3)).value == 51
    assert mrss(scores=dict.fromkeys(MRSS_AREAS, 0)).value == 0


def test_mrss_hand_example() -> None:
    # face 1, fingers 2+2, hands 1+1, forearms 1+1, all else 0 -> 9
    s = dict.fromkeys(MRSS_AREAS, 0) | {
        "face": 1,
        "fingers_right": 2,
        "fingers_left": 2,
        "hand_right": 1,
        "hand_left": 1,
        "forearm_right": 1,
        "forearm_left": 1,
    }
    assert mrss(scores=s).value == 9


def test_mrss_bad_input() -> None:
    s = dict.fromkeys(MRSS_AREAS, 1)
    del s["abdomen"]
    with pytest.raises(DataError, match="abdomen"):
        mrss(scores=s)
    with pytest.raises(DataError) as exc:
        mrss(scores=dict.fromkeys(MRSS_AREAS, 1) | {"face": 4})
    assert exc.value.field == "scores.face"
    with pytest.raises(DataError, match="back"):
        mrss(scores=dict.fromkeys(MRSS_AREAS, 1) | {"back": 1})


@given(st.lists(st.integers(0, 3), min_size=17, max_size=17))
def test_mrss_total_is_sum(values: list[int]) -> None:
    r = mrss(scores=dict(zip(MRSS_AREAS, values, strict=True)))
    assert r.value == sum(values) <= 51


# --- ACR-CRISS (Khanna 2016) ---------------------------------------------------------------


def test_criss_no_change_hand_value() -> None:
    # z = -5.54 -> p = 1 / (1 + e^5.54) = 0.00391
    r = acr_criss(
        delta_mrss=0,
        delta_fvc_percent_predicted=0,
        delta_patient_global=0,
        delta_physician_global=0,
        delta_haq_di=0,
    )
    assert r.value == pytest.approx(0.00391, abs=1e-5)
    assert r.category == "not improved"


def test_criss_improved_hand_example() -> None:
    # z = -5.54 - 0.81(-10) + 0.21(5) - 0.40(-2) - 0.44(-3) - 3.41(-0.5)
    #   = -5.54 + 8.10 + 1.05 + 0.80 + 1.32 + 1.705 = 7.435 -> p = 0.99941
    r = acr_criss(
        delta_mrss=-10,
        delta_fvc_percent_predicted=5,
        delta_patient_global=-2,
        delta_physician_global=-3,
        delta_haq_di=-0.5,
    )
    assert r.components["z"] == pytest.approx(7.435)
    assert r.value == pytest.approx(0.99941, abs=1e-5)
    assert r.category == "improved"


def test_criss_threshold_0_60() -> None:
    # p >= 0.60 <=> z >= ln(1.5) = 0.405465 <=> ΔmRSS <= -7.3401 (others 0)
    above = acr_criss(
        delta_mrss=-7.35,
        delta_fvc_percent_predicted=0,
        delta_patient_global=0,
        delta_physician_global=0,
        delta_haq_di=0,
    )
    below = acr_criss(
        delta_mrss=-7.33,
        delta_fvc_percent_predicted=0,
        delta_patient_global=0,
        delta_physician_global=0,
        delta_haq_di=0,
    )
    assert above.value == pytest.approx(1 / (1 + math.exp(-0.4135)), abs=1e-4)
    assert above.category == "improved"
    assert below.category == "not improved"


def test_criss_step1_sets_zero() -> None:
    r = acr_criss(
        delta_mrss=-20,
        delta_fvc_percent_predicted=10,
        delta_patient_global=-5,
        delta_physician_global=-5,
        delta_haq_di=-1,
        step1_worsening=True,
    )
    assert r.value == 0.0 and r.category == "not improved"
    with pytest.raises(DataError) as exc:
        acr_criss(
            delta_mrss=0,
            delta_fvc_percent_predicted=0,
            delta_patient_global=-50,
            delta_physician_global=0,
            delta_haq_di=0,
        )
    assert exc.value.field == "delta_patient_global"


# --- MMT-8 --------------------------------------------------------------------------------------


def test_mmt8_maxima_150_and_80() -> None:
    assert len(MMT8_KEYS["bilateral"]) == 15
    assert mmt8(scores=dict.fromkeys(MMT8_KEYS["bilateral"], 10)).value == 150
    assert mmt8(scores=dict.fromkeys(MMT8_KEYS["unilateral"], 10), version="unilateral").value == 80


def test_mmt8_bilateral_hand_example() -> None:
    # neck flexors 8 + seven right groups × 9 + seven left groups × 7 = 8 + 63 + 49 = 120
    s = {
        k: (8 if k == "neck_flexors" else 9 if k.endswith("_right") else 7)
        for k in MMT8_KEYS["bilateral"]
    }
    assert mmt8(scores=s).value == 120


def test_mmt8_bad_input() -> None:
    s = dict.fromkeys(MMT8_KEYS["bilateral"], 10)
    with pytest.raises(DataError) as exc:
        mmt8(scores=s | {"deltoid_right": 11})
    assert exc.value.field == "scores.deltoid_right"
    with pytest.raises(DataError, match="quadriceps_left"):
        mmt8(scores={k: v for k, v in s.items() if k != "quadriceps_left"})
    with pytest.raises(DataError, match="deltoid"):
        mmt8(scores=s, version="unilateral")  # bilateral keys in a unilateral form


# --- 2016 ACR/EULAR TIS (Aggarwal 2017 Table 3) --------------------------------------------

BASE = {
    "physician_global_baseline": 6.0,
    "physician_global_followup": 3.0,  # 30 % -> 17.5
    "patient_global_baseline": 5.0,
    "patient_global_followup": 4.0,  # 10 % -> 2.5
    "mmt8_baseline": 120.0,
    "mmt8_followup": 135.0,  # 15/150 = 10 % -> 10
    "haq_baseline": 1.5,
    "haq_followup": 1.0,  # 0.5/3 = 16.7 % -> 7.5
    "enzyme_baseline_u_l": 1000.0,
    "enzyme_followup_u_l": 500.0,  # 50 % -> 7.5
    "extramuscular_baseline": 3.0,
    "extramuscular_followup": 3.0,  # 0 % -> 0
}


def test_tis_hand_example_45() -> None:
    # 17.5 + 2.5 + 10 + 7.5 + 7.5 + 0 = 45: adult moderate (>= 40), juvenile moderate (>= 45)
    r = myositis_tis_2016(**BASE)  # type: ignore[arg-type]
    assert r.value == 45.0
    assert r.components["points"] == {
        "physician_global": 17.5,
        "patient_global": 2.5,
        "mmt8": 10,
        "haq": 7.5,
        "enzyme": 7.5,
        "extramuscular": 0,
    }
    assert r.category == "moderate"
    assert myositis_tis_2016(**BASE, population="juvenile").category == "moderate"  # type: ignore[arg-type]


def test_tis_maximum_100_major() -> None:
    best = {
        "physician_global_baseline": 8.0,
        "physician_global_followup": 2.0,  # 60 % -> 20
        "patient_global_baseline": 8.0,
        "patient_global_followup": 3.0,  # 50 % -> 10
        "mmt8_baseline": 100.0,
        "mmt8_followup": 150.0,  # 33 % -> 32.5
        "haq_baseline": 2.0,
        "haq_followup": 0.5,  # 50 % -> 10
        "enzyme_baseline_u_l": 2000.0,
        "enzyme_followup_u_l": 200.0,  # 90 % -> 7.5
        "extramuscular_baseline": 6.0,
        "extramuscular_followup": 1.0,  # 50 % -> 20
    }
    r = myositis_tis_2016(**best)  # type: ignore[arg-type]
    assert r.value == 100.0 and r.category == "major"


@pytest.mark.parametrize(
    ("changes", "measure", "points"),
    [
        ({"physician_global_followup": 5.5}, "physician_global", 0),  # 0.5/10 = 5 %: <= 5
        ({"physician_global_followup": 5.4}, "physician_global", 7.5),  # 6 %
        ({"physician_global_followup": 4.5}, "physician_global", 7.5),  # 15 %: > 5-15
        ({"physician_global_followup": 4.4}, "physician_global", 15),  # 16 %
        ({"physician_global_followup": 2.0}, "physician_global", 17.5),  # 40 %: > 25-40
        ({"physician_global_followup": 1.9}, "physician_global", 20),  # 41 %
        ({"physician_global_followup": 7.0}, "physician_global", 0),  # worsening
        ({"mmt8_followup": 123.0}, "mmt8", 0),  # 3/150 = 2 %: <= 2
        ({"mmt8_followup": 124.0}, "mmt8", 10),  # 2.67 %
        ({"mmt8_followup": 150.0}, "mmt8", 20),  # 20 %: > 10-20
        ({"haq_followup": 1.05}, "haq", 5),  # 0.45/3 = 15 %
        ({"haq_followup": 1.04}, "haq", 7.5),  # 15.3 %
    ],
)
def test_tis_band_edges(changes: dict[str, float], measure: str, points: float) -> None:
    r = myositis_tis_2016(**(BASE | changes))  # type: ignore[arg-type]
    assert r.components["points"][measure] == points


def test_tis_enzyme_formula_is_a_parameter() -> None:
    # CK 1000 -> 850, ULN 200: relative 150/1000 = 15 % (2.5); ULN-aware 150/800 = 18.75 % (5)
    kw = BASE | {"enzyme_followup_u_l": 850.0}
    rel = myositis_tis_2016(**kw)  # type: ignore[arg-type]
    uln = myositis_tis_2016(**kw, enzyme_uln_u_l=200.0, enzyme_change="uln_aware")  # type: ignore[arg-type]
    assert rel.components["points"]["enzyme"] == 2.5
    assert uln.components["points"]["enzyme"] == 5
    assert uln.conventions["enzyme_change"] == "uln_aware"
    with pytest.raises(DataError) as exc:
        myositis_tis_2016(**kw, enzyme_change="uln_aware")  # type: ignore[arg-type]
    assert exc.value.field == "enzyme_uln_u_l"


# No change at all: every measure 0 points.
ZERO = {
    "physician_global_baseline": 6.0,
    "physician_global_followup": 6.0,
    "patient_global_baseline": 8.0,
    "patient_global_followup": 8.0,
    "mmt8_baseline": 120.0,
    "mmt8_followup": 120.0,
    "haq_baseline": 2.0,
    "haq_followup": 2.0,
    "enzyme_baseline_u_l": 1000.0,
    "enzyme_followup_u_l": 1000.0,
    "extramuscular_baseline": 6.0,
    "extramuscular_followup": 6.0,
}
PH_40 = {"physician_global_followup": 3.6}  # 2.4/10 = 24 % -> 15
PH_41 = {"physician_global_followup": 1.9}  # 4.1/10 = 41 % -> 20
PH_40_EXACT = {"physician_global_followup": 2.0}  # 40 % -> 17.5
PT_10 = {"patient_global_followup": 7.0}  # 10 % -> 2.5
PT_50 = {"patient_global_followup": 3.0}  # 50 % -> 10
EX_50 = {"extramuscular_followup": 1.0}  # 50 % -> 20
HAQ_50 = {"haq_followup": 1.0}  # 1.0/3 = 33 % -> 7.5
HAQ_75 = {"haq_followup": 0.5}  # 1.5/3 = 50 % -> 10
ENZ_10 = {"enzyme_followup_u_l": 900.0}  # 10 % -> 2.5
ENZ_30 = {"enzyme_followup_u_l": 700.0}  # 30 % -> 7.5
MMT_3 = {"mmt8_followup": 124.0}  # 4/150 = 2.67 % -> 10


@pytest.mark.parametrize(
    ("changes", "tis", "adult", "juvenile"),
    [
        (PH_40_EXACT, 17.5, "no improvement", "no improvement"),
        (PH_40_EXACT | PT_10, 20, "minimal", "no improvement"),  # adult minimal >= 20
        (PH_41 | HAQ_50 | PT_10, 30, "minimal", "minimal"),  # juvenile minimal >= 30
        (PH_41 | EX_50, 40, "moderate", "minimal"),  # adult moderate >= 40
        (PH_41 | EX_50 | PT_10 | ENZ_10, 45, "moderate", "moderate"),  # juvenile moderate >= 45
        (PH_41 | EX_50 | HAQ_75 | PT_50, 60, "major", "moderate"),  # adult major >= 60
        (PH_41 | EX_50 | HAQ_75 | PT_50 | ENZ_30, 67.5, "major", "moderate"),
        (PH_41 | EX_50 | HAQ_75 | PT_50 | MMT_3, 70, "major", "major"),  # juvenile major >= 70
    ],
)
def test_tis_thresholds(changes: dict[str, float], tis: float, adult: str, juvenile: str) -> None:
    kw = ZERO | changes
    r = myositis_tis_2016(**kw)  # type: ignore[arg-type]
    assert r.value == tis
    assert r.category == adult
    assert myositis_tis_2016(**kw, population="juvenile").category == juvenile  # type: ignore[arg-type]


def test_tis_no_change_is_zero() -> None:
    assert myositis_tis_2016(**ZERO).value == 0  # type: ignore[arg-type]
    assert myositis_tis_2016(**ZERO | PH_40).components["points"]["physician_global"] == 15  # type: ignore[arg-type]


@given(
    st.tuples(
        st.floats(0, 10),
        st.floats(0, 10),
        st.floats(0, 10),
        st.floats(0, 10),
        st.floats(0, 150),
        st.floats(0, 150),
        st.floats(0, 3),
        st.floats(0, 3),
        st.floats(1, 5000),
        st.floats(0, 5000),
        st.floats(0, 10),
        st.floats(0, 10),
    )
)
def test_tis_between_0_and_100(v: tuple[float, ...]) -> None:
    keys = list(BASE)
    r = myositis_tis_2016(**dict(zip(keys, v, strict=True)))  # type: ignore[arg-type]
    assert 0 <= r.value <= 100  # type: ignore[operator]


# --- ESSDAI (Seror 2010) ------------------------------------------------------------------------


def test_essdai_weights_and_maximum_123() -> None:
    top = {d: max(levels) for d, (_, levels) in ESSDAI_DOMAINS.items()}
    assert essdai(levels=top).value == 123
    assert essdai(levels={}).value == 0
    # weights from the reference table, re-typed
    assert {d: w for d, (w, _) in ESSDAI_DOMAINS.items()} == {
        "constitutional": 3,
        "lymphadenopathy": 4,
        "glandular": 2,
        "articular": 2,
        "cutaneous": 3,
        "pulmonary": 5,
        "renal": 5,
        "muscular": 6,
        "pns": 5,
        "cns": 5,
        "haematological": 2,
        "biological": 1,
    }


@pytest.mark.parametrize(
    ("levels", "score", "category"),
    [
        ({"articular": 2}, 4, "low"),  # 2 × 2
        ({"constitutional": 1, "glandular": 1}, 5, "moderate"),  # 3 + 2
        ({"muscular": 2, "biological": 1}, 13, "moderate"),  # 12 + 1
        ({"muscular": 2, "glandular": 1}, 14, "high"),  # 12 + 2
        ({"articular": 2, "biological": 2, "glandular": 1}, 8, "moderate"),  # 4 + 2 + 2
    ],
)
def test_essdai_categories(levels: dict[str, int], score: int, category: str) -> None:
    r = essdai(levels=levels)
    assert (r.value, r.category) == (score, category)


def test_essdai_level_rules() -> None:
    with pytest.raises(DataError) as e1:
        essdai(levels={"cns": 1})  # CNS has no low level
    assert e1.value.field == "levels.cns"
    with pytest.raises(DataError) as e2:
        essdai(levels={"constitutional": 3})  # constitutional max 2
    assert e2.value.field == "levels.constitutional"
    with pytest.raises(DataError, match="hepatic"):
        essdai(levels={"hepatic": 1})


@given(
    st.fixed_dictionaries({d: st.sampled_from(levels) for d, (_, levels) in ESSDAI_DOMAINS.items()})
)
def test_essdai_total_is_weighted_sum(levels: dict[str, int]) -> None:
    r = essdai(levels=levels)
    assert r.value == sum(ESSDAI_DOMAINS[d][0] * lv for d, lv in levels.items())
    assert 0 <= r.value <= 123  # type: ignore[operator]


@given(st.lists(st.integers(0, 10), min_size=15, max_size=15))
def test_mmt8_total_is_sum_and_at_most_150(values: list[int]) -> None:
    r = mmt8(scores=dict(zip(MMT8_KEYS["bilateral"], values, strict=True)))
    assert r.value == sum(values) <= 150
