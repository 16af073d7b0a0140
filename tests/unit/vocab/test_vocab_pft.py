"""The 2026-12-05 vocabulary correction: DLCO absolute vs % predicted, FVC volume vs % predicted."""

from __future__ import annotations

from typing import Any

from cartrial import vocab
from cartrial.ingest.fhir import patient_from_bundle
from tests.vignettes import test_nct06792344 as child_ssc
from tests.vignettes._common import NEEDS_DATA, check, outcome, run

LOINC = "http://loinc.org"


def _obs(code: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": code,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": "2026-11-12",
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"resourceType": "Patient", "id": "p", "birthDate": "1980-01-01"}, *resources]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in entries],
    }


def test_codes_map_to_the_corrected_concepts() -> None:
    assert vocab.lookup_code(LOINC, "19911-7") == vocab.ConceptRef("labs", "dlco")
    assert vocab.lab("dlco").canonical_unit == "mL/min/mm[Hg]"
    assert vocab.lab("dlco_pct_pred").canonical_unit == "%"
    assert vocab.lookup_code(LOINC, "19872-1") == vocab.ConceptRef("labs", "fvc_pct_pred")
    assert vocab.lookup_code(LOINC, "19868-9") == vocab.ConceptRef("labs", "fvc")


def test_absolute_dlco_and_fvc_volume_are_read_in_their_units() -> None:
    p = patient_from_bundle(
        _bundle(_obs("19911-7", 7.5, "mmol/min/kPa"), _obs("19868-9", 2900, "mL"))
    )
    dlco = p.observations_of("dlco")[0]
    assert dlco.unit == "mL/min/mm[Hg]" and abs(dlco.value - 7.5 * 2.986) < 1e-9  # type: ignore[operator]
    assert p.observations_of("fvc")[0].value == 2.9
    assert p.observations_of("fvc_pct_pred") == []


def test_absolute_dlco_does_not_settle_a_percent_predicted_threshold() -> None:
    """NCT06792344 inc-6 asks DLCO >= 40 % of predicted. A child with only an absolute DLCO
    (22 mL/min/mm[Hg]) has no % predicted value: UNKNOWN, asking for DLCO % predicted."""
    b = child_ssc.child("ssc-abs-dlco")
    b.entries = [
        e
        for e in b.entries
        if not (
            e["resourceType"] == "Observation" and e["code"]["coding"][0]["code"] == "dlco_pct_pred"
        )
    ]
    b.entries.append({**_obs("19911-7", 22, "mL/min/mm[Hg]"), "id": "dlco-abs"})
    res = run("NCT06792344", b)
    check(res, NEEDS_DATA)
    assert outcome(res, "inc-6.dlco") == "unknown"
    assert any(m.startswith("dlco_pct_pred (%)") for m in res.missing)
