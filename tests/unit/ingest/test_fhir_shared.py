"""Real FHIR R4 data written by others (Synthea, HL7 examples): read without a crash, and every
clinical resource either becomes a record or is listed as unrecognised, never silently dropped."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cartrial.domain.patient import Patient
from cartrial.evaluate import screen
from cartrial.ingest.fhir import load_bundle_file, patient_from_bundle
from cartrial.services.bundled_protocols import load_protocols

SHARED_FHIR = Path(__file__).resolve().parents[3].parent / "shared" / "research" / "fhir-examples"
CLINICAL = (
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Immunization",
    "Procedure",
)
AS_OF = date(2026, 11, 22)


def _files(sub: str) -> list[Path]:
    folder = SHARED_FHIR / sub
    if not folder.is_dir() or not any(folder.glob("*.json")):
        pytest.skip(f"../shared research material not present: {folder}")
    return sorted(folder.glob("*.json"))


def _accounted(patient: Patient) -> set[str]:
    ids = {u.id for u in patient.unrecognized if u.id}
    for group in (
        patient.observations,
        patient.conditions,
        patient.medications,
        patient.immunizations,
        patient.procedures,
    ):
        ids |= {r.id.split("#")[0] for r in group}
    return ids


def _check_nothing_dropped(resources: list[dict[str, Any]], patient: Patient) -> None:
    accounted = _accounted(patient)
    dropped = [
        f"{r['resourceType']}/{r.get('id')}"
        for r in resources
        if r.get("resourceType") in CLINICAL and r.get("id") not in accounted
    ]
    assert not dropped, f"silently dropped: {dropped[:5]}"


@pytest.mark.shared
@pytest.mark.parametrize("name", ["Hershel", "Willy", "Laticia", "Jordan", "Tom"])
def test_synthea_bundles_read_and_screen(name: str) -> None:
    (path,) = [p for p in _files("synthea-r4") if p.name.startswith(name)]
    patient = load_bundle_file(path)
    raw = json.loads(path.read_text())
    _check_nothing_dropped([e["resource"] for e in raw["entry"]], patient)
    for protocol in load_protocols().values():
        res = screen(protocol, patient, as_of=AS_OF)
        assert res.verdict.value in ("ELIGIBLE", "NEEDS_DATA", "INELIGIBLE")
        assert res.unrecognized == patient.unrecognized


@pytest.mark.shared
def test_synthea_ra_patient_is_recognised_and_methotrexate_read() -> None:
    (path,) = [p for p in _files("synthea-r4") if p.name.startswith("Hershel")]
    patient = load_bundle_file(path)
    assert any(c.concept == "rheumatoid_arthritis" for c in patient.conditions)
    assert any(m.concept == "methotrexate" for m in patient.medications)


@pytest.mark.shared
def test_hl7_examples_in_a_bundle_read_or_listed() -> None:
    files = {p.name: json.loads(p.read_text()) for p in _files("hl7-r4-examples")}
    patient_res = files.pop("patient-example.json")
    resources = [r for r in files.values() if r.get("resourceType") != "Bundle"]
    # point every subject at the example patient so they form one record
    for r in resources:
        for field in ("subject", "patient"):
            if field in r:
                r[field] = {"reference": f"Patient/{patient_res['id']}"}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in [patient_res, *resources]],
    }
    patient = patient_from_bundle(bundle)
    _check_nothing_dropped(resources, patient)
    for u in patient.unrecognized:
        assert u.reason  # every unrecognised record says why
