"""Codes more specific than the ones the vocabulary lists: SNOMED CT descendants, ICD-10-CM children.

* SNOMED CT: ``data/snomed_descendants.json`` (built by ``scripts/build_subsumption.py`` from the
  OMOP hierarchy of the OHDSI sample CDMs) maps a descendant code to the condition concepts whose
  listed code it falls under (239791005 "Seropositive rheumatoid arthritis" -> rheumatoid_arthritis).
* ICD-10-CM / ICD-10: the classification is a prefix hierarchy (M05.79 is a child of M05.7), so a
  code that extends a listed code of a concept belongs to that concept.

Only what a real hierarchy says is used; a code outside both stays unrecognised.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def _snomed() -> dict[str, dict[str, Any]]:
    path = resources.files("cartrial.vocab").joinpath("data", "snomed_descendants.json")
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["descendants"]
    return data


def snomed_ancestors(code: str) -> dict[str, str]:
    """{condition concept key: the listed ancestor code} for a SNOMED CT descendant code."""
    entry = _snomed().get(code.strip())
    return dict(entry["concepts"]) if entry else {}


def snomed_sources() -> list[str]:
    path = resources.files("cartrial.vocab").joinpath("data", "snomed_descendants.json")
    sources: list[str] = json.loads(path.read_text(encoding="utf-8"))["sources"]
    return sources
