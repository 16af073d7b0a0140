"""SLEDAI-2K family, SRI-4, DORIS, LLDAS (reference sheet §5.1; weights from Gladman 2002)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators.sle import (
    SLEDAI_2K_WEIGHTS,
    clinical_sledai,
    doris_remission,
    lldas,
    selena_sledai,
    sledai_2k,
    sri_4,
)
from cartrial.domain import DataError

# Gladman 2002 weights, written out again here from the reference table (not imported):
# 8 × 8 neuro/vascular items, 6 × 4, 7 × 2, 3 × 1.
PUBLISHED = {
    8: {
        "seizure",
        "psychosis",
        "organic_brain_syndrome",
        "visual_disturbance",
        "cranial_nerve_disorder",
        "lupus_headache",
        "cva",
        "vasculitis",
    },
    4: {"arthritis", "myositis", "urinary_casts", "hematuria", "proteinuria", "pyuria"},
    2: {
        "rash",
        "alopecia",
        "mucosal_ulcers",
        "pleurisy",
        "pericarditis",
        "low_complement",
        "increased_dna_binding",
    },
    1: {"fever", "thrombocytopenia", "leukopenia"},
}


def test_weights_match_published_table() -> None:
    expected = {k: w for w, keys in PUBLISHED.items() for k in keys}
    assert expected == SLEDAI_2K_WEIGHTS
    assert len(SLEDAI_2K_WEIGHTS) == 24


def test_sledai_2k_hand_example() -> None:
    # arthritis 4 + proteinuria 4 + rash 2 + low complement 2 + DNA binding 2 + leukopenia 1 = 15
    d = [
        "arthritis",
        "proteinuria",
        "rash",
        "low_complement",
        "increased_dna_binding",
        "leukopenia",
    ]
    r = sledai_2k(descriptors=d)
    assert r.value == 15
    assert r.components["points"]["proteinuria"] == 4
    assert r.components["points"]["seizure"] == 0
    assert "Gladman" in r.reference
    # clinical SLEDAI drops the two serology items: 15 - 4 = 11
    assert clinical_sledai(descriptors=d).value == 11
    assert selena_sledai(descriptors=d).value == 15


def test_sledai_maximum_105_and_clinical_101() -> None:
    everything = list(SLEDAI_2K_WEIGHTS)
    assert sledai_2k(descriptors=everything).value == 105
    assert selena_sledai(descriptors=everything).value == 105
    assert clinical_sledai(descriptors=everything).value == 101
    assert sledai_2k(descriptors=[]).value == 0


@given(st.sets(st.sampled_from(sorted(SLEDAI_2K_WEIGHTS))))
def test_sledai_total_is_sum_of_components(keys: set[str]) -> None:
    r = sledai_2k(descriptors=sorted(keys))
    assert r.value == sum(r.components["points"].values())
    assert r.value == sum(SLEDAI_2K_WEIGHTS[k] for k in keys)
    assert 0 <= r.value <= 105  # type: ignore[operator]


def test_unknown_descriptor_is_named() -> None:
    with pytest.raises(DataError, match="malar_rash") as exc:
        sledai_2k(descriptors=["rash", "malar_rash"])
    assert exc.value.field == "descriptors"
    with pytest.raises(DataError, match="listed twice"):
        sledai_2k(descriptors=["rash", "rash"])
    with pytest.raises(DataError, match="list of keys"):
        sledai_2k(descriptors="rash")


def test_arthritis_joint_threshold_is_explicit() -> None:
    # §7.8 decision: ">= 2 joints" by default; ">2" via arthritis_min_joints=3
    assert sledai_2k(descriptors=[], inflamed_joint_count=2).value == 4
    assert sledai_2k(descriptors=[], inflamed_joint_count=2, arthritis_min_joints=3).value == 0
    assert sledai_2k(descriptors=[], inflamed_joint_count=3, arthritis_min_joints=3).value == 4
    with pytest.raises(DataError) as exc:
        sledai_2k(descriptors=["arthritis"], inflamed_joint_count=1)
    assert exc.value.field == "inflamed_joint_count"


# --- SRI-4 (Furie 2009) ---------------------------------------------------------------------


def _sri(**kw: object) -> object:
    args: dict[str, object] = {
        "selena_sledai_baseline": 10,
        "selena_sledai_followup": 6,
        "new_bilag_a_domains": 0,
        "new_bilag_b_domains": 1,
        "pga_baseline": 1.0,
        "pga_followup": 1.29,
    }
    args.update(kw)
    return sri_4(**args).value  # type: ignore[arg-type]


def test_sri4_all_three_conditions() -> None:
    assert _sri() is True  # -4 points, no new A, one new B, PGA +0.29
    assert _sri(selena_sledai_followup=7) is False  # only -3
    assert _sri(new_bilag_a_domains=1) is False
    assert _sri(new_bilag_b_domains=2) is False
    assert _sri(pga_followup=1.3) is False  # +0.30 is worsening
    assert _sri(selena_sledai_followup=4, min_reduction=6) is True  # SRI-6


def test_sri4_pga_difference_at_reporting_precision() -> None:
    # 1.2 - 0.9 = 0.29999999999999993 in floats but is 0.30: a worsening (§0.2)
    r = sri_4(
        selena_sledai_baseline=12,
        selena_sledai_followup=4,
        new_bilag_a_domains=0,
        new_bilag_b_domains=0,
        pga_baseline=0.9,
        pga_followup=1.2,
    )
    assert r.components["pga_change"] == 0.3
    assert r.value is False


def test_sri4_bad_input() -> None:
    with pytest.raises(DataError) as exc:
        _sri(pga_followup=4.0)
    assert exc.value.field == "pga_followup"
    with pytest.raises(DataError) as exc2:
        _sri(selena_sledai_baseline=106)
    assert exc2.value.field == "selena_sledai_baseline"


# --- DORIS 2021 and LLDAS --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cs", "pga", "pred", "stable", "ok"),
    [
        (0, 0.4, 5.0, True, True),  # prednisolone <= 5 mg/day
        (0, 0.49, 0.0, True, True),
        (0, 0.5, 0.0, True, False),  # PGA < 0.5 required
        (0, 0.0, 5.1, True, False),
        (2, 0.0, 0.0, True, False),
        (0, 0.0, 0.0, False, False),
    ],
)
def test_doris(cs: int, pga: float, pred: float, stable: bool, ok: bool) -> None:
    r = doris_remission(
        clinical_sledai=cs, pga=pga, prednisolone_mg_day=pred, stable_background_therapy=stable
    )
    assert r.value is ok


@pytest.mark.parametrize(
    ("descriptors", "pga", "pred", "ok"),
    [
        (["low_complement", "increased_dna_binding"], 1.0, 7.5, True),  # SLEDAI 4, serology only
        (["arthritis"], 0.5, 5.0, True),  # 4, musculoskeletal is not a major organ
        (["low_complement", "increased_dna_binding", "rash"], 0.5, 5.0, False),  # 6 > 4
        (["fever"], 0.5, 5.0, False),  # 1 but fever is major-organ activity
        (["pleurisy"], 0.5, 5.0, False),  # cardiopulmonary
        (["hematuria"], 0.5, 5.0, False),  # renal
        (["arthritis"], 1.1, 5.0, False),  # PGA > 1
        (["arthritis"], 1.0, 7.6, False),  # prednisolone > 7.5
    ],
)
def test_lldas(descriptors: list[str], pga: float, pred: float, ok: bool) -> None:
    r = lldas(
        descriptors=descriptors,
        new_activity_since_last_assessment=False,
        pga=pga,
        prednisolone_mg_day=pred,
    )
    assert r.value is ok


def test_lldas_new_activity_and_haemolysis() -> None:
    common = {"descriptors": [], "pga": 0.0, "prednisolone_mg_day": 0.0}
    assert lldas(new_activity_since_last_assessment=True, **common).value is False  # type: ignore[arg-type]
    assert (
        lldas(
            new_activity_since_last_assessment=False,  # type: ignore[arg-type]
            haemolytic_anaemia_or_gi_activity=True,
            **common,
        ).value
        is False
    )
    assert (
        lldas(
            new_activity_since_last_assessment=False,  # type: ignore[arg-type]
            standard_maintenance_therapy_only=False,
            **common,
        ).value
        is False
    )
