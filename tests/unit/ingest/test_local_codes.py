"""Concepts without a verified standard code travel under the cartrial local code system."""

from __future__ import annotations

from cartrial import vocab
from cartrial.ingest.fhir import patient_from_bundle
from tests.support.fhir_builder import LOCAL_SYSTEM, BundleBuilder


def test_local_system_is_known_to_the_vocabulary() -> None:
    assert vocab.CARTRIAL_INSTRUMENT == LOCAL_SYSTEM
    for key in ("bilag_a_count", "sledai_2k", "mpap", "msa_other", "imacs_phga"):
        ref = vocab.lookup_code(LOCAL_SYSTEM, key)
        assert ref is not None and ref.key == key and ref.group == "labs"
    assert vocab.lookup_code(LOCAL_SYSTEM, "not_a_concept") is None


def test_bundle_with_local_codes_maps_scores_and_results() -> None:
    b = BundleBuilder("loc", birth="1980-01-01")
    b.lab("bilag_a_count", 1, "{count}", "2026-11-20")
    b.score("sledai_2k", 10, "2026-11-20")
    b.lab("mpap", 32, "mm[Hg]", "2026-11-20")
    b.result("msa_other", True, "2026-11-20")
    patient = patient_from_bundle(b.build())
    assert patient.observations_of("bilag_a_count")[0].value == 1
    assert patient.observations_of("sledai_2k")[0].value == 10
    assert patient.observations_of("mpap")[0].unit == "mm[Hg]"
    assert patient.observations_of("msa_other")[0].result == "positive"
    assert not [u for u in patient.unrecognized if u.resource_type == "Observation"]
