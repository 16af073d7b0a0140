"""ASTCT CRS and ICANS, ICE and CAPD: cases derived from Lee 2019 / Traube 2014 (ref sheet §3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartrial.calculators.crs import OXYGEN_GRADES, crs_grade_astct
from cartrial.calculators.icans import (
    CONSCIOUSNESS_GRADES,
    EDEMA_GRADES,
    MOTOR_GRADES,
    SEIZURE_GRADES,
    capd_score,
    icans_grade_astct,
    icans_grade_astct_pediatric,
    ice_score,
)
from cartrial.domain import DataError

# --- CRS (Lee 2019 Table 2) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({}, 1),  # fever alone
        ({"hypotension": True}, 2),  # hypotension not requiring vasopressors
        ({"oxygen": "low_flow"}, 2),  # NC <= 6 L/min or blow-by
        ({"vasopressors_excluding_vasopressin": 1}, 3),  # a vasopressor
        ({"vasopressin": True}, 3),  # vasopressin is "a vasopressor"
        ({"vasopressin": True, "vasopressors_excluding_vasopressin": 1}, 3),  # still grade 3
        ({"oxygen": "high_flow"}, 3),
        ({"vasopressors_excluding_vasopressin": 2}, 4),  # multiple, excluding vasopressin
        ({"oxygen": "positive_pressure"}, 4),
        ({"hypotension": True, "oxygen": "high_flow"}, 3),  # more severe of the two
        ({"vasopressors_excluding_vasopressin": 2, "oxygen": "low_flow"}, 4),
        ({"death_due_to_crs": True}, 5),
    ],
)
def test_crs_grades_with_fever(kwargs: dict[str, object], grade: int) -> None:
    r = crs_grade_astct(fever=True, **kwargs)  # type: ignore[arg-type]
    assert r.value == grade
    assert "Lee DW" in r.reference


def test_crs_needs_fever_unless_treated() -> None:
    # Footnote: fever is required at onset; after tocilizumab/steroids/antipyretics it is not.
    untreated = crs_grade_astct(fever=False, oxygen="low_flow")
    assert untreated.value == 0
    assert untreated.category == "no CRS"
    assert untreated.components["hypoxia_grade"] == 2
    treated = crs_grade_astct(
        fever=False, oxygen="low_flow", prior_tocilizumab_or_steroids_or_antipyretic=True
    )
    assert treated.value == 2
    # treated, no fever, nothing else: nothing left to grade
    assert (
        crs_grade_astct(fever=False, prior_tocilizumab_or_steroids_or_antipyretic=True).value == 0
    )


def test_crs_fever_from_temperature_threshold_38_0() -> None:
    assert crs_grade_astct(temperature_c=38.0).value == 1  # T >= 38.0 °C
    assert crs_grade_astct(temperature_c=37.9, hypotension=True).value == 0
    with pytest.raises(DataError) as exc:
        crs_grade_astct(fever=False, temperature_c=38.5)
    assert exc.value.field == "fever"
    with pytest.raises(DataError) as exc2:
        crs_grade_astct()
    assert exc2.value.field == "fever"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("oxygen", {"oxygen": "nasal_cannula"}),
        ("vasopressors_excluding_vasopressin", {"vasopressors_excluding_vasopressin": -1}),
        ("vasopressin", {"vasopressin": "yes"}),
        ("temperature_c", {"temperature_c": 101.5}),  # Fahrenheit given as Celsius
    ],
)
def test_crs_bad_input(field: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(DataError) as exc:
        crs_grade_astct(fever=True if "temperature_c" not in kwargs else None, **kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


@given(
    hypotension=st.booleans(),
    n=st.integers(min_value=0, max_value=4),
    vaso=st.booleans(),
    oxygen=st.sampled_from(sorted(OXYGEN_GRADES)),
    fever=st.booleans(),
    prior=st.booleans(),
)
def test_crs_grade_never_below_hypoxia_or_hypotension_alone(
    hypotension: bool, n: int, vaso: bool, oxygen: str, fever: bool, prior: bool
) -> None:
    r = crs_grade_astct(
        fever=fever,
        hypotension=hypotension,
        vasopressors_excluding_vasopressin=n,
        vasopressin=vaso,
        oxygen=oxygen,
        prior_tocilizumab_or_steroids_or_antipyretic=prior,
    )
    hyp_alone = crs_grade_astct(
        fever=fever,
        hypotension=hypotension,
        vasopressors_excluding_vasopressin=n,
        vasopressin=vaso,
        prior_tocilizumab_or_steroids_or_antipyretic=prior,
    )
    oxy_alone = crs_grade_astct(
        fever=fever, oxygen=oxygen, prior_tocilizumab_or_steroids_or_antipyretic=prior
    )
    assert r.value >= hyp_alone.value  # type: ignore[operator]
    assert r.value >= oxy_alone.value  # type: ignore[operator]
    if fever or prior:
        # the grade is exactly the more severe parameter (fever alone = 1)
        assert r.value == max(
            1 if fever else 0, r.components["hypotension_grade"], r.components["hypoxia_grade"]
        )
        assert r.value >= OXYGEN_GRADES[oxygen]
    assert 0 <= r.value <= 4  # type: ignore[operator]


# --- ICE (Lee 2019) ------------------------------------------------------------------------------


def test_ice_score_sum_and_item_ranges() -> None:
    full = ice_score(orientation=4, naming=3, following_commands=1, writing=1, attention=1)
    assert full.value == 10 and full.category == "no impairment"
    partial = ice_score(orientation=2, naming=3, following_commands=1, writing=0, attention=1)
    assert partial.value == 7  # 2 + 3 + 1 + 0 + 1
    with pytest.raises(DataError) as exc:
        ice_score(orientation=5, naming=3, following_commands=1, writing=1, attention=1)
    assert exc.value.field == "orientation"
    with pytest.raises(DataError) as exc2:
        ice_score(orientation=4, naming=3, following_commands=2, writing=1, attention=1)
    assert exc2.value.field == "following_commands"


# --- ICANS adult -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ice", "grade"), [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (0, 3)]
)
def test_icans_ice_bands(ice: int, grade: int) -> None:
    # ICE 7-9 G1, 3-6 G2, 0-2 G3 (ICE 0 while awake with global aphasia is grade 3)
    assert icans_grade_astct(ice_score=ice).value == grade


def test_icans_unarousable_is_grade_4_and_null_ice_needs_unarousable() -> None:
    r = icans_grade_astct(ice_score=None, consciousness="vigorous_or_unarousable")
    assert r.value == 4
    with pytest.raises(DataError) as exc:
        icans_grade_astct(ice_score=None, consciousness="awakens_to_voice")
    assert exc.value.field == "ice_score"


@pytest.mark.parametrize(
    ("kwargs", "grade"),
    [
        ({"consciousness": "awakens_spontaneously"}, 1),
        ({"consciousness": "awakens_to_voice"}, 2),
        ({"consciousness": "tactile_only"}, 3),
        ({"seizure": "rapidly_resolving_or_nonconvulsive_resolved_with_intervention"}, 3),
        ({"seizure": "prolonged_or_repetitive"}, 4),
        ({"motor": "deep_focal_weakness"}, 4),
        ({"edema": "focal"}, 3),
        ({"edema": "diffuse_or_posturing_or_cn6_or_papilledema_or_cushing"}, 4),
        ({"death_due_to_icans": True}, 5),
    ],
)
def test_icans_other_domains_with_normal_ice(kwargs: dict[str, object], grade: int) -> None:
    assert icans_grade_astct(ice_score=10, **kwargs).value == grade  # type: ignore[arg-type]


def test_icans_most_severe_domain_wins() -> None:
    # ICE 8 (G1) + awakens to voice (G2) + focal oedema (G3) -> 3
    r = icans_grade_astct(ice_score=8, consciousness="awakens_to_voice", edema="focal")
    assert r.value == 3
    assert r.components["ice_grade"] == 1 and r.components["consciousness_grade"] == 2


@given(
    ice=st.integers(min_value=0, max_value=10),
    c=st.sampled_from(sorted(set(CONSCIOUSNESS_GRADES) - {"vigorous_or_unarousable"})),
    s=st.sampled_from(sorted(SEIZURE_GRADES)),
    mo=st.sampled_from(sorted(MOTOR_GRADES)),
    e=st.sampled_from(sorted(EDEMA_GRADES)),
)
def test_icans_grade_is_max_of_domains(ice: int, c: str, s: str, mo: str, e: str) -> None:
    r = icans_grade_astct(ice_score=ice, consciousness=c, seizure=s, motor=mo, edema=e)
    assert r.value == max(
        r.components["ice_grade"],
        CONSCIOUSNESS_GRADES[c],
        SEIZURE_GRADES[s],
        MOTOR_GRADES[mo],
        EDEMA_GRADES[e],
    )


# --- CAPD (Traube 2014) and pediatric ICANS ------------------------------------------------


def test_capd_scoring_directions() -> None:
    best = dict.fromkeys(
        (
            "eye_contact",
            "purposeful_actions",
            "aware_of_surroundings",
            "communicates_needs_and_wants",
        ),
        "always",
    ) | dict.fromkeys(("restless", "inconsolable", "underactive", "long_time_to_respond"), "never")
    worst = {k: ("never" if v == "always" else "always") for k, v in best.items()}
    assert capd_score(**best).value == 0
    assert capd_score(**worst).value == 32
    # items 1-4 reversed: sometimes 2, often 1, always 0, rarely 3;
    # items 5-8 direct: sometimes 2, never 0, rarely 1, often 3 -> 2+1+0+3+2+0+1+3 = 12
    mixed = capd_score(
        eye_contact="sometimes",
        purposeful_actions="often",
        aware_of_surroundings="always",
        communicates_needs_and_wants="rarely",
        restless="sometimes",
        inconsolable="never",
        underactive="rarely",
        long_time_to_respond="often",
    )
    assert mixed.value == 12
    assert mixed.category == "positive"


def test_capd_threshold_9_positive_8_negative() -> None:
    base = {
        "eye_contact": "always",
        "purposeful_actions": "always",
        "aware_of_surroundings": "always",
        "communicates_needs_and_wants": "always",
        "restless": "always",
        "inconsolable": "always",
        "underactive": "never",
        "long_time_to_respond": "never",
    }
    assert capd_score(**base).value == 8 and capd_score(**base).category == "negative"
    base["underactive"] = "rarely"
    assert capd_score(**base).value == 9 and capd_score(**base).category == "positive"
    base["restless"] = "usually"
    with pytest.raises(DataError) as exc:
        capd_score(**base)
    assert exc.value.field == "restless"


@pytest.mark.parametrize(
    ("capd", "consciousness", "grade"),
    [
        (0, "normal", 0),  # CAPD 0 with normal consciousness: no ICANS
        (5, "normal", 1),
        (5, "awakens_spontaneously", 1),
        (1, "awakens_to_voice", 2),  # CAPD 1-8: consciousness decides 1 vs 2
        (8, "awakens_to_voice", 2),
        (9, "normal", 3),  # CAPD >= 9
        (32, "awakens_spontaneously", 3),
        (None, "normal", 4),  # unable to perform CAPD
        (4, "tactile_only", 3),  # consciousness domain itself is G3
    ],
)
def test_pediatric_icans(capd: int | None, consciousness: str, grade: int) -> None:
    assert icans_grade_astct_pediatric(capd_score=capd, consciousness=consciousness).value == grade
