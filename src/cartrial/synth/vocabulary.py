"""The small OMOP vocabulary of a synthetic CDM, built from the project's own vocabulary.

Every OMOP-mappable code of every concept key becomes a ``concept`` row, with its standard OMOP
concept_id where the project's reference vocabulary records one (``data/omop_concept_ids.json``)
and a local id (>= 2,000,000,000, as OMOP reserves for local concepts) otherwise. Conditions and
drugs also get one synthetic child concept each (a "clinical drug" under an ingredient, a subtype
under a disorder) so that descendant look-ups through ``concept_ancestor`` are exercised. Units
(UCUM), genders, routes, coded results and operators are the standard OMOP concepts.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

from cartrial import vocab
from cartrial.sql import concepts

LOCAL_BASE = 2_000_000_000

UNITS: dict[str, int] = {
    "mg/dL": 8840,
    "g/dL": 8713,
    "%": 8554,
    "U/L": 8645,
    "umol/L": 8749,
    "cm": 8582,
    "kg": 9529,
    "10*3/uL": 8848,
}
"""UCUM unit concepts with their standard ids; other units get local ids."""

ROUTES: dict[str, int] = {
    "Oral": 4132161,
    "Intravenous": 4171047,
    "Subcutaneous": 4142048,
    "Topical": 4263689,
    "Inhalation": 45956874,
}
OTHER: list[tuple[int, str, str, str, str]] = [
    (8507, "MALE", "Gender", "Gender", "M"),
    (8532, "FEMALE", "Gender", "Gender", "F"),
    (9191, "Positive", "Meas Value", "SNOMED", "10828004"),
    (9189, "Negative", "Meas Value", "SNOMED", "260385009"),
    (4171756, "<", "Meas Value Operator", "SNOMED", "276139006"),
    (4172704, ">", "Meas Value Operator", "SNOMED", "276140008"),
]


@dataclass
class SynthVocabulary:
    """concept rows, ancestor pairs, and the concept ids the generator draws from."""

    rows: list[tuple[int, str, str, str, str, str]] = field(default_factory=list)
    ancestors: list[tuple[int, int]] = field(default_factory=list)
    primary: dict[tuple[str, str], int] = field(default_factory=dict)  # (group, key) -> id
    child: dict[tuple[str, str], int] = field(default_factory=dict)
    source_only: dict[tuple[str, str], int] = field(default_factory=dict)  # ICD code concept
    unit: dict[str, int] = field(default_factory=dict)
    _next: int = LOCAL_BASE

    def local(self) -> int:
        self._next += 1
        return self._next


@functools.cache
def _known_ids() -> dict[str, int]:
    path = resources.files("cartrial.synth").joinpath("data", "omop_concept_ids.json")
    raw = json.loads(path.read_text(encoding="utf-8"))["ids"]
    return {k: int(v[0]) for k, v in raw.items()}


_DOMAIN = {
    "labs": "Measurement",
    "conditions": "Condition",
    "medications": "Drug",
    "vaccines": "Drug",
    "procedures": "Procedure",
}


@functools.cache
def build(unit_codes: tuple[str, ...]) -> SynthVocabulary:
    """The vocabulary for the given unit codes (every other part is fixed)."""
    v = SynthVocabulary()
    used: set[int] = set()
    seen_code: dict[tuple[str, str], int] = {}
    known = _known_ids()
    for group, domain in _DOMAIN.items():
        for key in sorted(vocab.concept_keys(group)):
            for _, _, vid, code in concepts.code_rows(group, (key,)):
                if (vid, code) in seen_code:
                    cid = seen_code[(vid, code)]
                else:
                    system = next(s for s, i in concepts.VOCABULARY_IDS.items() if i == vid)
                    cid = known.get(f"{system}|{code}", 0)
                    if cid == 0 or cid in used:
                        cid = v.local()
                    used.add(cid)
                    seen_code[(vid, code)] = cid
                    v.rows.append(
                        (
                            cid,
                            vocab.display(group, key)[:250],
                            domain,
                            vid,
                            "Ingredient" if group == "medications" else "Code",
                            code,
                        )
                    )
                    v.ancestors.append((cid, cid))
                if vid in ("ICD10CM", "ICD10"):
                    v.source_only.setdefault((group, key), cid)
                else:
                    v.primary.setdefault((group, key), cid)
            if group in ("conditions", "medications") and (group, key) in v.primary:
                child = v.local()
                v.rows.append(
                    (
                        child,
                        f"{vocab.display(group, key)[:200]} (synthetic subtype)",
                        domain,
                        "cartrial_synth",
                        "Clinical Drug" if group == "medications" else "Clinical Finding",
                        f"{key}-child",
                    )
                )
                v.ancestors += [(v.primary[(group, key)], child), (child, child)]
                v.child[(group, key)] = child
    for code in unit_codes:
        cid = UNITS.get(code) or v.local()
        v.unit[code] = cid
        v.rows.append((cid, code, "Unit", "UCUM", "Unit", code))
    for name, cid in ROUTES.items():
        v.rows.append((cid, name, "Route", "SNOMED", "Qualifier Value", name.lower()))
    for cid, name, domain, vid, code in OTHER:
        v.rows.append((cid, name, domain, vid, "Concept", code))
    return v
