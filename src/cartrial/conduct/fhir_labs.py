"""Laboratory values arriving as FHIR R4 Observations (a Bundle), read by the project's FHIR
ingest (:func:`cartrial.ingest.fhir.patient_from_bundle`: codes to concepts, units converted to
the concept's canonical unit, reference ranges kept), and small builders for such bundles."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any

from cartrial.conduct.store import KINETICS_ANALYTES
from cartrial.domain.errors import DataError
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.vocab import LOINC

LabTuple = tuple[str, float, str, dt.date, float | None, float | None, str | None]
UCUM = "http://unitsofmeasure.org"


@cache
def _loinc(key: str) -> dict[str, str] | None:
    text = resources.files("cartrial.vocab").joinpath("data", "labs.json").read_text("utf-8")
    for entry in json.loads(text):
        if entry["key"] == key:
            for code in entry["codes"]:
                if code["system"] == LOINC:
                    return {
                        "system": code["system"],
                        "code": code["code"],
                        "display": code.get("display", key),
                    }
    return None


def observation(
    key: str,
    value: float,
    unit: str,
    when: dt.date,
    *,
    ident: str,
    subject: str,
    ref_low: float | None = None,
    ref_high: float | None = None,
) -> dict[str, Any]:
    """A FHIR R4 laboratory Observation for vocabulary concept ``key`` (its LOINC code)."""
    coding = _loinc(key)
    if coding is None:
        raise DataError(f"{key!r} has no LOINC code in the vocabulary", field="analyte")
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [coding]},
        "subject": {"reference": f"Patient/{subject}"},
        "effectiveDateTime": when.isoformat(),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    rr: dict[str, Any] = {}
    if ref_low is not None:
        rr["low"] = {"value": ref_low, "unit": unit, "system": UCUM, "code": unit}
    if ref_high is not None:
        rr["high"] = {"value": ref_high, "unit": unit, "system": UCUM, "code": unit}
    if rr:
        obs["referenceRange"] = [rr]
    return obs


def observation_bundle(subject: str, observations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{o['resourceType']}-{o['id']}", "resource": o}
            for o in observations
        ],
    }


def patient_resource(bundle: dict[str, Any]) -> dict[str, Any]:
    for entry in bundle.get("entry", []):
        res = entry.get("resource", {})
        if res.get("resourceType") == "Patient":
            return dict(res)
    raise DataError("the patient's record has no Patient resource", where="Bundle")


def labs_from_bundle(
    bundle: dict[str, Any], patient: dict[str, Any]
) -> tuple[list[LabTuple], list[str]]:
    """The stored analytes among the bundle's Observations, in canonical units, and what was
    not used (each with its reason). The enrolled patient's Patient resource is added when the
    bundle has none; a bundle about another patient is refused."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise DataError("expected a FHIR Bundle of Observations", field="resourceType")
    entries = list(bundle.get("entry") or [])
    given = [e.get("resource", {}) for e in entries if isinstance(e, dict)]
    pats = [r for r in given if r.get("resourceType") == "Patient"]
    if pats and any(p.get("id") != patient.get("id") for p in pats):
        raise DataError("the bundle is about another patient", where="Bundle", field="Patient")
    if not pats:
        entries = [
            {"fullUrl": f"urn:uuid:Patient-{patient.get('id')}", "resource": patient},
            *entries,
        ]
    parsed = patient_from_bundle({**bundle, "entry": entries})
    labs: list[LabTuple] = []
    skipped = [f"{u.resource_type}/{u.id}: {u.reason}" for u in parsed.unrecognized]
    for o in parsed.observations:
        if o.concept not in KINETICS_ANALYTES or o.value is None or o.unit is None:
            skipped.append(f"Observation/{o.id}: {o.concept} is not a conduct analyte")
            continue
        labs.append((o.concept, o.value, o.unit, o.effective, o.ref_low, o.ref_high, o.id))
    return labs, skipped
