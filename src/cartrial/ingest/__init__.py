"""Ingest: outside formats (ClinicalTrials.gov API v2, FHIR R4, eligibility text) to domain objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cartrial.ingest.fhir import load_bundle_file, patient_from_bundle

__all__ = ["load_bundle_file", "patient_from_bundle"]


def __getattr__(name: str) -> Any:
    # lazy: importing cartrial.ingest must not pull in fhir.resources for the other ingesters
    if name in ("load_bundle_file", "patient_from_bundle"):
        from cartrial.ingest import fhir

        return getattr(fhir, name)
    raise AttributeError(f"module 'cartrial.ingest' has no attribute {name!r}")
