"""FHIR R4 Bundle -> Patient: mapping of every resource type, units, errors, unrecognized items."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from cartrial.domain import DataError, Patient, Sex, UnknownUnitError
from cartrial.ingest import load_bundle_file, patient_from_bundle

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "fhir"
SHARED_FHIR = REPO.parent / "shared" / "research" / "fhir-examples"

LOINC = "http://loinc.org"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


@pytest.fixture(scope="module")
def full() -> Patient:
    return load_bundle_file(FIXTURES / "full_patient.json")


@pytest.fixture()
def full_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "full_patient.json").read_text())
    return data


def _obs(p: Patient, oid: str) -> Any:
    return next(o for o in p.observations if o.id == oid)


def _med(p: Patient, mid: str) -> Any:
    return next(m for m in p.medications if m.id == mid)


def _unrec(p: Patient, rid: str) -> Any:
    return next(u for u in p.unrecognized if u.id == rid)


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-01-02", "gender": "male"}


def _medreq(**kw: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "mr",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": "8640"}]},
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2024-01-01",
    }
    r.update(kw)
    return r


# -- Patient -------------------------------------------------------------------------------


def test_patient_demographics(full: Patient) -> None:
    assert full.id == "pat-1"
    assert full.birth_date == dt.date(1985, 6, 15)
    assert full.sex is Sex.FEMALE


def test_missing_birthdate_is_not_fatal() -> None:
    p = load_bundle_file(FIXTURES / "no_birthdate.json")
    assert p.birth_date is None
    assert p.age_on(dt.date(2024, 1, 1)) is None
    assert p.sex is Sex.MALE
    assert [o.concept for o in p.observations] == ["creatinine"]


def test_partial_birthdate_kept_as_an_interval_not_guessed() -> None:
    p = patient_from_bundle(_bundle({"resourceType": "Patient", "id": "p", "birthDate": "1974"}))
    assert p.birth_date is None
    assert p.birth_date_range == (dt.date(1974, 1, 1), dt.date(1974, 12, 31))
    p = patient_from_bundle(_bundle({"resourceType": "Patient", "id": "p", "birthDate": "1974-02"}))
    assert p.birth_date_range == (dt.date(1974, 2, 1), dt.date(1974, 2, 28))


# -- Observations and units ----------------------------------------------------------------


def test_creatinine_umol_to_mg_dl_with_reference_range(full: Patient) -> None:
    o = _obs(full, "creat-1")
    assert o.concept == "creatinine"
    assert (o.value, o.unit) == (pytest.approx(1.0), "mg/dL")
    assert (o.original_value, o.original_unit) == (88.4, "umol/L")
    assert o.ref_low == pytest.approx(53 / 88.4, rel=1e-6)
    assert o.ref_high == pytest.approx(97 / 88.4, rel=1e-6)
    assert o.code is not None and o.code.code == "2160-0"


@pytest.mark.parametrize(
    ("oid", "value", "unit"),
    [
        ("hb-1", 12.5, "g/dL"),
        ("wbc-1", 5.4, "10*9/L"),
        ("plt-1", 210.0, "10*9/L"),
        ("bili-1", 1.0, "mg/dL"),
        ("alt-1", 32.0, "U/L"),
        ("height-1", 165.1, "cm"),
        ("lvef-1", 60.0, "%"),
    ],
)
def test_units_converted(full: Patient, oid: str, value: float, unit: str) -> None:
    o = _obs(full, oid)
    assert o.unit == unit
    assert o.value == pytest.approx(value, rel=1e-6)


def test_datetime_with_timezone_keeps_local_date(full: Patient) -> None:
    # 2024-03-01T23:30:00-05:00 is 2024-03-02 in UTC; the date as written is kept
    assert _obs(full, "alt-1").effective == dt.date(2024, 3, 1)


def test_qualitative_results(full: Patient) -> None:
    assert _obs(full, "hbsag-1").result == "negative"  # SNOMED Negative
    assert _obs(full, "ahcv-1").result == "positive"  # valueString "Reactive"
    hiv = _obs(full, "hiv-1")  # interpretation NEG only
    assert hiv.result == "negative"
    assert hiv.components["interpretation"] == "NEG"


def test_comparator_kept(full: Patient) -> None:
    o = _obs(full, "hbvdna-1")
    assert o.value == 20.0 and o.unit == "[IU]/mL"
    assert o.components["comparator"] == "<"


def test_titer_from_string(full: Patient) -> None:
    o = _obs(full, "ana-1")
    assert (o.value, o.unit) == (160.0, "{titer}")


def test_bp_panel_components(full: Patient) -> None:
    sbp = _obs(full, "bp-1#systolic_bp")
    dbp = _obs(full, "bp-1#diastolic_bp")
    assert (sbp.concept, sbp.value, sbp.unit) == ("systolic_bp", 128.0, "mm[Hg]")
    assert (dbp.concept, dbp.value, dbp.unit) == ("diastolic_bp", 82.0, "mm[Hg]")
    assert not any(u.id == "bp-1" for u in full.unrecognized)


def test_score_with_item_components(full: Patient) -> None:
    o = _obs(full, "cdai-1")
    assert (o.concept, o.value, o.unit) == ("cdai", 24.0, "{score}")
    assert o.components == {"tjc28": 8.0, "Patient global": 6.0}


def test_observations_newest_first(full: Patient) -> None:
    assert [o.id for o in full.observations_of("creatinine")] == ["creat-1"]


def test_default_unit_is_not_guessed() -> None:
    with pytest.raises(UnknownUnitError) as err:
        load_bundle_file(FIXTURES / "unknown_unit.json")
    msg = str(err.value)
    assert "Observation/cr-bad" in msg and "creatinine" in msg and "mg/furlong" in msg


def test_missing_unit_for_dimensional_lab_is_error() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "effectiveDateTime": "2024-01-01",
        "valueQuantity": {"value": 12},
    }
    with pytest.raises(UnknownUnitError, match="Observation/o1"):
        patient_from_bundle(_bundle(PATIENT, obs))


def test_reference_range_unit_unknown_is_error() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "o2",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "effectiveDateTime": "2024-01-01",
        "valueQuantity": {"value": 12, "unit": "g/dL"},
        "referenceRange": [{"low": {"value": 1, "unit": "bananas"}}],
    }
    with pytest.raises(UnknownUnitError) as err:
        patient_from_bundle(_bundle(PATIENT, obs))
    assert err.value.field == "referenceRange.low.unit"


def test_observation_without_value_listed() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "o3",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "effectiveDateTime": "2024-01-01",
        "dataAbsentReason": {"text": "specimen haemolysed"},
    }
    p = patient_from_bundle(_bundle(PATIENT, obs))
    assert p.observations == ()
    assert "haemolysed" in _unrec(p, "o3").reason


# -- Conditions ----------------------------------------------------------------------------


def test_conditions(full: Patient) -> None:
    sle = next(c for c in full.conditions if c.id == "cond-sle")
    assert sle.concept == "sle" and sle.active
    assert sle.onset == dt.date(2019, 5, 1)  # partial "2019-05" -> first day
    assert sle.recorded == dt.date(2019, 6, 2)
    ln = [c for c in full.conditions if c.id == "cond-ln"]
    assert {c.concept for c in ln} == {"lupus_nephritis", "sle"}  # M32.14 exact + M32 family
    assert all(not c.active and c.abatement == dt.date(2021, 7, 1) for c in ln)


def test_refuted_condition_listed_not_mapped(full: Patient) -> None:
    assert not any(c.id == "cond-tb-refuted" for c in full.conditions)
    assert "refuted" in _unrec(full, "cond-tb-refuted").reason


def test_condition_transplant_status_becomes_procedure(full: Patient) -> None:
    proc = next(p for p in full.procedures if p.id == "cond-hsct-status")
    assert proc.concept == "hsct" and proc.date is None


def test_text_only_condition_listed(full: Patient) -> None:
    assert "Fatigue" in _unrec(full, "cond-text").reason


# -- Medications ---------------------------------------------------------------------------


def test_medication_statement_daily_dose(full: Patient) -> None:
    m = _med(full, "ms-pred")
    assert m.concept == "prednisone"
    assert m.daily_dose_mg == 10.0
    assert m.ongoing and m.end is None and m.start == dt.date(2023, 1, 1)
    assert m.route == "oral"
    assert "glucocorticoids" in m.drug_classes
    assert m.resource_type == "MedicationStatement"


def test_r4_medication_request_weekly_dose_and_failure(full: Patient) -> None:
    m = _med(full, "mr-mtx")
    assert m.resource_type == "MedicationRequest"
    assert m.concept == "methotrexate" and "csDMARDs" in m.drug_classes
    assert (m.start, m.end) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert m.daily_dose_mg == pytest.approx(15 / 7, rel=1e-5)
    assert m.outcome == "failure"
    assert m.status == "stopped" and not m.ongoing


def test_intolerance_from_status_reason_and_gts_bid(full: Patient) -> None:
    m = _med(full, "ms-mmf")
    assert m.outcome == "intolerance"
    assert m.daily_dose_mg == 2000.0  # 1 g BID
    assert m.end == dt.date(2022, 9, 30)  # partial end "2022-09" -> last day


def test_medication_administration(full: Patient) -> None:
    m = _med(full, "ma-rtx")
    assert m.resource_type == "MedicationAdministration"
    assert m.concept == "rituximab"
    assert {"bDMARDs", "b_cell_depleting"} <= set(m.drug_classes)
    assert m.start == m.end == dt.date(2023, 6, 5)
    assert m.daily_dose_mg == 1000.0
    assert m.route == "Intravenous route"


def test_contained_medication_atc_class(full: Patient) -> None:
    m = _med(full, "ms-gc-class")
    assert m.concept == "glucocorticoids_systemic"
    assert "glucocorticoids" in m.drug_classes


def test_bundle_medication_reference_and_clinical_drug_name(full: Patient) -> None:
    m = _med(full, "mr-hcq")
    assert m.concept == "hydroxychloroquine"  # RxNorm SCD not in vocab: ingredient name matched
    assert m.daily_dose_mg == 400.0
    assert m.ongoing
    assert not any(u.resource_type == "Medication" for u in full.unrecognized)


def test_not_taken_and_unknown_drug_listed(full: Patient) -> None:
    assert "not-taken" in _unrec(full, "ms-not-taken").reason
    assert "313782" in _unrec(full, "mr-paracetamol").reason


@pytest.mark.parametrize(
    ("status_reason", "outcome"),
    [
        ({"text": "Drug treatment failure"}, "failure"),
        ({"coding": [{"system": "http://snomed.info/sct", "display": "Ineffective"}]}, "failure"),
        ({"text": "not effective after 6 months"}, "failure"),
        ({"text": "refractory disease"}, "failure"),
        ({"text": "Drug intolerance"}, "intolerance"),
        ({"text": "hepatotoxicity"}, "intolerance"),
        ({"text": "adverse reaction: rash"}, "intolerance"),
        ({"text": "no adverse reaction; patient moved"}, None),
        ({"text": "patient preference"}, None),
    ],
)
def test_status_reason_outcome(status_reason: dict[str, Any], outcome: str | None) -> None:
    mr = _medreq(status="stopped", statusReason=status_reason)
    p = patient_from_bundle(_bundle(PATIENT, mr))
    assert p.medications[0].outcome == outcome


@pytest.mark.parametrize(
    ("dose", "timing", "expected"),
    [
        (
            {"value": 5, "unit": "mg"},
            {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
            10.0,
        ),
        (
            {"value": 0.5, "unit": "g"},
            {"repeat": {"frequency": 1, "period": 12, "periodUnit": "h"}},
            1000.0,
        ),
        (
            {"value": 20, "unit": "mg"},
            {"repeat": {"frequency": 1, "period": 2, "periodUnit": "d"}},
            10.0,
        ),
        (
            {"value": 500, "unit": "ug", "system": UCUM, "code": "ug"},
            {"code": {"coding": [{"code": "TID"}]}},
            1.5,
        ),
        (
            {"value": 1, "unit": "tablet"},
            {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            None,
        ),
        ({"value": 5, "unit": "mg"}, None, None),
    ],
)
def test_daily_dose(
    dose: dict[str, Any], timing: dict[str, Any] | None, expected: float | None
) -> None:
    dosage: dict[str, Any] = {"doseAndRate": [{"doseQuantity": dose}]}
    if timing is not None:
        dosage["timing"] = timing
    p = patient_from_bundle(_bundle(PATIENT, _medreq(dosageInstruction=[dosage])))
    got = p.medications[0].daily_dose_mg
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_prn_dose_unknown() -> None:
    dosage = {
        "asNeededBoolean": True,
        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg"}}],
    }
    p = patient_from_bundle(_bundle(PATIENT, _medreq(dosageInstruction=[dosage])))
    assert p.medications[0].daily_dose_mg is None


# -- Immunizations and procedures ----------------------------------------------------------


def test_immunizations(full: Patient) -> None:
    imms = {i.id: i for i in full.immunizations}
    assert imms["imm-mmr"].concept == "mmr" and imms["imm-mmr"].live is True
    assert imms["imm-flu"].live is False
    assert imms["imm-mmr"].date == dt.date(2023, 11, 20)
    assert "not-done" in _unrec(full, "imm-notdone").reason


def test_procedures(full: Patient) -> None:
    hsct = next(p for p in full.procedures if p.id == "proc-hsct")
    assert hsct.concept == "hsct" and hsct.date == dt.date(2015, 4, 2)
    assert "80146002" in _unrec(full, "proc-other").reason


# -- Unrecognized --------------------------------------------------------------------------


def test_unrecognized_resources_and_codes_listed(full: Patient) -> None:
    enc = _unrec(full, "enc-1")
    assert enc.resource_type == "Encounter" and "not read" in enc.reason
    chol = _unrec(full, "chol-1")
    assert chol.resource_type == "Observation" and "2093-3" in chol.reason


def test_every_entry_accounted_for(full: Patient, full_dict: dict[str, Any]) -> None:
    """Nothing is silently dropped: every resource id is mapped or listed."""
    seen = (
        {o.id.split("#")[0] for o in full.observations}
        | {c.id for c in full.conditions}
        | {m.id for m in full.medications}
        | {i.id for i in full.immunizations}
        | {p.id for p in full.procedures}
        | {u.id for u in full.unrecognized}
        | {full.id}
    )
    ids = {e["resource"]["id"] for e in full_dict["entry"]}
    ids.discard("med-hcq")  # consumed through mr-hcq's medicationReference
    assert ids <= seen


# -- Malformed input -----------------------------------------------------------------------


def test_invalid_json() -> None:
    with pytest.raises(DataError, match="invalid JSON"):
        patient_from_bundle("{not json")


def test_not_a_bundle() -> None:
    with pytest.raises(DataError) as err:
        patient_from_bundle(PATIENT)
    assert err.value.field == "resourceType" and "Patient/p1" in str(err.value)


def test_no_patient() -> None:
    with pytest.raises(DataError, match="no Patient"):
        patient_from_bundle(_bundle())


def test_two_patients() -> None:
    other = dict(PATIENT, id="p2")
    with pytest.raises(DataError, match="two different Patient"):
        patient_from_bundle(_bundle(PATIENT, other))


def test_same_patient_twice_is_fine() -> None:
    p = patient_from_bundle(_bundle(PATIENT, copy.deepcopy(PATIENT)))
    assert p.id == "p1"


def test_malformed_birthdate_names_field() -> None:
    with pytest.raises(DataError) as err:
        load_bundle_file(FIXTURES / "malformed_birthdate.json")
    assert err.value.field == "birthDate"
    assert "Patient/pat-4" in str(err.value)
    assert "\n" not in str(err.value)


def test_malformed_date_in_observation_names_resource_and_field() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "bad-date",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "effectiveDateTime": "2024-13-45",
        "valueQuantity": {"value": 12, "unit": "g/dL"},
    }
    with pytest.raises(DataError) as err:
        patient_from_bundle(_bundle(PATIENT, obs))
    assert err.value.field == "effectiveDateTime"
    assert err.value.where is not None and "Observation/bad-date (entry 1)" in err.value.where


def test_validation_error_condensed() -> None:
    mr = _medreq(subject="Patient/p1")  # a string where a Reference object is required
    with pytest.raises(DataError) as err:
        patient_from_bundle(_bundle(PATIENT, mr))
    assert err.value.field is not None and err.value.field.startswith("subject")
    assert "\n" not in str(err.value)
    assert "MedicationRequest/mr" in str(err.value)


def test_entry_not_object() -> None:
    with pytest.raises(DataError, match=r"Bundle.entry\[0\]"):
        patient_from_bundle({"resourceType": "Bundle", "type": "collection", "entry": [42]})


def test_entry_without_resource_type() -> None:
    with pytest.raises(DataError) as err:
        patient_from_bundle(
            {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {}}]}
        )
    assert err.value.field == "resource.resourceType"


def test_bytes_input() -> None:
    raw = (FIXTURES / "no_birthdate.json").read_bytes()
    assert patient_from_bundle(raw).id == "pat-2"


# -- shared research material --------------------------------------------------------------


@pytest.mark.shared
def test_shared_fhir_examples_parse_or_fail_clearly() -> None:
    if not SHARED_FHIR.is_dir():
        pytest.skip(f"../shared research material not present: {SHARED_FHIR}")
    files = sorted(SHARED_FHIR.rglob("*.json"))
    if not files:
        pytest.skip(f"../shared research material not present: no JSON under {SHARED_FHIR}")
    parsed = 0
    for f in files:
        try:
            p = load_bundle_file(f)
        except DataError as exc:
            assert exc.where, f"{f.name}: DataError without a location: {exc}"
            assert "\n" not in str(exc)
        else:
            assert isinstance(p, Patient)
            parsed += 1
    assert parsed >= 1
