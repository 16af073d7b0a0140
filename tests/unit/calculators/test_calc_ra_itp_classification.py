"""DAS28, CDAI/SDAI, EULAR and ACR response, ITP IWG, SLE 2019 and SSc 2013 classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators.classification import (
    SLE_2019_DOMAINS,
    SSC_2013_DOMAINS,
    sle_eular_acr_2019,
    ssc_acr_eular_2013,
)
from cartrial.calculators.itp import itp_response_iwg
from cartrial.calculators.ra import (
    acr_response,
    cdai,
    das28_category,
    das28_crp,
    das28_esr,
    eular_response,
    sdai,
)
from cartrial.domain import DataError

# --- DAS28 (Prevoo 1995) --------------------------------------------------------------------


def test_das28_esr_hand_example() -> None:
    # 0.56·√4 + 0.28·√4 + 0.70·ln 25 + 0.014·50 = 1.12 + 0.56 + 2.2532 + 0.70 = 4.6332
    r = das28_esr(tjc28=4, sjc28=4, esr_mm_h=25, ptgh_0_100=50)
    assert r.value == pytest.approx(4.6332, abs=1e-4)
    assert r.category == "moderate"
    assert r.components["das28_2dp"] == 4.63


def test_das28_crp_hand_example() -> None:
    # 1.12 + 0.56 + 0.36·ln(10 + 1) + 0.70 + 0.96 = 3.34 + 0.8632 = 4.2032
    r = das28_crp(tjc28=4, sjc28=4, crp_mg_l=10, ptgh_0_100=50)
    assert r.value == pytest.approx(4.2032, abs=1e-4)
    # all zero except constant: 0.36·ln 1 = 0 -> 0.96 -> remission
    assert das28_crp(tjc28=0, sjc28=0, crp_mg_l=0, ptgh_0_100=0).value == pytest.approx(0.96)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (2.59, "remission"),
        (2.594, "remission"),
        (2.599, "low"),  # 2.599 reports as 2.60
        (2.6, "low"),
        (3.2, "low"),
        (3.204, "low"),
        (3.205, "moderate"),
        (5.1, "moderate"),
        (5.104, "moderate"),
        (5.11, "high"),
    ],
)
def test_das28_category_boundaries_at_2dp(score: float, category: str) -> None:
    assert das28_category(score) == category


def test_das28_bad_input() -> None:
    with pytest.raises(DataError) as e1:
        das28_esr(tjc28=29, sjc28=0, esr_mm_h=10, ptgh_0_100=0)
    assert e1.value.field == "tjc28"
    with pytest.raises(DataError) as e2:
        das28_esr(tjc28=0, sjc28=0, esr_mm_h=0, ptgh_0_100=0)  # ln(0)
    assert e2.value.field == "esr_mm_h"
    with pytest.raises(DataError) as e3:
        das28_crp(tjc28=0, sjc28=0, crp_mg_l=1, ptgh_0_100=5.5 * 100)
    assert e3.value.field == "ptgh_0_100"


@given(st.integers(0, 27), st.integers(0, 28), st.floats(1, 150), st.floats(0, 100))
def test_das28_esr_monotone_in_tender_joints(t: int, s: int, esr: float, g: float) -> None:
    a = das28_esr(tjc28=t, sjc28=s, esr_mm_h=esr, ptgh_0_100=g).value
    b = das28_esr(tjc28=t + 1, sjc28=s, esr_mm_h=esr, ptgh_0_100=g).value
    assert b > a  # type: ignore[operator]


# --- CDAI / SDAI (Aletaha 2005) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "s", "pt", "ev", "value", "category"),
    [
        (0, 0, 0.6, 2.2, 2.8, "remission"),  # float sum is 2.8000000000000003: must be <= 2.8
        (1, 0, 1.1, 0.7, 2.8, "remission"),
        (1, 0, 1.1, 0.8, 2.9, "low"),
        (5, 3, 1.0, 1.0, 10, "low"),
        (5, 3, 1.1, 1.0, 10.1, "moderate"),
        (10, 8, 2.0, 2.0, 22, "moderate"),
        (10, 8, 2.1, 2.0, 22.1, "high"),
        (28, 28, 10, 10, 76, "high"),
    ],
)
def test_cdai(t: int, s: int, pt: float, ev: float, value: float, category: str) -> None:
    r = cdai(tjc28=t, sjc28=s, ptga_0_10=pt, evga_0_10=ev)
    assert r.value == pytest.approx(value)
    assert r.category == category


@pytest.mark.parametrize(
    ("pt", "ev", "crp", "category"),
    [
        (0.1, 0.2, 0.0, "remission"),  # 1 + 2 + 0.1 + 0.2 = 3.3 (float: 3.3000000000000003)
        (0.1, 0.2, 0.1, "low"),  # 3.4
        (4.0, 4.0, 0.0, "low"),  # 11
        (4.0, 4.0, 0.1, "moderate"),  # 11.1
        (10.0, 10.0, 3.0, "moderate"),  # 26
        (10.0, 10.0, 3.1, "high"),  # 26.1
    ],
)
def test_sdai(pt: float, ev: float, crp: float, category: str) -> None:
    r = sdai(tjc28=1, sjc28=2, ptga_0_10=pt, evga_0_10=ev, crp_mg_dl=crp)
    assert r.category == category
    assert r.value == pytest.approx(3 + pt + ev + crp)


# --- EULAR response (van Gestel 1996) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "response"),
    [
        (3.64, 2.44, "moderate"),  # drop is 1.20 (float 1.2000000000000002): not > 1.2
        (3.65, 2.44, "good"),  # 1.21
        (5.0, 3.0, "good"),
        (4.0, 3.4, "none"),  # 0.60 is not > 0.6
        (4.0, 3.39, "moderate"),  # 0.61
        (5.0, 3.5, "moderate"),  # > 1.2 but current > 3.2
        (6.5, 5.2, "moderate"),  # > 1.2 with current > 5.1
        (6.0, 5.2, "none"),  # 0.8 with current > 5.1
        (4.5, 4.0, "none"),
        (3.0, 3.5, "none"),  # worsening
    ],
)
def test_eular_response_table(baseline: float, current: float, response: str) -> None:
    r = eular_response(das28_baseline=baseline, das28_current=current)
    assert r.value == response


# --- ACR20/50/70 (Felson 1995) ----------------------------------------------------------------

ACR_BASE = {
    "tjc68_baseline": 20,
    "tjc68_followup": 10,  # 50 %
    "sjc66_baseline": 10,
    "sjc66_followup": 5,  # 50 %
    "pain_baseline": 60,
    "pain_followup": 30,  # 50 %
    "patient_global_baseline": 60,
    "patient_global_followup": 40,  # 33 %
    "physician_global_baseline": 50,
    "physician_global_followup": 20,  # 60 %
    "haq_di_baseline": 1.0,
    "haq_di_followup": 0.8,  # 20 % exactly (float: 19.999999999999996)
    "acute_phase_reactant_baseline": 20,
    "acute_phase_reactant_followup": 15,  # 25 %
}


def test_acr20_hand_example_with_exact_20_percent() -> None:
    # ACR20: joints 50/50 %, core >= 20 %: pain, PtGA, PhGA, HAQ (exactly 20 %), CRP -> 5 of 5.
    # ACR50: joints yes, core >= 50 %: pain, PhGA -> 2 of 5: no.
    r = acr_response(**ACR_BASE)
    assert r.value == 20
    assert r.components["acr20"] is True and r.components["acr50"] is False


def test_acr70_and_joint_requirement() -> None:
    # every measure improves by exactly 70 %
    seventy = ACR_BASE | {
        "tjc68_followup": 6,
        "sjc66_followup": 3,
        "pain_followup": 18,
        "patient_global_followup": 18,
        "physician_global_followup": 15,
        "haq_di_followup": 0.3,
        "acute_phase_reactant_followup": 6,
    }
    assert acr_response(**seventy).value == 70  # type: ignore[arg-type]
    # swollen joints only 10 % better -> fails every level even with all core measures
    assert acr_response(**(ACR_BASE | {"sjc66_followup": 9})).value == 0
    # only two core measures >= 20 %
    two = ACR_BASE | {
        "patient_global_followup": 60,
        "haq_di_followup": 1.0,
        "acute_phase_reactant_followup": 20,
    }
    assert acr_response(**two).value == 0


def test_acr_zero_baseline_cannot_improve() -> None:
    r = acr_response(**(ACR_BASE | {"pain_baseline": 0, "pain_followup": 0}))
    assert r.components["improvement_percent"]["pain"] is None
    assert r.value == 20  # still 4 of 5 core measures


# --- ITP (Rodeghiero 2009) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "baseline", "bleeding", "level"),
    [
        (100, 10, False, "CR"),  # >= 100
        (99, 10, False, "R"),  # >= 30 and >= 2 × 10
        (30, 15, False, "R"),  # exactly 30 and exactly 2-fold
        (29, 10, False, "NR"),  # < 30
        (35, 20, False, "NR"),  # >= 30 but < 2-fold: IWG says AND
        (150, 10, True, "NR"),  # bleeding
    ],
)
def test_itp_levels(count: float, baseline: float, bleeding: bool, level: str) -> None:
    r = itp_response_iwg(
        platelet_count_10e9_l=count, baseline_platelet_count_10e9_l=baseline, bleeding=bleeding
    )
    assert r.value == level
    assert r.components["confirmed"] is False


def test_itp_confirmation_rules() -> None:
    def run(first: float, second: float, days: int) -> tuple[object, object]:
        r = itp_response_iwg(
            platelet_count_10e9_l=first,
            baseline_platelet_count_10e9_l=10,
            bleeding=False,
            confirmatory_platelet_count_10e9_l=second,
            days_between_counts=days,
        )
        return r.value, r.components["confirmed"]

    assert run(120, 110, 7) == ("CR", True)  # CR needs 2 counts >= 7 days apart
    assert run(120, 110, 6) == ("CR", False)
    assert run(120, 50, 7) == ("R", True)  # lower of the two levels
    assert run(20, 22, 1) == ("NR", True)  # NR needs >= 1 day apart
    assert run(20, 22, 0) == ("NR", False)
    with pytest.raises(DataError) as exc:
        itp_response_iwg(
            platelet_count_10e9_l=120,
            baseline_platelet_count_10e9_l=10,
            bleeding=False,
            confirmatory_platelet_count_10e9_l=110,
        )
    assert exc.value.field == "days_between_counts"


# --- 2019 EULAR/ACR SLE (Aringer 2019) --------------------------------------------------------


def test_sle_2019_hand_example_classified() -> None:
    # joint involvement 6 + complement (low C3 and C4 = 4; low C3 or C4 = 3 not added) = 10
    r = sle_eular_acr_2019(
        ana_titer="1:160", criteria=["joint_involvement", "low_c3_and_low_c4", "low_c3_or_low_c4"]
    )
    assert r.value == 10
    assert r.category == "SLE"
    assert r.components["domains"]["complement_proteins"]["counted"] == "low_c3_and_low_c4"


def test_sle_2019_entry_and_clinical_requirements() -> None:
    crit = ["joint_involvement", "low_c3_and_low_c4"]
    no_entry = sle_eular_acr_2019(ana_titer="1:40", criteria=crit)
    assert no_entry.category == "entry criterion not met"
    # issue 9: no total when the entry fails (it used to report 10 here)
    assert no_entry.value is None and no_entry.components["domains"] == {}
    assert sle_eular_acr_2019(ana_titer="1:80", criteria=crit).category == "SLE"  # 1:80 enough
    assert (
        sle_eular_acr_2019(ana_titer=None, criteria=crit, ana_equivalent_positive=True).category
        == "SLE"
    )
    # immunological only: 6 + 4 = 10 but no clinical criterion
    immuno = sle_eular_acr_2019(
        ana_titer="1:640", criteria=["anti_dsdna_or_anti_smith", "low_c3_and_low_c4"]
    )
    assert immuno.value == 10 and immuno.category == "not classified as SLE"
    # 9 points with a clinical criterion is not enough
    nine = sle_eular_acr_2019(ana_titer="1:640", criteria=["seizure", "low_c3_and_low_c4"])
    assert nine.value == 9 and nine.category == "not classified as SLE"


def test_sle_2019_highest_per_domain_and_maximum_51() -> None:
    r = sle_eular_acr_2019(
        ana_titer="1:80", criteria=["acute_cutaneous_lupus", "oral_ulcers", "non_scarring_alopecia"]
    )
    assert r.value == 6  # mucocutaneous counts its highest only
    everything = [k for d in SLE_2019_DOMAINS.values() for k in d]
    assert sle_eular_acr_2019(ana_titer="1:80", criteria=everything).value == 51


def test_sle_2019_bad_input() -> None:
    with pytest.raises(DataError) as e1:
        sle_eular_acr_2019(ana_titer="160", criteria=[])
    assert e1.value.field == "ana_titer"
    with pytest.raises(DataError, match="malar_rash"):
        sle_eular_acr_2019(ana_titer="1:80", criteria=["malar_rash"])


@given(st.sets(st.sampled_from([k for d in SLE_2019_DOMAINS.values() for k in d])))
def test_sle_2019_score_is_sum_of_domain_maxima(keys: set[str]) -> None:
    r = sle_eular_acr_2019(ana_titer="1:80", criteria=sorted(keys))
    expected = sum(
        max((w for k, w in d.items() if k in keys), default=0) for d in SLE_2019_DOMAINS.values()
    )
    assert r.value == expected <= 51


# --- 2013 ACR/EULAR SSc (van den Hoogen 2013) ---------------------------------------------------


def test_ssc_2013_cases() -> None:
    assert ssc_acr_eular_2013(items=["skin_thickening_proximal_to_mcp"]).category == "SSc"  # 9
    # puffy 2 / sclerodactyly 4 -> 4; + Raynaud 3 + telangiectasia 2 = 9
    r = ssc_acr_eular_2013(items=["puffy_fingers", "sclerodactyly", "raynaud", "telangiectasia"])
    assert r.value == 9 and r.category == "SSc"
    r8 = ssc_acr_eular_2013(items=["sclerodactyly", "raynaud", "digital_tip_ulcers"])  # 4+3+2
    assert r8.value == 9
    eight = ssc_acr_eular_2013(items=["puffy_fingers", "raynaud", "fingertip_pitting_scars"])
    assert eight.value == 8 and eight.category == "not classified as SSc"
    # PAH and ILD: maximum 2; three antibodies: maximum 3
    assert ssc_acr_eular_2013(items=["pah", "ild"]).value == 2
    assert (
        ssc_acr_eular_2013(
            items=["anticentromere", "anti_topoisomerase_i", "anti_rna_polymerase_iii"]
        ).value
        == 3
    )
    everything = [k for d in SSC_2013_DOMAINS.values() for k in d]
    assert ssc_acr_eular_2013(items=everything).value == 28


def test_ssc_2013_not_applicable() -> None:
    r = ssc_acr_eular_2013(
        items=["skin_thickening_proximal_to_mcp"], skin_thickening_sparing_fingers=True
    )
    assert r.category == "criteria not applicable" and r.components["classified"] is False
    with pytest.raises(DataError, match="morphea"):
        ssc_acr_eular_2013(items=["morphea"])
