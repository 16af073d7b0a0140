"""Lymphodepletion doses per day come from the calculators (BSA, CrCl, renal adjustment).

Expected numbers are worked by hand from the reference sheet (§1.2, §2.1, §2.2):
165 cm, 60 kg: Mosteller BSA = sqrt(165 x 60 / 3600) = 1.658312 m².
Female, 40 y, 60 kg, SCr 1.4 mg/dL: CrCl = (140 - 40) x 60 / (72 x 1.4) x 0.85 = 50.595 mL/min
-> FLUDARA label tier 50-79: 20 mg/m² (80 % of 25).
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from cartrial.domain.errors import DataError
from cartrial.domain.patient import Observation, Patient, Sex
from cartrial.domain.trial import LymphodepletionAgent, LymphodepletionRegimen
from cartrial.schedule import (
    SEED_COURSE_SCHEDULE,
    SEED_FC_REGIMEN,
    EventKind,
    PatientMeasures,
    measures_from_patient,
    plan_course,
    plan_lymphodepletion,
)

BSA = math.sqrt(165 * 60 / 3600)


def _measures(scr: float = 0.8, weight: float = 60.0, sex: str = "female") -> PatientMeasures:
    return PatientMeasures(height_cm=165, weight_kg=weight, sex=sex, age_years=40, scr_mg_dl=scr)


def test_full_dose_with_normal_renal_function() -> None:
    plan = plan_lymphodepletion(SEED_FC_REGIMEN, _measures(scr=0.8))
    assert plan.bsa.value == pytest.approx(BSA, abs=1e-6)
    assert [d for d, _ in plan.by_day] == [-5, -4, -3]
    for _, doses in plan.by_day:
        flu, cy = doses
        assert flu.drug == "fludarabine" and flu.mg_per_m2 == 25
        assert flu.daily_mg == pytest.approx(25 * BSA, abs=1e-6)
        assert cy.drug == "cyclophosphamide" and cy.daily_mg == pytest.approx(300 * BSA, abs=1e-6)
    assert plan.warnings == ()
    assert plan.doses.components["fludarabine_total_mg"] == pytest.approx(75 * BSA, abs=1e-6)


def test_renal_reduction_per_regimen_scheme() -> None:
    plan = plan_lymphodepletion(SEED_FC_REGIMEN, _measures(scr=1.4))
    assert plan.crcl.value == pytest.approx(50.595, abs=0.001)
    flu = plan.doses_on(-5)[0]
    assert flu.mg_per_m2 == pytest.approx(20)
    assert flu.daily_mg == pytest.approx(20 * BSA, abs=1e-6)
    assert "reduced" in plan.warnings[0]
    # The older generic IV label (30-70: -20 %) gives the same 20 mg/m² here ...
    legacy = SEED_FC_REGIMEN.model_copy(update={"fludarabine_renal_scheme": "legacy_generic_iv"})
    assert plan_lymphodepletion(legacy, _measures(scr=1.4)).doses_on(-4)[
        0
    ].mg_per_m2 == pytest.approx(20)
    # ... but full dose at CrCl 75 where the current label already reduces.
    crcl75 = _measures(scr=0.9444)  # (100 x 60) / (72 x 0.9444) x 0.85 = 75.0
    assert plan_lymphodepletion(legacy, crcl75).doses_on(-4)[0].mg_per_m2 == pytest.approx(25)
    assert plan_lymphodepletion(SEED_FC_REGIMEN, crcl75).doses_on(-4)[0].mg_per_m2 == pytest.approx(
        20
    )


def test_fludarabine_withheld_below_crcl_30() -> None:
    plan = plan_lymphodepletion(SEED_FC_REGIMEN, _measures(scr=3.0))
    flu, cy = plan.doses_on(-3)
    assert flu.daily_mg is None and "do not administer" in flu.label()
    assert cy.daily_mg == pytest.approx(300 * BSA, abs=1e-6)
    assert any("must not be given" in w for w in plan.warnings)


def test_doses_land_on_the_calendar_days() -> None:
    ld = plan_lymphodepletion(SEED_FC_REGIMEN, _measures())
    plan = plan_course(SEED_COURSE_SCHEDULE, dt.date(2027, 3, 1), lymphodepletion=ld)
    ld_events = [e for e in plan.events if e.kind is EventKind.LYMPHODEPLETION]
    assert [e.date for e in ld_events] == [
        dt.date(2027, 2, 24),
        dt.date(2027, 2, 25),
        dt.date(2027, 2, 26),
    ]
    assert all(len(e.doses) == 2 for e in ld_events)


def test_single_day_cyclophosphamide_regimen() -> None:
    erlangen = LymphodepletionRegimen(
        agents=(
            LymphodepletionAgent(drug="fludarabine", dose_mg_per_m2_per_day=25, days=(-5, -4, -3)),
            LymphodepletionAgent(drug="cyclophosphamide", dose_mg_per_m2_per_day=1000, days=(-3,)),
        )
    )
    plan = plan_lymphodepletion(erlangen, _measures())
    assert [len(doses) for _, doses in plan.by_day] == [1, 1, 2]
    assert plan.doses.components["cyclophosphamide_total_mg"] == pytest.approx(1000 * BSA, abs=1e-6)


@pytest.mark.parametrize(
    ("measures", "field"),
    [
        (
            PatientMeasures(
                height_cm=165, weight_kg=-60, sex="female", age_years=40, scr_mg_dl=0.8
            ),
            "weight",
        ),
        (
            PatientMeasures(height_cm=-1, weight_kg=60, sex="female", age_years=40, scr_mg_dl=0.8),
            "height",
        ),
        (
            PatientMeasures(
                height_cm=165, weight_kg=60, sex="unknown", age_years=40, scr_mg_dl=0.8
            ),
            "sex",
        ),
        (
            PatientMeasures(height_cm=165, weight_kg=60, sex="male", age_years=40, scr_mg_dl=0),
            "scr",
        ),
    ],
)
def test_bad_measures_are_refused_naming_the_field(measures: PatientMeasures, field: str) -> None:
    with pytest.raises(DataError, match=field):
        plan_lymphodepletion(SEED_FC_REGIMEN, measures)


def test_unknown_agent_is_refused_not_dosed() -> None:
    benda = LymphodepletionRegimen(
        agents=(
            LymphodepletionAgent(drug="bendamustine", dose_mg_per_m2_per_day=90, days=(-3, -2)),
        )
    )
    with pytest.raises(DataError, match="bendamustine"):
        plan_lymphodepletion(benda, _measures())


def _obs(id_: str, concept: str, value: float, when: dt.date) -> Observation:
    return Observation(id=id_, concept=concept, effective=when, value=value)


def test_measures_from_patient_take_newest_before_the_first_day() -> None:
    patient = Patient(
        id="p",
        birth_date=dt.date(1987, 2, 25),
        sex=Sex.FEMALE,
        observations=(
            _obs("h", "body_height", 165, dt.date(2027, 1, 5)),
            _obs("w1", "body_weight", 62, dt.date(2027, 1, 5)),
            _obs("w2", "body_weight", 60, dt.date(2027, 2, 20)),
            _obs("w3", "body_weight", 58, dt.date(2027, 3, 10)),  # after the first LD day
            _obs("c", "creatinine", 0.9, dt.date(2027, 2, 20)),
        ),
    )
    m = measures_from_patient(patient, on=dt.date(2027, 2, 24))
    assert m.weight_kg == 60 and m.height_cm == 165 and m.scr_mg_dl == 0.9
    assert m.age_years == 39  # 40th birthday is the next day
    assert "w2" in m.sources["body_weight"]
    with pytest.raises(DataError, match="creatinine"):
        measures_from_patient(patient, on=dt.date(2027, 2, 1))
