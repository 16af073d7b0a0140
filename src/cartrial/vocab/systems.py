"""Code systems: canonical URIs, their usual spellings, and code normalisation."""

from __future__ import annotations

import functools
import re

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CVX = "http://hl7.org/fhir/sid/cvx"
CARTRIAL_INSTRUMENT = "https://cartrial.org/fhir/CodeSystem/instrument"

# the usual spellings of each code system (compared after lower-casing, dropping the scheme,
# "www." and a trailing slash)
_SYSTEM_ALIASES: dict[str, tuple[str, ...]] = {
    CARTRIAL_INSTRUMENT: ("cartrial.org/fhir/CodeSystem/instrument",),
    LOINC: ("loinc.org", "urn:oid:2.16.840.1.113883.6.1", "loinc", "ln"),
    SNOMED: (
        "snomed.info/sct",
        "snomed.info/id",
        "urn:oid:2.16.840.1.113883.6.96",
        "snomed",
        "snomedct",
        "snomed-ct",
        "sct",
    ),
    ICD10CM: (
        "hl7.org/fhir/sid/icd-10-cm",
        "urn:oid:2.16.840.1.113883.6.90",
        "icd10cm",
        "icd-10-cm",
    ),
    ICD10: ("hl7.org/fhir/sid/icd-10", "urn:oid:2.16.840.1.113883.6.3", "icd10", "icd-10"),
    RXNORM: (
        "nlm.nih.gov/research/umls/rxnorm",
        "urn:oid:2.16.840.1.113883.6.88",
        "rxnorm",
    ),
    ATC: ("whocc.no/atc", "urn:oid:2.16.840.1.113883.6.73", "atc"),
    CVX: ("hl7.org/fhir/sid/cvx", "urn:oid:2.16.840.1.113883.12.292", "cvx"),
}
_ICD_SYSTEMS = (ICD10CM, ICD10)


def _system_key(system: str) -> str:
    s = system.strip().lower()
    s = re.sub(r"^https?://", "", s)
    s = re.sub(r"^www\.", "", s)
    return s.rstrip("/")


@functools.cache
def _system_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for uri, aliases in _SYSTEM_ALIASES.items():
        table[_system_key(uri)] = uri
        for a in aliases:
            table[_system_key(a)] = uri
    return table


def canonical_system(system: str | None) -> str | None:
    """The canonical URI for a code-system spelling, or None when the system is not known."""
    if not system:
        return None
    return _system_table().get(_system_key(system))


def _code_key(system: str, code: str) -> str:
    c = code.strip()
    if system in _ICD_SYSTEMS:
        return c.upper().replace(".", "")
    if system == ATC:
        return c.upper()
    return c
