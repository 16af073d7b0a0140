"""Synthetic data for development and testing (an OMOP CDM population)."""
