"""Issue 9: the 2019 EULAR/ACR SLE score has no total when the ANA entry criterion fails, and
the engine then treats the score as meeting no threshold."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cartrial.criteria.serde import parse_criterion
from cartrial.evaluate import Context, Truth, evaluate_node
from cartrial.ingest.fhir import patient_from_bundle

LOCAL = "https://cartrial.org/fhir/CodeSystem/instrument"
AS_OF = date(2026, 11, 22)
SCORE_10 = {
    "id": "sle",
    "kind": "score",
    "instrument": "sle_eular_acr_2019",
    "comparator": ">=",
    "value": 10,
    "text": "2019 EULAR/ACR score >= 10",
    "lookback": {"amount": 20, "unit": "years"},
}


def _bundle(ana: dict[str, Any]) -> dict[str, Any]:
    """Arthritis (6), low C3 and C4 (4), anti-dsDNA (6) = 16 points, with the given ANA."""
    comps = [{"code": {"coding": [{"system": LOCAL, "code": "ana_titer"}]}, **ana}]
    for item in ("joint_involvement", "low_c3_and_low_c4", "anti_dsdna_or_anti_smith"):
        comps.append({"code": {"coding": [{"system": LOCAL, "code": item}]}, "valueBoolean": True})
    obs = {
        "resourceType": "Observation",
        "id": "sle2019",
        "status": "final",
        "code": {"coding": [{"system": LOCAL, "code": "sle_eular_acr_2019"}]},
        "effectiveDateTime": "2024-03-01",
        "component": comps,
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "p",
                    "birthDate": "1990-01-01",
                    "gender": "female",
                }
            },
            {"resource": obs},
        ],
    }


def _eval(ana: dict[str, Any], node: dict[str, Any] = SCORE_10):  # type: ignore[no-untyped-def]
    patient = patient_from_bundle(_bundle(ana))
    return evaluate_node(parse_criterion(node), Context(patient=patient, as_of=AS_OF))


def test_items_with_ana_1_to_160_score_16() -> None:
    res = _eval({"valueString": "1:160"})
    assert res.status is Truth.TRUE and res.evidence[0].value == 16


@pytest.mark.parametrize("comparator", [">=", "<", "=="])
def test_ana_1_to_40_meets_no_threshold(comparator: str) -> None:
    """The items add up to 16, but ANA 1:40 fails the entry criterion: no total, so neither
    ">= 10" nor "< 10" (nor "== 16") holds (it used to read 16 and meet ">= 10")."""
    res = _eval(
        {"valueString": "1:40"},
        {**SCORE_10, "comparator": comparator, "value": 16 if comparator == "==" else 10},
    )
    assert res.status is Truth.FALSE
    assert "entry criterion not met" in res.reason and "no total" in res.reason
