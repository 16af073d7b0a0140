"""Ingest: outside formats (ClinicalTrials.gov API v2, FHIR R4, eligibility text) to domain objects."""
