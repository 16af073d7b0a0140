"""The bridge between the project's vocabulary and an OMOP CDM: decided once, used by both sides.

Both interpreters of an OMOP population read their codes and conversions from here: the SQL
compiler (as VALUES tables joined to the CDM's own ``concept`` / ``concept_ancestor``) and the
OMOP -> Patient adapter (:mod:`cartrial.ingest.omop`, as Python dictionaries). What is decided:

* a concept key's OMOP concept set: the concepts whose ``(vocabulary_id, concept_code)`` is one of
  the key's verified codes, plus all their descendants in ``concept_ancestor``; a record belongs
  to every key whose set holds its standard ``*_concept_id`` or its ``*_source_concept_id``;
* units by ``unit_concept_id`` -> the unit concept's ``concept_code`` (UCUM) -> a linear factor to
  the concept's canonical unit from :func:`cartrial.vocab.convert` (the evaluator's factors). A unit
  without one leaves the value unusable (UNKNOWN), never guessed;
* coded results (``value_as_concept_id``), censoring (``operator_concept_id``) and sex
  (``gender_concept_id``) by the OMOP standard concept ids below.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from importlib import resources

from cartrial import vocab
from cartrial.domain.errors import CartrialError
from cartrial.domain.patient import Sex

VOCABULARY_IDS: dict[str, str] = {
    vocab.LOINC: "LOINC",
    vocab.SNOMED: "SNOMED",
    vocab.ICD10CM: "ICD10CM",
    vocab.ICD10: "ICD10",
    vocab.RXNORM: "RxNorm",
    vocab.ATC: "ATC",
    vocab.CVX: "CVX",
    vocab.CARTRIAL_INSTRUMENT: "cartrial",
}
"""Code system URI -> OMOP ``vocabulary_id`` (``cartrial``: the project's local instrument codes,
loaded as custom concepts with ids >= 2,000,000,000 as OMOP recommends)."""

GENDER: dict[int, Sex] = {8532: Sex.FEMALE, 8507: Sex.MALE}
"""OMOP Gender concepts; anything else (0, 8551 unknown, 8570 ambiguous) is an unknown sex."""

POSITIVE_RESULTS: frozenset[int] = frozenset({9191, 45884084, 4126681, 45877985, 4181412})
"""value_as_concept_id read as positive: Positive, Positive (LOINC answer), Detected (SNOMED and
LOINC answers), Present."""
NEGATIVE_RESULTS: frozenset[int] = frozenset({9189, 45878583, 9190, 45880296, 45884086})
"""value_as_concept_id read as negative: Negative, Negative (LOINC answer), Not detected, Not
detected (LOINC answer), Absent."""

OPERATORS: dict[int, str] = {4171756: "<", 4171754: "<=", 4172704: ">", 4171755: ">="}
"""operator_concept_id -> the censoring of a value reported as ``<x`` / ``>x`` (4172703 '=' and
0 are exact values)."""

DOMAIN_GROUPS: dict[str, tuple[str, ...]] = {
    "measurement": ("labs",),
    "observation": ("labs",),
    "condition_occurrence": ("conditions",),
    "drug_exposure": ("medications", "vaccines"),
    "procedure_occurrence": ("procedures",),
}
"""Which vocabulary groups a CDM table's records are looked up in."""


def code_rows(group: str, keys: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """(group, key, vocabulary_id, concept_code) for every OMOP-mappable code of ``keys``."""
    rows: list[tuple[str, str, str, str]] = []
    for key in sorted(set(keys)):
        for c in vocab.codes(group, key):
            system = vocab.canonical_system(c.system)
            vid = VOCABULARY_IDS.get(system or "")
            if vid is not None:
                rows.append((group, key, vid, c.code))
    return rows


def all_keys(group: str) -> frozenset[str]:
    return vocab.concept_keys(group)


@functools.cache
def unit_factor(key: str, unit_code: str | None) -> float | None:
    """Factor from ``unit_code`` (UCUM; None = no unit) to ``key``'s canonical unit, or None.

    Linear conversions only (every lab unit is); the factor is the evaluator's own
    :func:`cartrial.vocab.convert` of 1 unit.
    """
    try:
        one, _ = vocab.convert(key, 1.0, unit_code)
        zero, _ = vocab.convert(key, 0.0, unit_code)
    except (CartrialError, KeyError, ValueError):
        return None
    return one if zero == 0.0 else None


def unit_rows(
    keys: Iterable[str], unit_codes: Iterable[str | None]
) -> list[tuple[str, str, float]]:
    """(key, unit code ('' = none), factor) for every convertible pair."""
    rows: list[tuple[str, str, float]] = []
    codes = sorted({u or "" for u in unit_codes})
    for key in sorted(set(keys)):
        for code in codes:
            f = unit_factor(key, code or None)
            if f is not None:
                rows.append((key, code, f))
    return rows


def threshold(concept: str, value: float, unit: str) -> float:
    """A protocol's absolute threshold in the concept's canonical unit (as the evaluator does)."""
    converted, _ = vocab.convert(concept, value, unit)
    return converted


@functools.cache
def outcome_rules() -> dict[str, tuple[str, ...]]:
    """The statusReason phrase lists the evaluator's ``status_reason_outcome`` uses."""
    path = resources.files("cartrial.vocab").joinpath("data", "status_reason_outcomes.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: tuple(v) for k, v in raw.items() if isinstance(v, list)}


def phrase_pattern(phrases: Iterable[str]) -> str:
    """A POSIX/RE2/Java-compatible regex: any phrase as whole words in lower-cased text.

    ``(^|[^a-z])`` ... ``([^a-z]|$)`` stands for the look-arounds of the Python rule (RE2 has
    none), and a run of whitespace between words matches the Python side's collapsed spaces.
    """
    alts = []
    for p in phrases:
        words = [re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", w) for w in p.split()]
        alts.append(r"\s+".join(words))
    return "(^|[^a-z])(" + "|".join(alts) + ")([^a-z]|$)"
