"""Impossible values are rejected with a message naming the resource and field, never clamped."""

from __future__ import annotations

from datetime import date

import pytest

from cartrial.domain.errors import DataError
from cartrial.evaluate import screen
from cartrial.ingest.fhir import patient_from_bundle
from cartrial.services.bundled_protocols import get_protocol
from tests.support.fhir_builder import BundleBuilder


@pytest.mark.parametrize(
    ("key", "value", "unit"),
    [
        ("creatinine", -0.4, "mg/dL"),
        ("hemoglobin", -3, "g/dL"),
        ("lvef", 150, "%"),
        ("spo2", 101, "%"),
        ("body_weight", 0, "kg"),
        ("body_height", 900, "cm"),
    ],
)
def test_impossible_measurement_rejects_that_resource_only(
    key: str, value: float, unit: str
) -> None:
    """Issue 9: the impossible value is listed with its reason; the rest of the bundle is read
    (it used to abort the whole bundle)."""
    b = BundleBuilder("imp", birth="1980-01-01").lab(key, value, unit, "2026-11-20")
    b.lab("alt", 30, "U/L", "2026-11-20")
    patient = patient_from_bundle(b.build())
    assert patient.observations_of(key) == []
    assert patient.observations_of("alt")[0].value == 30
    (listed,) = [u for u in patient.unrecognized if u.resource_type == "Observation"]
    assert "impossible value" in listed.reason and key in listed.reason
    assert "valueQuantity.value" in listed.reason and listed.id == "obs-1"


def test_percent_of_predicted_may_exceed_100() -> None:
    bundle = (
        BundleBuilder("fvc", birth="1980-01-01").lab("fvc_pct_pred", 112, "%", "2026-11-20").build()
    )
    patient = patient_from_bundle(bundle)
    assert patient.observations_of("fvc_pct_pred")[0].value == 112


def test_birth_date_after_screening_date_is_an_error() -> None:
    patient = patient_from_bundle(BundleBuilder("future", birth="2027-05-01").build())
    with pytest.raises(DataError) as exc:
        screen(get_protocol("NCT05858684"), patient, as_of=date(2026, 11, 22))
    assert "birthDate" in str(exc.value) and "after the screening date" in str(exc.value)


def test_partial_birth_date_after_screening_date_is_an_error() -> None:
    patient = patient_from_bundle(BundleBuilder("future-year", birth="2027").build())
    with pytest.raises(DataError) as exc:
        screen(get_protocol("NCT05858684"), patient, as_of=date(2026, 11, 22))
    assert "birthDate" in str(exc.value) and "after the screening date" in str(exc.value)
