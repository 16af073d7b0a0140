"""Build small synthetic FHIR R4 bundles for tests from concept keys (codes from the vocabulary).

Test-only: the codes come from the package's vocabulary data, so a bundle exercises the real
FHIR ingest (R4B parsing, code mapping, unit conversion) rather than hand-made domain objects.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "src" / "cartrial" / "vocab" / "data"
LOCAL_SYSTEM = "https://cartrial.org/fhir/CodeSystem/instrument"
PREFERRED = {
    "labs": "http://loinc.org",
    "conditions": "http://snomed.info/sct",
    "medications": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "vaccines": "http://hl7.org/fhir/sid/cvx",
    "procedures": "http://snomed.info/sct",
}


@cache
def _codes(group: str) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in json.loads((DATA / f"{group}.json").read_text())}


def coding(group: str, key: str) -> dict[str, str]:
    entry = _codes(group).get(key)
    if entry is None or not entry["codes"]:
        # no verified code: a local code, which the ingest lists as unrecognized unless the
        # vocabulary knows it (local_instruments.json)
        return {"system": LOCAL_SYSTEM, "code": key}
    codes = entry["codes"]
    best = next((c for c in codes if c["system"] == PREFERRED[group]), codes[0])
    return {"system": best["system"], "code": best["code"], "display": best.get("display", key)}


class BundleBuilder:
    def __init__(
        self, pid: str, *, birth: date | str | None, gender: str | None = "female"
    ) -> None:
        self.pid = pid
        patient: dict[str, Any] = {"resourceType": "Patient", "id": pid}
        if birth is not None:
            patient["birthDate"] = str(birth)
        if gender is not None:
            patient["gender"] = gender
        self.entries: list[dict[str, Any]] = [patient]
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def _subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def lab(
        self,
        key: str,
        value: float,
        unit: str,
        when: date | str,
        *,
        ref_low: float | None = None,
        ref_high: float | None = None,
    ) -> BundleBuilder:
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": self._id("obs"),
            "status": "final",
            "code": {"coding": [coding("labs", key)]},
            "subject": self._subject(),
            "effectiveDateTime": str(when),
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
        if ref_low is not None or ref_high is not None:
            rr: dict[str, Any] = {}
            if ref_low is not None:
                rr["low"] = {
                    "value": ref_low,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                }
            if ref_high is not None:
                rr["high"] = {
                    "value": ref_high,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                }
            obs["referenceRange"] = [rr]
        self.entries.append(obs)
        return self

    def score(
        self, key: str, value: float, when: date | str, unit: str = "{score}"
    ) -> BundleBuilder:
        self.entries.append(
            {
                "resourceType": "Observation",
                "id": self._id("score"),
                "status": "final",
                "code": {"coding": [coding("labs", key)]},
                "subject": self._subject(),
                "effectiveDateTime": str(when),
                "valueQuantity": {
                    "value": value,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
            }
        )
        return self

    def result(self, key: str, positive: bool, when: date | str) -> BundleBuilder:
        code = ("10828004", "Positive") if positive else ("260385009", "Negative")
        self.entries.append(
            {
                "resourceType": "Observation",
                "id": self._id("sero"),
                "status": "final",
                "code": {"coding": [coding("labs", key)]},
                "subject": self._subject(),
                "effectiveDateTime": str(when),
                "valueCodeableConcept": {
                    "coding": [
                        {"system": "http://snomed.info/sct", "code": code[0], "display": code[1]}
                    ],
                    "text": code[1],
                },
            }
        )
        return self

    def condition(
        self, key: str, onset: date | str | None, *, active: bool = True
    ) -> BundleBuilder:
        cond: dict[str, Any] = {
            "resourceType": "Condition",
            "id": self._id("cond"),
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active" if active else "resolved",
                    }
                ]
            },
            "code": {"coding": [coding("conditions", key)]},
            "subject": self._subject(),
        }
        if onset is not None:
            cond["onsetDateTime"] = str(onset)
        self.entries.append(cond)
        return self

    def med(
        self,
        key: str,
        start: date | str | None,
        end: date | str | None = None,
        *,
        status: str = "completed",
        dose_mg: float | None = None,
        per_day: int = 1,
        reason: str | None = None,
        route: str | None = None,
    ) -> BundleBuilder:
        stmt: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": self._id("med"),
            "status": status,
            "medicationCodeableConcept": {"coding": [coding("medications", key)]},
            "subject": self._subject(),
        }
        period: dict[str, str] = {}
        if start is not None:
            period["start"] = str(start)
        if end is not None:
            period["end"] = str(end)
        if period:
            stmt["effectivePeriod"] = period
        if reason is not None:
            stmt["statusReason"] = [{"text": reason}]
        if dose_mg is not None or route is not None:
            dosage: dict[str, Any] = {}
            if dose_mg is not None:
                dosage["doseAndRate"] = [
                    {
                        "doseQuantity": {
                            "value": dose_mg,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ]
                dosage["timing"] = {
                    "repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}
                }
            if route is not None:
                dosage["route"] = {"text": route}
            stmt["dosage"] = [dosage]
        self.entries.append(stmt)
        return self

    def vaccine(self, key: str, when: date | str) -> BundleBuilder:
        self.entries.append(
            {
                "resourceType": "Immunization",
                "id": self._id("imm"),
                "status": "completed",
                "vaccineCode": {"coding": [coding("vaccines", key)]},
                "patient": self._subject(),
                "occurrenceDateTime": str(when),
            }
        )
        return self

    def procedure(self, key: str, when: date | str) -> BundleBuilder:
        self.entries.append(
            {
                "resourceType": "Procedure",
                "id": self._id("proc"),
                "status": "completed",
                "code": {"coding": [coding("procedures", key)]},
                "subject": self._subject(),
                "performedDateTime": str(when),
            }
        )
        return self

    def build(self) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"urn:uuid:{e['resourceType']}-{e['id']}", "resource": e}
                for e in self.entries
            ],
        }
